import type { AnalysisBasis, AnalysisSpec, DataSourceSpec, MetricSpec } from '../../config/spec.js';
import { ANALYSIS_BASES } from '../../config/spec.js';
import type { SqlDialect } from '../dialect.js';
import { columnName, enrollmentsTableName, metricsScanTableName, metricsTableName } from '../names.js';
import { type AnalysisWindow, dataDateRange } from '../windows.js';
import {
  appDataset,
  assembleSql,
  dataSourceFor,
  experimentSlug,
  fillPlaceholders,
  fromExpression,
  indentParts,
  joinParts,
  provenanceHeader,
  type SqlPart,
  segmentColumns,
  where,
} from './common.js';
import { exposureSignalQuery } from './exposure.js';
import { type ColumnProvenance, type PlanContext, type PlannedQuery, PUBLISHED_NAMES } from './types.js';

/**
 * Metrics per client for one window (jetstream `calculate_metric_for_ds` / mozanalysis
 * `build_metrics_query`): one query per data source reads it once for both analysis bases and
 * computes every metric of that data source in one SELECT; jetstream's per-basis tables are then
 * split from its result. Rows: every enrolled client, with the enrollment columns, the window
 * bounds, exposure columns, the metrics and the data source's sanity columns.
 */

/** Metrics of a period that have SQL, grouped by data source in config order. */
export function metricsByDataSource(
  spec: AnalysisSpec,
  window: AnalysisWindow,
  basis: AnalysisBasis,
): Map<string, MetricSpec[]> {
  const groups = new Map<string, MetricSpec[]>();
  const seen = new Set<string>();
  for (const metric of spec.metrics[window.period] ?? []) {
    if (metric.selectExpression === null || metric.dataSource === null) continue;
    if (!metric.analysisBases.includes(basis) || seen.has(metric.name)) continue;
    seen.add(metric.name);
    const list = groups.get(metric.dataSource) ?? [];
    list.push(metric);
    groups.set(metric.dataSource, list);
  }
  return groups;
}

/** Bases any metric of the period asks for, in jetstream's order. */
export function basesFor(spec: AnalysisSpec, window: AnalysisWindow): AnalysisBasis[] {
  const metrics = spec.metrics[window.period] ?? [];
  return ANALYSIS_BASES.filter((b) => metrics.some((m) => m.analysisBases.includes(b)));
}

const ROW_BRANCH = 'contrail_row_branch';
// The submission date of rows that do not carry the experiment, else NULL: "not the enrollment day,
// or the row knows the experiment" becomes one IS DISTINCT FROM comparison (an OR across both join
// sides would force a nested-loop join).
const UNENROLLED_DATE = 'contrail_unenrolled_date';

/** The experiment's branch as a data source row records it (mozanalysis experiments_column_type). */
function rowBranch(d: SqlDialect, ds: DataSourceSpec, slug: string): string | null {
  const key = d.stringLiteral(slug);
  switch (ds.experimentsColumnType) {
    case 'none':
      return null;
    case 'simple':
      return d.mapGetKey('ds.experiments', key);
    case 'native':
      return d.structField(d.mapGetKey('ds.experiments', key), 'branch');
    case 'glean':
      return d.structField(d.mapGetKey('ds.ping_info.experiments', key), 'branch');
    case 'events_stream':
      return `CASE WHEN ${d.jsonValue('ds.event_extra', '$.experiment')} = ${key} THEN ${d.jsonValue('ds.event_extra', '$.branch')} END`;
  }
}

export function sanityColumns(dsName: string, ds: DataSourceSpec): string[] {
  return ds.experimentsColumnType === 'none'
    ? []
    : [`${dsName}_has_contradictory_branch`, `${dsName}_has_non_enrolled_data`];
}

/** One data source's metrics in one window: the metrics each analysis basis asks for. */
export interface MetricsScanInput {
  window: AnalysisWindow;
  dataSource: string;
  bases: { basis: AnalysisBasis; metrics: MetricSpec[] }[];
}

const BASIS_COLUMN = 'analysis_basis';

