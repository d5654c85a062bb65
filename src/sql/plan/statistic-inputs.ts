import type {
  AnalysisBasis,
  AnalysisPeriod,
  AnalysisSpec,
  MetricSpec,
  StatisticSpec,
} from '../../config/spec.js';
import {
  type BranchBins,
  QUANTIZATION,
  type RequiredInput,
  requiredInput,
  StatisticConfigError,
  type ValueBin,
} from '../../statistics/index.js';
import { columnName, metricsTableName, statisticInputsTableName } from '../names.js';
import { type AnalysisWindow, windowDays } from '../windows.js';
import { PlanError, provenanceHeader, segmentColumns, where } from './common.js';
import { basesFor, metricsByDataSource } from './metrics.js';
import type { ColumnProvenance, PlanContext, PlannedQuery } from './types.js';

/**
 * Statistic inputs: each metrics table reduced to value histograms — rows
 * `(metric, kind, covariate_period, segment, branch, y, x, count)` — for every metric of the
 * table, every input kind its statistics need and every segment ('all' first). One query per
 * metrics table (bench/sql.ts measures it against one query per metric).
 *
 * Rows follow jetstream's subset queries: the basis filter (exposures: exposure_date not null),
 * the segment filter, and the covariate joined from the pre-enrollment table of the enrollments
 * basis. Unlike jetstream, clients whose metric is NULL are kept as a `y = NULL` bin so counts
 * per branch stay exact; a consumer reproducing jetstream drops those bins.
 */

export type InputKind =
  | { kind: 'values' }
  | { kind: 'covariate'; period: 'preenrollment_week' | 'preenrollment_days28'; metric: string }
  | { kind: 'ratio'; numerator: string; denominator: string };

export const PREENROLLMENT_PERIODS: readonly AnalysisPeriod[] = [
  'preenrollment_week',
  'preenrollment_days28',
];

export interface Quantization {
  /** Quantize a metric's values when it has more distinct values than this (over the whole table). */
  maxDistinctValues: number;
  /** Significant digits kept when quantizing. */
  significantDigits: number;
}

// The rule src/statistics applies to a branch's histogram, applied early so that continuous
// metrics do not leave the warehouse as one bin per client.
export const DEFAULT_QUANTIZATION: Quantization = {
  maxDistinctValues: QUANTIZATION.maxDistinct,
  significantDigits: QUANTIZATION.significantDigits,
};

/**
 * What a statistic needs from the warehouse for `metric` in `period`: src/statistics decides the
 * kind (jetstream's rule included: no covariate in pre-enrollment periods or the covariate's own);
 * this adds which covariate metric (`covariate_adjustment.metric`, default the metric itself) and
 * falls back to plain values when that covariate is not computed, as jetstream does.
 */
function inputKindFor(
  spec: AnalysisSpec,
  metric: MetricSpec,
  statistic: StatisticSpec,
  period: AnalysisPeriod,
): InputKind {
  let required: RequiredInput;
  try {
    required = requiredInput(statistic, period);
  } catch (error) {
    if (!(error instanceof StatisticConfigError)) throw error;
    throw new PlanError(
      `metric ${metric.name} (${where(metric.provenance)}): statistic ${statistic.name}: ${error.message}`,
    );
  }
  if (required.kind !== 'covariate') return required;
  const adjustment = statistic.params.covariate_adjustment;
  const named =
    adjustment && typeof adjustment === 'object' && !Array.isArray(adjustment)
      ? adjustment.metric
      : undefined;
  const covariateMetric = typeof named === 'string' ? named : metric.name;
  const computed = (spec.metrics[required.period] ?? []).some(
    (m) =>
      m.name === covariateMetric && m.selectExpression !== null && m.analysisBases.includes('enrollments'),
  );
  return computed
    ? { kind: 'covariate', period: required.period, metric: covariateMetric }
    : { kind: 'values' };
}

function kindKey(k: InputKind): string {
  return k.kind === 'covariate'
    ? `covariate:${k.period}:${k.metric}`
    : k.kind === 'ratio'
      ? `ratio:${k.numerator}:${k.denominator}`
      : 'values';
}

