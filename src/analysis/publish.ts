import { mapBounded } from '../concurrency.js';
import type { ConfigCollection } from '../config/collection.js';
import { ANALYSIS_PERIODS } from '../config/periods.js';
import type { AnalysisBasis, AnalysisSpec } from '../config/spec.js';
import { type IsoDate, isoDate } from '../dates.js';
import { datasetExportPath, exportTarget } from '../exports/target.js';
import { statisticsExportSql } from '../sql/plan/reads.js';
import {
  type MetricsViewTable,
  type MetricsViewWindow,
  metricsViewSql,
  statisticsViewSql,
  type ViewTable,
} from '../sql/plan/views.js';
import type { ToolVersion } from '../versions/tool-version.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import type { TableRef, Warehouse } from '../warehouse/warehouse.js';
import { type ExportedLogSource, errorsSince, experimentErrors } from './errors-export.js';
import { existingTables, experimentTables, lastTableDate } from './experiment-tables.js';
import { type RecordedPin, SCHEMA_VERSION } from './labels.js';
import type { JobProgress } from './progress.js';
import type { PublishSummary } from './results.js';
import { publishStaged, type RunTables, runStagedSince, runTables } from './staging.js';

export interface PublishInput {
  warehouse: Warehouse;
  spec: AnalysisSpec;
  collection: ConfigCollection;
  dataset: string;
  pin: RecordedPin;
  toolVersion: ToolVersion;
  /** Where JSON exports go (a directory or gs://bucket/prefix); null = no exports. */
  exportDir: string | null;
  /** The dataset whose exports go at the top of `exportDir` (jetstream's layout); default `contrail`. */
  productionDataset?: string;
  /** Every experiment's slug the source knows: the tables another's label claims are never swapped over. */
  knownSlugs?: readonly string[];
  /** A preview's results: its exported errors say so (`jetstream-preview`). */
  preview: boolean;
  /** The run's staged result tables, swapped in before anything is read. */
  results: RunTables;
  now: Date;
  progress: JobProgress;
}

/**
 * A metric's (or outcome's) name as jetstream shows one without a friendly name:
 * `name.replace("_", " ").title()`. Python's title() starts a word at every letter that follows
 * a character without case and lowercases the rest of the word: "dau_impact" is "Dau Impact",
 * "URL_count" "Url Count", "2nd_day" "2Nd Day". (Names are ASCII identifiers, so the letters
 * whose titlecase differs from their uppercase, such as ß, do not arise.)
 */