function enrollmentColumns(spec: AnalysisSpec): string[] {
  return [
    'analysis_id',
    'branch',
    'enrollment_date',
    'num_enrollment_events',
    ...segmentColumns(spec),
    'analysis_window_start',
    'analysis_window_end',
    'exposure_date',
    'num_exposure_events',
  ];
}

/** Metrics of any basis, each once, in the order the bases list them. */
function unionOfMetrics(bases: MetricsScanInput['bases']): MetricSpec[] {
  const byName = new Map<string, MetricSpec>();
  for (const { metrics } of bases) for (const m of metrics) if (!byName.has(m.name)) byName.set(m.name, m);
  return [...byName.values()];
}

/**
 * The scan: every enrolled client once per analysis basis (`analysis_basis` column), the data
 * source LEFT JOINed once against all of those rows, each row's window bounds precomputed from
 * its basis's anchor. Each basis's group meets exactly the data-source rows the basis's own
 * query would meet (and the one all-NULL row when there are none), so the config's aggregates
 * give the same values as one query per basis, while the data source is read once.
 */
export function renderMetricsScan(ctx: PlanContext, input: MetricsScanInput): PlannedQuery {
  const { spec, dialect: d } = ctx;
  const { window } = input;
  const metrics = unionOfMetrics(input.bases);
  const bases = input.bases.map((b) => b.basis);
  const slug = experimentSlug(spec);
  const ds = dataSourceFor(
    ctx,
    input.dataSource,
    `metric ${metrics[0]?.name} (${metrics[0] ? where(metrics[0].provenance) : ''})`,
  );
  const dsName = columnName(input.dataSource, 'data source');
  const segments = segmentColumns(spec);
  const dates = dataDateRange(spec, window);
  const signal = spec.exposureSignal;
  const submissionDate = `ds.${d.userSql(ds.submissionDateColumn)}`;
  const id = d.userSql(spec.analysisUnit === 'profile_group' ? ds.groupIdColumn : ds.clientIdColumn);
  const columns = enrollmentColumns(spec);

  const enrollmentsTable = d.table({
    dataset: ctx.dataset,
    table: enrollmentsTableName(spec.experiment.slug),
  });
  const rawColumns = ['analysis_id', 'branch', 'enrollment_date', 'num_enrollment_events', ...segments]
    .map((c) => `e.${c}`)
    .join(', ');
  const rawEnrollments = `SELECT ${rawColumns}, e.exposure_date, e.num_exposure_events,
    ${window.startOffset} AS analysis_window_start, ${window.endOffset} AS analysis_window_end
  FROM ${enrollmentsTable} e`;
  // The exposures basis with a custom signal re-derives exposure from the signal over this window
  // and keeps measuring from enrollment; without one it measures from the exposure date.
  const signalExposures = bases.includes('exposures') && signal !== null;
  const exposuresRow = `e.${BASIS_COLUMN} = ${d.stringLiteral('exposures')}`;
  const exposureColumns = signalExposures
    ? `CASE WHEN ${exposuresRow} THEN x.exposure_date ELSE e.exposure_date END AS exposure_date,
    CASE WHEN ${exposuresRow} THEN x.num_exposure_events ELSE e.num_exposure_events END AS num_exposure_events`
    : 'e.exposure_date, e.num_exposure_events';
  const anchor =
    bases.includes('exposures') && signal === null
      ? `CASE WHEN ${exposuresRow} THEN e.exposure_date ELSE e.enrollment_date END`
      : 'e.enrollment_date';
  const enrollments: SqlPart[] = [
    `SELECT e.${BASIS_COLUMN}, ${rawColumns}, e.analysis_window_start, e.analysis_window_end,
    ${exposureColumns},
    ${d.addDays(anchor, window.startOffset)} AS window_first,
    ${d.addDays(anchor, window.endOffset)} AS window_last
  FROM (SELECT * FROM raw_enrollments CROSS JOIN ${d.stringRows(bases, 'b', BASIS_COLUMN)}) e`,
    // The signal is one part of the scan among others (its rows, not the scan's data source):
    // traced to its config item, and its data source's FROM to that data source.
    ...(signalExposures && signal !== null
      ? [
          `
  LEFT JOIN (
    SELECT * FROM (
`,
          ...indentParts(
            exposureSignalQuery(ctx, signal, window, 'raw_enrollments', { column: null, partial: true }),
            6,
          ),
          `
    ) WHERE num_exposure_events > 0
  ) x USING (analysis_id, branch)`,
        ]
      : []),
  ];

  const metricColumns: SqlPart[] = metrics.map((m) => {
    const expression = d.userSql(fillPlaceholders(m.selectExpression ?? 'NULL', { experiment_slug: slug }));
    return {
      text: `${expression} AS ${columnName(m.name, 'metric')}`,
      column: m.name,
      provenance: m.provenance,
    };
  });
  const rowBranchSql = rowBranch(d, ds, slug);
  // The row's branch is computed in a subquery over the data source, so the join condition stays
  // plain comparisons: DuckDB turns a join condition holding the map lookup (a lambda) into a
  // nested-loop join, 100× slower than the hash join on the client id.
  const branchInRow = rowBranchSql === null ? null : `ds.${ROW_BRANCH}`;
  const [contradictory, nonEnrolled] = sanityColumns(dsName, ds);
  if (branchInRow !== null) {
    metricColumns.push(`${d.anyTrue(`${branchInRow} != e.branch`)} AS ${contradictory}`);
    metricColumns.push(`${d.anyTrue(`${branchInRow} IS NULL`)} AS ${nonEnrolled}`);
  }
  // Data from the enrollment day itself counts only if the row already carries the experiment
  // (the client may have sent it before enrolling); tables without an experiments column can't tell.
  const firstDayFilter =
    branchInRow === null ? '' : `\n  AND ds.${UNENROLLED_DATE} IS DISTINCT FROM e.enrollment_date`;

  const from = fromExpression(ctx, ds, appDataset(spec));
  // The branch lookup (a list lambda over the experiments map) is computed once per row, in the
  // inner query; the outer one derives the unenrolled date from its result.
  const dataSourceRelation =
    rowBranchSql === null
      ? from
      : `(
    SELECT b.*, CASE WHEN b.${ROW_BRANCH} IS NULL THEN b.${d.userSql(ds.submissionDateColumn)} END AS ${UNENROLLED_DATE}
    FROM (
      SELECT ds.*, ${rowBranchSql} AS ${ROW_BRANCH}
      FROM ${from} ds
      WHERE ${submissionDate} BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)}
    ) b
  )`;
  const provenance: ColumnProvenance[] = metrics.map((m) => ({ name: m.name, provenance: m.provenance }));
  const header = provenanceHeader({
    spec,
    title: `metrics per client and analysis basis (data ${dates.first}..${dates.last})`,
    period: window.period,
    windowIndex: window.windowIndex,
    window,
    analysisBasis: bases.join(', '),
    dataSource: { name: input.dataSource, provenance: ds.provenance },
    columns: provenance,
  });
  // One group per basis and enrolled client: the enrollments table has one row per
  // (analysis_id, branch), so its other columns are the same in every row of a group and are
  // carried by ANY_VALUE rather than hashed and compared as keys (a third of the aggregation's
  // time at a million clients).
  const keys = [BASIS_COLUMN, 'analysis_id', 'branch'];
  const grouping = keys.map((c) => `e.${c}`);
  const carried = [BASIS_COLUMN, ...columns].map((c) =>
    keys.includes(c) ? `e.${c}` : `ANY_VALUE(e.${c}) AS ${c}`,
  );
  const { sql, references } = assembleSql([
    `${header}WITH raw_enrollments AS (
  ${rawEnrollments}
),
enrollments AS (
  `,
    ...enrollments,
    `
)
SELECT
  ${carried.join(',\n  ')},
  `,
    ...joinParts(metricColumns, ',\n  '),
    `
FROM enrollments e
LEFT JOIN `,
    { text: dataSourceRelation, column: null, provenance: ds.provenance },
    ` ds
  ON ds.${id} = e.analysis_id
  AND ${submissionDate} BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)}
  AND ${submissionDate} BETWEEN e.window_first AND e.window_last${firstDayFilter}
GROUP BY ${grouping.join(', ')}
`,
  ]);
  return {
    kind: 'metrics_scan',
    // Staged like the per-basis tables, which may be views over it: until the run publishes,
    // the published tables keep reading the previous run's scan.
    destination: {
      dataset: ctx.dataset,
      table: (ctx.results ?? PUBLISHED_NAMES).written(
        metricsScanTableName(spec.experiment.slug, input.dataSource, window.period, window.windowIndex),
      ),
    },
    sql,
    period: window.period,
    windowIndex: window.windowIndex,
    dataSource: input.dataSource,
    metrics: provenance,
    references,
  };
}

