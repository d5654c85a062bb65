import type { AnalysisPeriod } from '../../config/periods.js';
import type { AnalysisBasis, AnalysisSpec, MetricSpec } from '../../config/spec.js';
import { type RequiredInput, requiredInput, StatisticConfigError } from '../../statistics/index.js';
import type { StatisticSpec } from '../../statistics/spec.js';
import type { AnalysisWindow } from '../windows.js';
import { PlanError, where } from './common.js';

/**
 * Which inputs a metrics table feeds: per metric, what its statistics need from the warehouse
 * (plain values, values with a pre-period covariate, or a ratio's numerator and denominator).
 */

export type InputKind =
  | { kind: 'values' }
  | { kind: 'covariate'; period: 'preenrollment_week' | 'preenrollment_days28'; metric: string }
  | { kind: 'ratio'; numerator: string; denominator: string };

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

export function kindKey(k: InputKind): string {
  return k.kind === 'covariate'
    ? `covariate:${k.period}:${k.metric}`
    : k.kind === 'ratio'
      ? `ratio:${k.numerator}:${k.denominator}`
      : 'values';
}

export interface TableInputs {
  metric: MetricSpec;
  kind: InputKind;
}

/** The inputs one metrics table feeds: its own metrics' inputs plus ratios whose numerator lives there. */
export function inputsForTable(
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

/** Data source of a metric of this period, for joining the table holding a ratio's denominator. */
export function dataSourceOf(
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