interface TableInputs {
  metric: MetricSpec;
  kind: InputKind;
}

/** The inputs one metrics table feeds: its own metrics' inputs plus ratios whose numerator lives there. */
function inputsForTable(
  spec: AnalysisSpec,
  window: AnalysisWindow,
  basis: AnalysisBasis,
  tableMetrics: MetricSpec[],
): TableInputs[] {
  const names = new Set(tableMetrics.map((m) => m.name));
  const inputs = new Map<string, TableInputs>();
  for (const metric of spec.metrics[window.period] ?? []) {
    if (!metric.analysisBases.includes(basis)) continue;
    for (const statistic of metric.statistics) {
      const kind = inputKindFor(spec, metric, statistic, window.period);
      const home = kind.kind === 'ratio' ? kind.numerator : metric.name;
      if (!names.has(home)) continue;
      if (kind.kind !== 'ratio' && metric.selectExpression === null) continue;
      inputs.set(`${metric.name}|${kindKey(kind)}`, { metric, kind });
    }
  }
  return [...inputs.values()];
}

export interface StatisticInputsQueryInput {
  window: AnalysisWindow;
  basis: AnalysisBasis;
  dataSource: string;
  metrics: MetricSpec[];
  quantization?: Quantization;
}

/** Data source of a metric of this period, for joining the table holding a ratio's denominator. */
function dataSourceOf(
  spec: AnalysisSpec,
  period: AnalysisPeriod,
  metricName: string,
  usedBy: MetricSpec,
): string {
  const found = (spec.metrics[period] ?? []).find((m) => m.name === metricName && m.dataSource !== null);
  if (!found?.dataSource) {
    throw new PlanError(
      `metric ${usedBy.name} (${where(usedBy.provenance)}) depends on ${metricName}, which is not computed for period ${period}`,
    );
  }
  return found.dataSource;
}