export interface BasisMetricsInput {
  window: AnalysisWindow;
  basis: AnalysisBasis;
  dataSource: string;
  metrics: MetricSpec[];
}

/**
 * jetstream's `<slug>_<basis>_<datasource>_<period>_<window>` table, split from the scan table:
 * the basis's rows and metrics with jetstream's columns. The warehouse decides whether it is a
 * table or a view over the scan (`mayBeView`): BigQuery keeps tables, which its wildcard queries
 * (how jetstream's consumers read these) can match; DuckDB keeps views, which cost nothing.
 */
export function renderBasisMetrics(ctx: PlanContext, input: BasisMetricsInput): PlannedQuery {
  const { spec, dialect: d } = ctx;
  const { window, basis, metrics } = input;
  const ds = dataSourceFor(ctx, input.dataSource, `metric ${metrics[0]?.name}`);
  const dsName = columnName(input.dataSource, 'data source');
  // This run's scan (staged with this table, so that publishing moves both together).
  const scanTable = metricsScanTableName(
    spec.experiment.slug,
    input.dataSource,
    window.period,
    window.windowIndex,
  );
  const scan = { dataset: ctx.dataset, table: (ctx.results ?? PUBLISHED_NAMES).written(scanTable) };
  const selected: SqlPart[] = [
    ...enrollmentColumns(spec),
    ...metrics.map((m) => ({ text: columnName(m.name, 'metric'), column: m.name, provenance: m.provenance })),
    ...sanityColumns(dsName, ds),
  ];
  const provenance: ColumnProvenance[] = metrics.map((m) => ({ name: m.name, provenance: m.provenance }));
  const header = provenanceHeader({
    spec,
    title: `metrics per client, split from ${scanTable}`,
    period: window.period,
    windowIndex: window.windowIndex,
    window,
    analysisBasis: basis,
    dataSource: { name: input.dataSource, provenance: ds.provenance },
    columns: provenance,
  });
  const { sql, references } = assembleSql([
    `${header}SELECT
  `,
    ...joinParts(selected, ',\n  '),
    `
FROM ${d.table(scan)}
WHERE ${BASIS_COLUMN} = ${d.stringLiteral(basis)}
`,
  ]);
  return {
    kind: 'metrics',
    destination: {
      dataset: ctx.dataset,
      table: (ctx.results ?? PUBLISHED_NAMES).written(
        metricsTableName(spec.experiment.slug, basis, input.dataSource, window.period, window.windowIndex),
      ),
    },
    sql,
    period: window.period,
    windowIndex: window.windowIndex,
    analysisBasis: basis,
    dataSource: input.dataSource,
    metrics: provenance,
    references,
    mayBeView: true,
  };
}

/**
 * Every metrics query of one window: per data source, one scan (the only query that reads the
 * data source) and then, per analysis basis, jetstream's table split from it.
 */
export function planMetrics(
  ctx: PlanContext,
  window: AnalysisWindow,
): { scans: PlannedQuery[]; metrics: PlannedQuery[] } {
  const byDataSource = new Map<string, MetricsScanInput['bases']>();
  for (const basis of basesFor(ctx.spec, window)) {
    for (const [dataSource, metrics] of metricsByDataSource(ctx.spec, window, basis)) {
      const list = byDataSource.get(dataSource) ?? [];
      list.push({ basis, metrics });
      byDataSource.set(dataSource, list);
    }
  }
  const scans: PlannedQuery[] = [];
  const split: PlannedQuery[] = [];
  for (const [dataSource, bases] of byDataSource) {
    scans.push(renderMetricsScan(ctx, { window, dataSource, bases }));
    for (const { basis, metrics } of bases) {
      split.push(renderBasisMetrics(ctx, { window, basis, dataSource, metrics }));
    }
  }
  return { scans, metrics: split };
}
