import type { ConfigCollection } from '../config/collection.js';
import {
  ANALYSIS_BASES,
  ANALYSIS_PERIODS,
  type AnalysisBasis,
  type AnalysisPeriod,
  type AnalysisSpec,
} from '../config/spec.js';
import { exportTarget } from '../exports/target.js';
import type { SqlDialect } from '../sql/dialect.js';
import { metricsTableName, metricsViewName, statisticsTableName, statisticsViewName } from '../sql/names.js';
import { metricsByDataSource } from '../sql/plan/metrics.js';
import type { ToolVersion } from '../versions/tool-version.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import type { TableRef, Warehouse } from '../warehouse/warehouse.js';
import { warehouseJob } from './job-context.js';
import { SCHEMA_VERSION } from './labels.js';
import { experimentErrors } from './logs.js';
import type { AnalysisTarget, PublishSummary } from './types.js';

export interface PublishInput {
  warehouse: Warehouse;
  dialect: SqlDialect;
  spec: AnalysisSpec;
  collection: ConfigCollection;
  target: AnalysisTarget;
  toolVersion: ToolVersion;
  exportDir: string | null;
  now: Date;
}

/** Window indexes of the tables `<prefix><n>` in `names`, ascending. */
function windowIndexes(
  names: Set<string>,
  tableFor: (windowIndex: number) => string,
  prefix: string,
): number[] {
  const indexes: number[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const n = Number(name.slice(prefix.length));
    if (Number.isInteger(n) && n > 0 && tableFor(n) === name) indexes.push(n);
  }
  return indexes.sort((a, b) => a - b);
}

/**
 * jetstream's `statistics_<slug>_<suffix>` view: every window table of the period. The tables
 * carry window_index already (jetstream's view parses it from the table suffix).
 */
function statisticsViewSql(d: SqlDialect, dataset: string, view: string, tables: string[]): string {
  const selects = tables.map((table) => `SELECT * FROM ${d.table({ dataset, table })}`);
  return `CREATE OR REPLACE VIEW ${d.table({ dataset, table: view })} AS\n${selects.join('\nUNION ALL\n')}`;
}

/**
 * jetstream's `<slug>_<basis>_<suffix>` view: per window, the data sources' metrics tables
 * joined on the client (each has one row per enrolled client of the basis), with window_index;
 * the windows stacked.
 */
function metricsViewSql(
  d: SqlDialect,
  dataset: string,
  view: string,
  windows: { windowIndex: number; tables: { table: string; metricColumns: string[] }[] }[],
): string {
  const selects = windows.map(({ windowIndex, tables }) => {
    const [first, ...rest] = tables;
    if (!first) throw new Error('metrics view without tables');
    const columns = [
      't0.*',
      ...rest.flatMap((t, i) => t.metricColumns.map((c) => `t${i + 1}.${d.identifier(c)}`)),
    ];
    const joins = rest.map(
      (t, i) => `LEFT JOIN ${d.table({ dataset, table: t.table })} t${i + 1} USING (analysis_id, branch)`,
    );
    return `SELECT ${columns.join(', ')}, ${windowIndex} AS window_index\nFROM ${d.table({ dataset, table: first.table })} t0${joins.map((j) => `\n${j}`).join('')}`;
  });
  return `CREATE OR REPLACE VIEW ${d.table({ dataset, table: view })} AS\n${selects.join('\nUNION ALL\n')}`;
}

function titleCase(name: string): string {
  return name
    .split('_')
    .map((w) => (w ? w[0]?.toUpperCase() + w.slice(1) : w))
    .join(' ');
}

/** `metadata_<slug>.json` in jetstream's Metadata shape (mozilla-nimbus-schemas), plus contrail's pin. */
export function experimentMetadata(input: {
  spec: AnalysisSpec;
  collection: ConfigCollection;
  target: AnalysisTarget;
  toolVersion: ToolVersion;
  analysisStartTime: Date;
}) {
  const { spec, collection, target } = input;
  const metrics: Record<
    string,
    { friendly_name: string; description: string; bigger_is_better: boolean; analysis_bases: AnalysisBasis[] }
  > = {};
  for (const period of ANALYSIS_PERIODS) {
    for (const metric of spec.metrics[period] ?? []) {
      metrics[metric.name] ??= {
        friendly_name: metric.friendlyName ?? titleCase(metric.name),
        description: metric.description ?? '',
        bigger_is_better: metric.biggerIsBetter,
        analysis_bases: metric.analysisBases,
      };
    }
  }
  const outcomes: Record<string, unknown> = {};
  for (const slug of spec.experiment.outcomes) {
    const file = collection.outcome(spec.experiment.appName, slug);
    if (!file) continue;
    outcomes[slug] = {
      slug,
      friendly_name: file.outcome?.friendlyName ?? titleCase(slug),
      description: file.outcome?.description ?? '',
      metrics: [...file.metrics.keys()],
      default_metrics: (file.outcome?.defaultMetrics ?? []).map((m) => m.name),
      commit_hash: collection.commit,
    };
  }
  return {
    schema_version: SCHEMA_VERSION,
    metrics,
    outcomes,
    // jetstream lists config overrides of Experimenter's values here; contrail's resolved spec
    // does not keep the pre-override values apart yet.
    external_config: null,
    analysis_start_time: input.analysisStartTime.toISOString(),
    tool_version: target.pin.toolVersion || input.toolVersion.version,
    build_id: target.pin.buildId || input.toolVersion.buildId,
    config_commit: target.pin.configCommit,
  };
}

