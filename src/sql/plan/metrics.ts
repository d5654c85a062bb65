import type { AnalysisBasis, AnalysisSpec, DataSourceSpec, MetricSpec } from '../../config/spec.js';
import { ANALYSIS_BASES } from '../../config/spec.js';
import type { SqlDialect } from '../dialect.js';
import { columnName, enrollmentsTableName, metricsTableName } from '../names.js';
import { type AnalysisWindow, dataDateRange } from '../windows.js';
import {
  appDataset,
  dataSourceFor,
  experimentSlug,
  fillPlaceholders,
  fromExpression,
  indent,
  provenanceHeader,
  segmentColumns,
  where,
} from './common.js';
import { exposureSignalQuery } from './exposure.js';
import type { ColumnProvenance, PlanContext, PlannedQuery } from './types.js';

/**
 * Metrics per client for one window: one query per (analysis basis, data source), computing every
 * metric of that data source in one SELECT over one scan (jetstream `calculate_metric_for_ds` /
 * mozanalysis `build_metrics_query`). Rows: every enrolled client, with the enrollment columns,
 * the window bounds, exposure columns, the metrics and the data source's sanity columns.
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

export interface MetricsQueryInput {
  window: AnalysisWindow;
  basis: AnalysisBasis;
  dataSource: string;
  metrics: MetricSpec[];
}

export function renderMetricsQuery(ctx: PlanContext, input: MetricsQueryInput): PlannedQuery {
  const { spec, dialect: d } = ctx;
  const { window, basis, metrics } = input;
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
  // Without a custom signal the exposures basis measures each window from the exposure date.
  const anchor = basis === 'exposures' && signal === null ? 'exposure_date' : 'enrollment_date';
  const submissionDate = `ds.${d.userSql(ds.submissionDateColumn)}`;
  const id = d.userSql(spec.analysisUnit === 'profile_group' ? ds.groupIdColumn : ds.clientIdColumn);

  const enrollmentColumns = [
    'analysis_id',
    'branch',
    'enrollment_date',
    'num_enrollment_events',
    ...segments,
    'analysis_window_start',
    'analysis_window_end',
    'exposure_date',
    'num_exposure_events',
  ];
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
  // The exposures basis with a custom signal re-derives exposure from the signal over this window.
  const exposureJoin =
    basis === 'exposures' && signal !== null
      ? `LEFT JOIN (
    SELECT * FROM (
${indent(exposureSignalQuery(ctx, signal, window, 'raw_enrollments'), 6)}
    ) WHERE num_exposure_events > 0
  ) x USING (analysis_id, branch)`
      : null;
  const exposureColumns = exposureJoin
    ? 'x.exposure_date, x.num_exposure_events'
    : 'e.exposure_date, e.num_exposure_events';
  const enrollments = `SELECT ${rawColumns}, e.analysis_window_start, e.analysis_window_end, ${exposureColumns}
  FROM raw_enrollments e${exposureJoin ? `\n  ${exposureJoin}` : ''}`;

  const columns: string[] = metrics.map((m) => {
    const expression = d.userSql(fillPlaceholders(m.selectExpression ?? 'NULL', { experiment_slug: slug }));
    return `${expression} AS ${columnName(m.name, 'metric')}`;
  });
  const rowBranchSql = rowBranch(d, ds, slug);
  // The row's branch is computed in a subquery over the data source, so the join condition stays
  // plain comparisons: DuckDB turns a join condition holding the map lookup (a lambda) into a
  // nested-loop join, 100× slower than the hash join on the client id.
  const branchInRow = rowBranchSql === null ? null : `ds.${ROW_BRANCH}`;
  const [contradictory, nonEnrolled] = sanityColumns(dsName, ds);
  if (branchInRow !== null) {
    columns.push(`${d.anyTrue(`${branchInRow} != e.branch`)} AS ${contradictory}`);
    columns.push(`${d.anyTrue(`${branchInRow} IS NULL`)} AS ${nonEnrolled}`);
  }
  // Data from the enrollment day itself counts only if the row already carries the experiment
  // (the client may have sent it before enrolling); tables without an experiments column can't tell.
  const firstDayFilter =
    branchInRow === null ? '' : `\n  AND ds.${UNENROLLED_DATE} IS DISTINCT FROM e.enrollment_date`;

  const from = fromExpression(ctx, ds, appDataset(spec));
  const dataSourceRelation =
    rowBranchSql === null
      ? from
      : `(\n    SELECT ds.*, ${rowBranchSql} AS ${ROW_BRANCH},\n      CASE WHEN ${rowBranchSql} IS NULL THEN ${submissionDate} END AS ${UNENROLLED_DATE}\n    FROM ${from} ds\n    WHERE ${submissionDate} BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)}\n  )`;
  const destination = {
    dataset: ctx.dataset,
    table: metricsTableName(spec.experiment.slug, basis, input.dataSource, window.period, window.windowIndex),
  };
  const provenance: ColumnProvenance[] = metrics.map((m) => ({ name: m.name, provenance: m.provenance }));
  const header = provenanceHeader({
    spec,
    title: `metrics per client (data ${dates.first}..${dates.last})`,
    period: window.period,
    windowIndex: window.windowIndex,
    window,
    analysisBasis: basis,
    dataSource: { name: input.dataSource, provenance: ds.provenance },
    columns: provenance,
  });
  const sql = `${header}WITH raw_enrollments AS (
  ${rawEnrollments}
),
enrollments AS (
  ${enrollments}
)
SELECT
  ${enrollmentColumns.map((c) => `e.${c}`).join(',\n  ')},
  ${columns.join(',\n  ')}
FROM enrollments e
LEFT JOIN ${dataSourceRelation} ds
  ON ds.${id} = e.analysis_id
  AND ${submissionDate} BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)}
  AND ${submissionDate} BETWEEN ${d.addDays(`e.${anchor}`, window.startOffset)} AND ${d.addDays(`e.${anchor}`, window.endOffset)}${firstDayFilter}
GROUP BY ${enrollmentColumns.map((c) => `e.${c}`).join(', ')}
`;
  return {
    kind: 'metrics',
    destination,
    sql,
    period: window.period,
    windowIndex: window.windowIndex,
    analysisBasis: basis,
    dataSource: input.dataSource,
    metrics: provenance,
  };
}

/** Every metrics query of one window: per analysis basis, one per data source. */
export function planMetrics(ctx: PlanContext, window: AnalysisWindow): PlannedQuery[] {
  const planned: PlannedQuery[] = [];
  for (const basis of basesFor(ctx.spec, window)) {
    for (const [dataSource, metrics] of metricsByDataSource(ctx.spec, window, basis)) {
      planned.push(renderMetricsQuery(ctx, { window, basis, dataSource, metrics }));
    }
  }
  return planned;
}