export function renderStatisticInputsQuery(
  ctx: PlanContext,
  input: StatisticInputsQueryInput,
): PlannedQuery | null {
  const { spec, dialect: d } = ctx;
  const { window, basis } = input;
  const q = input.quantization ?? DEFAULT_QUANTIZATION;
  const inputs = inputsForTable(spec, window, basis, input.metrics);
  if (inputs.length === 0) return null;
  const slug = spec.experiment.slug;
  const segments = segmentColumns(spec);
  const metricsTable = {
    dataset: ctx.dataset,
    table: metricsTableName(slug, basis, input.dataSource, window.period, window.windowIndex),
  };
  const basisFilter =
    basis === 'exposures'
      ? 'm.enrollment_date IS NOT NULL AND m.exposure_date IS NOT NULL'
      : 'm.enrollment_date IS NOT NULL';

  const joins: string[] = [];
  const joinedTables: { alias: string; ref: { dataset: string; table: string }; covariate: boolean }[] = [];
  const selects: string[] = [];
  const ctes: string[] = [];
  const columnsOf = (k: TableInputs): { y: string; x: string | null } => {
    const metric = columnName(k.metric.name, 'metric');
    if (k.kind.kind === 'values') return { y: `m.${metric}`, x: null };
    if (k.kind.kind === 'covariate') {
      const covDs = dataSourceOf(spec, k.kind.period, k.kind.metric, k.metric);
      const ref = {
        dataset: ctx.dataset,
        table: metricsTableName(slug, 'enrollments', covDs, k.kind.period, 1),
      };
      let alias = joinedTables.find((t) => t.ref.table === ref.table)?.alias;
      if (!alias) {
        alias = `j_${joinedTables.length}`;
        joinedTables.push({ alias, ref, covariate: true });
        joins.push(`LEFT JOIN ${d.table(ref)} ${alias} USING (analysis_id, branch)`);
      }
      return { y: `m.${metric}`, x: `${alias}.${columnName(k.kind.metric, 'metric')}` };
    }
    const denominatorDs = dataSourceOf(spec, window.period, k.kind.denominator, k.metric);
    let denominatorAlias = 'm';
    if (denominatorDs !== input.dataSource) {
      const ref = {
        dataset: ctx.dataset,
        table: metricsTableName(slug, basis, denominatorDs, window.period, window.windowIndex),
      };
      denominatorAlias =
        joinedTables.find((t) => t.ref.table === ref.table)?.alias ?? `j_${joinedTables.length}`;
      if (!joinedTables.some((t) => t.alias === denominatorAlias)) {
        joinedTables.push({ alias: denominatorAlias, ref, covariate: false });
        joins.push(`LEFT JOIN ${d.table(ref)} ${denominatorAlias} USING (analysis_id, branch)`);
      }
    }
    return {
      y: `m.${columnName(k.kind.numerator, 'metric')}`,
      x: `${denominatorAlias}.${columnName(k.kind.denominator, 'metric')}`,
    };
  };

  // One base column per distinct expression: a metric's values feed several input kinds.
  const baseExpressions = new Map<string, string>();
  const baseColumn = (expression: string): string => {
    let name = baseExpressions.get(expression);
    if (!name) {
      name = `v_${baseExpressions.size}`;
      baseExpressions.set(expression, name);
    }
    return name;
  };
  const kindColumns = inputs.map((k) => {
    const { y, x } = columnsOf(k);
    return { k, y: baseColumn(y), x: x === null ? null : baseColumn(x) };
  });
  const baseColumns = [
    'm.branch',
    ...segments.map((s) => `m.${s}`),
    ...[...baseExpressions].map(([expression, name]) => `${d.toFloat(expression)} AS ${name}`),
  ];
  ctes.push(`base AS (
  SELECT
    ${baseColumns.join(',\n    ')}
  FROM ${d.table(metricsTable)} m${joins.map((j) => `\n  ${j}`).join('')}
  WHERE ${basisFilter}
)`);
  // Distinct values per branch decide quantization, as src/statistics does for a branch's histogram.
  ctes.push(`distinct_values AS (
  SELECT
    branch,
    ${[...baseExpressions.values()].map((name) => `COUNT(DISTINCT ${name}) AS ${name}`).join(',\n    ')}
  FROM base
  GROUP BY branch
)`);
  const quantized = (column: string): string =>
    `CASE WHEN n.${column} > ${q.maxDistinctValues} THEN ${d.roundSignificant(`b.${column}`, q.significantDigits)} ELSE b.${column} END`;
  for (const { k, y, x } of kindColumns) {
    const covariatePeriod =
      k.kind.kind === 'covariate' ? d.stringLiteral(k.kind.period) : d.typedNull('string');
    for (const segment of ['all', ...segments]) {
      selects.push(`SELECT
  ${d.stringLiteral(k.metric.name)} AS metric, ${d.stringLiteral(k.kind.kind)} AS kind, ${covariatePeriod} AS covariate_period,
  ${d.stringLiteral(segment)} AS segment, branch, y, x, COUNT(*) AS count
FROM (
  SELECT b.branch, ${quantized(y)} AS y, ${x ? quantized(x) : d.typedNull('float')} AS x
  FROM base b JOIN distinct_values n ON n.branch = b.branch${segment === 'all' ? '' : `\n  WHERE b.${segment}`}
) v
GROUP BY branch, y, x`);
    }
  }

  const provenance: ColumnProvenance[] = inputs.map((k) => ({
    name: `${k.metric.name} (${kindKey(k.kind)}: ${k.metric.statistics.map((s) => s.name).join(', ')})`,
    provenance: k.metric.provenance,
  }));
  const header = provenanceHeader({
    spec,
    title: `statistic inputs (value histograms) from ${metricsTable.table}`,
    period: window.period,
    windowIndex: window.windowIndex,
    window,
    analysisBasis: basis,
    columns: provenance,
  });
  const sql = `${header}WITH ${ctes.join(',\n')}
${selects.join('\nUNION ALL\n')}
`;
  const covariateTables = joinedTables.filter((t) => t.covariate);
  const planned: PlannedQuery = {
    kind: 'statistic_inputs',
    destination: {
      dataset: ctx.dataset,
      table: statisticInputsTableName(slug, basis, input.dataSource, window.period, window.windowIndex),
    },
    sql,
    period: window.period,
    windowIndex: window.windowIndex,
    analysisBasis: basis,
    dataSource: input.dataSource,
    metrics: input.metrics.map((m) => ({ name: m.name, provenance: m.provenance })),
  };
  if (covariateTables.length > 0) {
    // jetstream falls back to unadjusted statistics when the pre-enrollment table is missing.
    const fallbackSpec = stripCovariates(spec);
    const fallback = renderStatisticInputsQuery({ ...ctx, spec: fallbackSpec }, input);
    if (fallback) {
      planned.fallback = {
        whenMissing: covariateTables.map((t) => t.ref),
        sql: fallback.sql,
        reason: 'pre-enrollment covariate table missing: inputs without covariate adjustment',
      };
    }
  }
  return planned;
}