/**
 * Views over the per-window tables, then (with an export directory) the JSON files jetstream
 * uploads to GCS, in the bucket's layout: `statistics/statistics_<slug>_<suffix>.json`,
 * `metadata/metadata_<slug>.json`, `errors/errors_<slug>.json`.
 */
export async function publishResults(input: PublishInput): Promise<PublishSummary> {
  const { warehouse, dialect: d, spec, target } = input;
  const dataset = target.dataset;
  const slug = target.slug;
  const existing = new Set(
    (await warehouse.listTables(dataset, ''))
      .map((t) => t.ref.table)
      .filter((name) => name.includes(normalizeSlug(slug))),
  );
  const views: string[] = [];
  const statisticsViews: { period: AnalysisPeriod; view: string }[] = [];

  for (const period of ANALYSIS_PERIODS) {
    const tableFor = (n: number) => statisticsTableName(slug, period, n);
    const indexes = windowIndexes(existing, tableFor, tableFor(1).slice(0, -1));
    if (indexes.length === 0) continue;
    const view = statisticsViewName(slug, period);
    await warehouse.execute(statisticsViewSql(d, dataset, view, indexes.map(tableFor)), warehouseJob(view));
    views.push(view);
    statisticsViews.push({ period, view });
  }

  for (const period of ANALYSIS_PERIODS) {
    for (const basis of ANALYSIS_BASES) {
      const bySource = metricsByDataSource(
        spec,
        { period, windowIndex: 1, startOffset: 0, endOffset: 0 },
        basis,
      );
      const windows = new Map<number, { table: string; metricColumns: string[] }[]>();
      for (const [dataSource, metrics] of bySource) {
        const tableFor = (n: number) => metricsTableName(slug, basis, dataSource, period, n);
        for (const n of windowIndexes(existing, tableFor, tableFor(1).slice(0, -1))) {
          const list = windows.get(n) ?? [];
          list.push({ table: tableFor(n), metricColumns: metrics.map((m) => m.name) });
          windows.set(n, list);
        }
      }
      if (windows.size === 0) continue;
      const view = metricsViewName(slug, basis, period);
      const stacked = [...windows]
        .sort(([a], [b]) => a - b)
        .map(([windowIndex, tables]) => ({ windowIndex, tables }));
      await warehouse.execute(metricsViewSql(d, dataset, view, stacked), warehouseJob(view));
      views.push(view);
    }
  }

  const exports: string[] = [];
  if (input.exportDir !== null) {
    const exportsTo = exportTarget(input.exportDir);
    const slugName = normalizeSlug(slug);
    for (const { view } of statisticsViews) {
      const ref: TableRef = { dataset, table: view };
      const rows = await warehouse.query(
        `SELECT * FROM ${d.table(ref)} ORDER BY window_index, metric, statistic, segment, analysis_basis, branch, comparison, comparison_to_branch, parameter`,
        warehouseJob(`export ${view}`),
      );
      exports.push(await exportsTo.write(`statistics/${view}.json`, JSON.stringify(rows)));
    }
    // Confidential experiments export no metadata (jetstream's rule).
    if (!spec.isPrivate) {
      const metadata = experimentMetadata({
        spec,
        collection: input.collection,
        target,
        toolVersion: input.toolVersion,
        analysisStartTime: input.now,
      });
      exports.push(await exportsTo.write(`metadata/metadata_${slugName}.json`, JSON.stringify(metadata)));
    }
    const errors = await experimentErrors(warehouse, d, dataset, slug);
    exports.push(await exportsTo.write(`errors/errors_${slugName}.json`, JSON.stringify(errors)));
  }
  return { views, exports };
}
