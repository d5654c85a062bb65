import type { AnalysisPeriod } from '../../config/periods.js';
import type { AnalysisBasis, AnalysisSpec, MetricSpec } from '../../config/spec.js';
import { QUANTIZATION } from '../../statistics/index.js';
import { columnName, metricsTableName, statisticInputsTableName } from '../names.js';
import { type AnalysisWindow, windowsThrough } from '../windows.js';
import { provenanceHeader, segmentColumns } from './common.js';
import { basesFor, metricsByDataSource } from './metrics.js';
import { dataSourceOf, inputsForTable, kindKey, type TableInputs } from './statistic-input-kinds.js';
import { type ColumnProvenance, type PlanContext, type PlannedQuery, PUBLISHED_NAMES } from './types.js';

/**
 * Statistic inputs: each metrics table reduced to value histograms — rows
 * `(metric, kind, covariate_period, segment, branch, y, x, count)` — for every metric of the
 * table, every input kind its statistics need and every segment ('all' first). One query per
 * metrics table: it reads the table once into `base`, builds each column's exact histogram, and
 * quantizes histograms, not clients (half the time of counting distinct values per client row).
 *
 * Rows follow jetstream's subset queries: the basis filter (exposures: exposure_date not null),
 * the segment filter, and the covariate joined from the pre-enrollment table of the enrollments
 * basis. Unlike jetstream, clients whose metric is NULL are kept as a `y = NULL` bin so counts
 * per branch stay exact; a consumer reproducing jetstream drops those bins.
 */

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

export interface StatisticInputsQueryInput {
  window: AnalysisWindow;
  basis: AnalysisBasis;
  dataSource: string;
  metrics: MetricSpec[];
  quantization?: Quantization;
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
  const { date } = ctx;
  if (
    date !== undefined &&
    inputs.some(
      (k) => k.kind.kind === 'covariate' && windowsThrough(spec, date, [k.kind.period]).length === 0,
    )
  ) {
    // A pre-enrollment period is computed on its due date: before it, no analysis has its
    // table, so none adjusts for it, whatever another analysis running at the same time wrote.
    return renderStatisticInputsQuery({ ...ctx, spec: stripCovariates(spec) }, input);
  }
  const slug = spec.experiment.slug;
  const segments = segmentColumns(spec);
  // Metrics tables this run wrote are read from its staged copies; a covariate from an earlier run from the published table.
  const results = ctx.results ?? PUBLISHED_NAMES;
  const metricsTable = {
    dataset: ctx.dataset,
    table: results.read(metricsTableName(slug, basis, input.dataSource, window.period, window.windowIndex)),
  };
  const basisFilter =
    basis === 'exposures'
      ? 'm.enrollment_date IS NOT NULL AND m.exposure_date IS NOT NULL'
      : 'm.enrollment_date IS NOT NULL';