export function defaultFriendlyName(name: string): string {
  let out = '';
  let previousCased = false;
  for (const ch of name.replaceAll('_', ' ')) {
    const cased = /\p{Cased}/u.test(ch);
    out += cased ? (previousCased ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    previousCased = cased;
  }
  return out;
}

/** Where jetstream's metadata points for an experiment's config: its file in metric-hub. */
const METRIC_HUB_REPO = 'https://github.com/mozilla/metric-hub';
/** Tables whose columns publishing reads at once (for the views). */
const COLUMN_READS_AT_ONCE = 8;

/**
 * The config's overrides of Experimenter's values as jetstream's metadata lists them
 * (Experimenter's results page says the analysis used them, linking to the config); null when
 * the config overrides none.
 */
function exportedExternalConfig(spec: AnalysisSpec) {
  const external = spec.externalConfig;
  if (external === null) return null;
  return {
    reference_branch: external.referenceBranch,
    end_date: external.endDate,
    start_date: external.startDate,
    enrollment_period: external.enrollmentPeriod,
    skip: spec.skip,
    url: `${METRIC_HUB_REPO}/blob/main/jetstream/${spec.experiment.slug}.toml`,
  };
}

/** `metadata_<slug>.json` in jetstream's Metadata shape (mozilla-nimbus-schemas), plus contrail's pin. */
export function experimentMetadata(input: {
  spec: AnalysisSpec;
  collection: ConfigCollection;
  pin: RecordedPin;
  toolVersion: ToolVersion;
  /** When the run that computed the published results began (Experimenter compares logged errors with it). */
  analysisStartTime: Date;
}) {
  const { spec, collection, pin } = input;
  const metrics: Record<
    string,
    { friendly_name: string; description: string; bigger_is_better: boolean; analysis_bases: AnalysisBasis[] }
  > = {};
  for (const period of ANALYSIS_PERIODS) {
    for (const metric of spec.metrics[period] ?? []) {
      metrics[metric.name] ??= {
        friendly_name: metric.friendlyName ?? defaultFriendlyName(metric.name),
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
      friendly_name: file.outcome?.friendlyName ?? defaultFriendlyName(slug),
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
    external_config: exportedExternalConfig(spec),
    analysis_start_time: input.analysisStartTime.toISOString(),
    // The same fields as the result tables' labels: the build that published (the pinned one,
    // which computed the tables) from the running worker, and the configs' commit.
    tool_version: input.toolVersion.version,
    build_id: input.toolVersion.buildId,
    config_commit: pin.configCommit,
    anchor: pin.anchor,
  };
}

/**
 * The run's staged tables swapped in for the published ones (one step), views over the
 * experiment's per-window tables that exist, then (with an export directory) the JSON files
 * jetstream uploads to GCS, read from the swapped-in tables, in the bucket's layout:
 * `statistics/statistics_<slug>_<suffix>.json`, `metadata/metadata_<slug>.json`,
 * `errors/errors_<slug>.json` (under `<dataset>/` for any dataset but the production one).
 */
export async function publishResults(input: PublishInput): Promise<PublishSummary> {
  const { warehouse, spec, dataset, progress } = input;
  const d = warehouse.sqlDialect;
  const { published, stagedSince } = await publishStaged(
    warehouse,
    dataset,
    input.results,
    spec.experiment.slug,
    progress,
    input.knownSlugs,
  );
  // The start of the run that computed what is published, as jetstream's analysis_start_time:
  // Experimenter shows the logged errors no older than it, and the errors file lists the
  // current analysis week's from it. A run that staged nothing (a workflow from before staging,
  // a day with only enrollments due, a retry after the swap) falls back to now.
  const runStart = stagedSince ?? input.now;
  const tables = experimentTables(spec, dataset, lastTableDate(spec, isoDate(input.now)));
  const existing = await existingTables(warehouse, dataset);
  const exists = (ref: TableRef) => existing.has(ref.table);
  const views: string[] = [];
  const statisticsViews: TableRef[] = [];

  // Each table's columns as the warehouse has them: windows computed by different configs or
  // versions differ, and the views stack them by name. Read a few at a time (on BigQuery one
  // metadata call per table, a few hundred for a long daily experiment). Null: gone since the
  // listing.
  const viewed = [
    ...tables.windows.map((w) => w.statistics),
    ...tables.windows.flatMap((w) => w.metrics.map((m) => m.ref)),
  ].filter(exists);
  const columnsOf = new Map(
    await mapBounded(
      viewed,
      COLUMN_READS_AT_ONCE,
      async (ref) => [ref.table, await warehouse.tableColumns(ref)] as const,
    ),
  );
  const withColumns = (ref: TableRef): ViewTable | null => {
    const columns = columnsOf.get(ref.table);
    return columns ? { ref, columns } : null;
  };

  for (const { period, ref: view } of tables.views.statistics) {
    const stacked: ViewTable[] = [];
    for (const w of tables.windows) {
      if (w.window.period !== period) continue;
      const table = withColumns(w.statistics);
      if (table) stacked.push(table);
    }
    const [first, ...rest] = stacked;
    if (!first) continue;
    await warehouse.execute(statisticsViewSql(d, view, [first, ...rest]), progress.job(view.table));
    views.push(view.table);
    statisticsViews.push(view);
  }

  for (const { period, basis, ref: view } of tables.views.metrics) {
    const stacked: MetricsViewWindow[] = [];
    for (const w of tables.windows) {
      if (w.window.period !== period) continue;
      const found: MetricsViewTable[] = [];
      for (const m of w.metrics) {
        if (m.basis !== basis) continue;
        const table = withColumns(m.ref);
        if (table) found.push({ ...table, metricColumns: m.metricColumns });
      }
      const [first, ...rest] = found;
      if (first) stacked.push({ windowIndex: w.window.windowIndex, tables: [first, ...rest] });
    }
    const [first, ...rest] = stacked;
    if (!first) continue;
    await warehouse.execute(metricsViewSql(d, view, [first, ...rest]), progress.job(view.table));
    views.push(view.table);
  }

  const exports: string[] = [];
  if (input.exportDir !== null) {
    const target = exportTarget(input.exportDir);
    const write = (path: string, text: string) =>
      target.write(datasetExportPath(dataset, path, input.productionDataset), text);
    const slugName = normalizeSlug(spec.experiment.slug);
    for (const view of statisticsViews) {
      const rows = await warehouse.query(statisticsExportSql(d, view), progress.job(`export ${view.table}`));
      exports.push(await write(`statistics/${view.table}.json`, JSON.stringify(rows)));
    }
    const metadata = experimentMetadata({
      spec,
      collection: input.collection,
      pin: input.pin,
      toolVersion: input.toolVersion,
      analysisStartTime: runStart,
    });
    exports.push(await write(`metadata/metadata_${slugName}.json`, JSON.stringify(metadata)));
    exports.push(
      await exportErrors({
        warehouse,
        dataset,
        slug: spec.experiment.slug,
        exportDir: input.exportDir,
        ...(input.productionDataset === undefined ? {} : { productionDataset: input.productionDataset }),
        preview: input.preview,
        since: errorsSince(runStart, spec.experiment.enrollmentEndDate),
      }),
    );
  }
  return { published, views, exports };
}

/** The source a run's exported errors name: jetstream's name for the kind of run. */
function exportedLogSource(preview: boolean): ExportedLogSource {
  return preview ? 'jetstream-preview' : 'jetstream';
}

/**
 * Writes `errors/errors_<slug>.json` from the dataset's logs table (under `<dataset>/` for any
 * dataset but the production one); returns where it went. Publishing writes it with the other
 * exports, and a failed analysis writes it on its own, as jetstream exports the logs of every
 * analysis, failed or not: the results page then says why the results stopped changing. It
 * lists the rows logged since `since` (`errorsSince`: the current analysis week), as jetstream's
 * does; null lists every row.
 */
export async function exportErrors(input: {
  warehouse: Warehouse;
  dataset: string;
  slug: string;
  exportDir: string;
  /** The dataset whose exports go at the top of `exportDir`; default `contrail`. */
  productionDataset?: string;
  preview: boolean;
  since: Date | null;
}): Promise<string> {
  const errors = await experimentErrors(
    input.warehouse,
    input.dataset,
    input.slug,
    exportedLogSource(input.preview),
    input.since,
  );
  return exportTarget(input.exportDir).write(
    datasetExportPath(
      input.dataset,
      `errors/errors_${normalizeSlug(input.slug)}.json`,
      input.productionDataset,
    ),
    JSON.stringify(errors),
  );
}

/**
 * Since when a failed run's errors file lists the experiment's logs (`errorsSince`): the current
 * analysis week as of the run's start, which the tables it staged before it failed record
 * (`stagedSince`), else as of the failure. The failed run publishes no metadata: the results
 * page keeps the last published run's start, and this week's errors of that run stay listed.
 */
export async function failedRunErrorsSince(input: {
  warehouse: Warehouse;
  target: { run: string | null; dataset: string; slug: string };
  enrollmentEndDate: IsoDate | null;
  now: Date;
}): Promise<Date> {
  const staged = await runStagedSince(
    input.warehouse,
    input.target.dataset,
    await runTables(input.warehouse, input.target),
  );
  return errorsSince(staged ?? input.now, input.enrollmentEndDate);
}