function stripCovariates(spec: AnalysisSpec): AnalysisSpec {
  const metrics = { ...spec.metrics };
  for (const [period, list] of Object.entries(spec.metrics) as [AnalysisPeriod, MetricSpec[]][]) {
    metrics[period] = list.map((m) => ({
      ...m,
      statistics: m.statistics.map((s) => {
        const { covariate_adjustment: _dropped, ...params } = s.params;
        return { ...s, params };
      }),
    }));
  }
  return { ...spec, metrics };
}

/** Statistic-input queries of one window: one per metrics table that has statistics. */
export function planStatisticInputs(
  ctx: PlanContext,
  window: AnalysisWindow,
  quantization?: Quantization,
): PlannedQuery[] {
  const planned: PlannedQuery[] = [];
  for (const basis of basesFor(ctx.spec, window)) {
    for (const [dataSource, metrics] of metricsByDataSource(ctx.spec, window, basis)) {
      const query = renderStatisticInputsQuery(ctx, {
        window,
        basis,
        dataSource,
        metrics,
        ...(quantization ? { quantization } : {}),
      });
      if (query) planned.push(query);
    }
  }
  return planned;
}

/** A row of a statistic-inputs table as `Warehouse.query` returns it. */
export interface StatisticInputRow {
  metric: string;
  kind: InputKind['kind'];
  covariate_period: string | null;
  segment: string;
  branch: string;
  y: number | null;
  x: number | null;
  count: number;
}

/** The bins of one metric, input kind, covariate period and segment, per branch. */
export interface StatisticInputGroup {
  metric: string;
  kind: string;
  covariatePeriod: string | null;
  segment: string;
  windowDays: number;
  branches: BranchBins[];
}

/** The key of a group in groupStatisticInputRows' map. */
export function statisticInputKey(
  metric: string,
  kind: string,
  covariatePeriod: string | null,
  segment: string,
): string {
  return [metric, kind, covariatePeriod ?? '', segment].join('|');
}

/** Bins per (metric, kind, covariate_period, segment), branches in first-seen order. */
export function groupStatisticInputRows(
  rows: StatisticInputRow[],
  window: Pick<AnalysisWindow, 'startOffset' | 'endOffset'>,
): Map<string, StatisticInputGroup> {
  const groups = new Map<string, StatisticInputGroup>();
  for (const row of rows) {
    const key = statisticInputKey(row.metric, row.kind, row.covariate_period, row.segment);
    let group = groups.get(key);
    if (!group) {
      group = {
        metric: row.metric,
        kind: row.kind,
        covariatePeriod: row.covariate_period,
        segment: row.segment,
        windowDays: windowDays(window),
        branches: [],
      };
      groups.set(key, group);
    }
    let branch = group.branches.find((b) => b.branch === row.branch);
    if (!branch) {
      branch = { branch: row.branch, bins: [] };
      group.branches.push(branch);
    }
    const bin: ValueBin =
      row.kind === 'values'
        ? { y: row.y, count: Number(row.count) }
        : { y: row.y, x: row.x, count: Number(row.count) };
    branch.bins.push(bin);
  }
  return groups;
}