  const joins: string[] = [];
  const joinedTables: {
    alias: string;
    ref: { dataset: string; table: string };
    covariate: AnalysisPeriod | null;
  }[] = [];
  const selects: string[] = [];
  const ctes: string[] = [];
  const columnsOf = (k: TableInputs): { y: string; x: string | null } => {
    const metric = columnName(k.metric.name, 'metric');
    if (k.kind.kind === 'values') return { y: `m.${metric}`, x: null };
    if (k.kind.kind === 'covariate') {
      const covDs = dataSourceOf(spec, k.kind.period, k.kind.metric, k.metric);
      const ref = {
        dataset: ctx.dataset,
        table: results.read(metricsTableName(slug, 'enrollments', covDs, k.kind.period, 1)),
      };
      let alias = joinedTables.find((t) => t.ref.table === ref.table)?.alias;
      if (!alias) {
        alias = `j_${joinedTables.length}`;
        joinedTables.push({ alias, ref, covariate: k.kind.period });
        joins.push(`LEFT JOIN ${d.table(ref)} ${alias} USING (analysis_id, branch)`);
      }
      return { y: `m.${metric}`, x: `${alias}.${columnName(k.kind.metric, 'metric')}` };
    }
    const denominatorDs = dataSourceOf(spec, window.period, k.kind.denominator, k.metric);
    let denominatorAlias = 'm';
    if (denominatorDs !== input.dataSource) {
      const ref = {
        dataset: ctx.dataset,
        table: results.read(metricsTableName(slug, basis, denominatorDs, window.period, window.windowIndex)),
      };
      denominatorAlias =
        joinedTables.find((t) => t.ref.table === ref.table)?.alias ?? `j_${joinedTables.length}`;
      if (!joinedTables.some((t) => t.alias === denominatorAlias)) {
        joinedTables.push({ alias: denominatorAlias, ref, covariate: null });
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
  // Exact histograms first, one per base column and segment (a column whose values feed only
  // pairs needs its 'all' one, for its distinct count): one pass over the clients each. The
  // distinct values per branch, which decide quantization as src/statistics does for a branch's
  // histogram, are then the histogram's non-null bins, and quantizing re-bins a histogram
  // rather than every client.
  const names = [...baseExpressions.values()];
  const valueColumns = new Set(kindColumns.filter((c) => c.x === null).map((c) => c.y));
  const histogramSelects: string[] = [];
  names.forEach((name, index) => {
    for (const segment of ['all', ...segments]) {
      if (segment !== 'all' && !valueColumns.has(name)) continue;
      histogramSelects.push(
        `SELECT ${index} AS col, ${d.stringLiteral(segment)} AS segment, branch, ${name} AS v, COUNT(*) AS n
  FROM base${segment === 'all' ? '' : ` WHERE ${segment}`}
  GROUP BY branch, ${name}`,
      );
    }
  });
  ctes.push(`histograms AS (
  ${histogramSelects.join('\n  UNION ALL\n  ')}
)`);
  ctes.push(`distinct_values AS (
  SELECT col, branch, COUNT(v) AS n
  FROM histograms
  WHERE segment = 'all'
  GROUP BY col, branch
)`);
  const quantized = (column: string, distinct: string): string =>
    `CASE WHEN ${distinct} > ${q.maxDistinctValues} THEN ${d.roundSignificant(column, q.significantDigits)} ELSE ${column} END`;
  const columnIndex = (name: string): number => names.indexOf(name);
  for (const { k, y, x } of kindColumns) {
    const covariatePeriod =
      k.kind.kind === 'covariate' ? d.stringLiteral(k.kind.period) : d.typedNull('string');
    const labels = `${d.stringLiteral(k.metric.name)} AS metric, ${d.stringLiteral(k.kind.kind)} AS kind, ${covariatePeriod} AS covariate_period`;
    const binned =
      x === null
        ? `SELECT h.segment, h.branch, ${quantized('h.v', 'dy.n')} AS y, ${d.typedNull('float')} AS x, h.n
  FROM histograms h
  JOIN distinct_values dy ON dy.col = h.col AND dy.branch = h.branch
  WHERE h.col = ${columnIndex(y)}`
        : `SELECT p.segment, p.branch, ${quantized('p.y', 'dy.n')} AS y, ${quantized('p.x', 'dx.n')} AS x, p.n
  FROM (
    ${['all', ...segments]
      .map(
        (
          segment,
        ) => `SELECT ${d.stringLiteral(segment)} AS segment, branch, ${y} AS y, ${x} AS x, COUNT(*) AS n
    FROM base${segment === 'all' ? '' : ` WHERE ${segment}`}
    GROUP BY branch, ${y}, ${x}`,
      )
      .join('\n    UNION ALL\n    ')}
  ) p
  JOIN distinct_values dy ON dy.col = ${columnIndex(y)} AND dy.branch = p.branch
  JOIN distinct_values dx ON dx.col = ${columnIndex(x)} AND dx.branch = p.branch`;
    selects.push(`SELECT
  ${labels},
  segment, branch, y, x, SUM(n) AS count
FROM (
  ${binned}
) v
GROUP BY segment, branch, y, x`);
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
  const covariateTables = joinedTables.filter((t) => t.covariate !== null);
  const planned: PlannedQuery = {
    kind: 'statistic_inputs',
    // Staged like the metrics tables it reduces: a run stopped part way leaves no histogram
    // under a published name beside the previous run's statistics.
    destination: {
      dataset: ctx.dataset,
      table: results.written(
        statisticInputsTableName(slug, basis, input.dataSource, window.period, window.windowIndex),
      ),
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
        periods: [...new Set(covariateTables.map((t) => t.covariate as AnalysisPeriod))],
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
