import type { AnalysisPeriod } from '../../config/periods.js';
import type { AnalysisSpec } from '../../config/spec.js';
import type { IsoDate } from '../../dates.js';
import { assertDataset } from '../../warehouse/identifiers.js';
import type { SqlDialect } from '../dialect.js';
import { type AnalysisWindow, windowsDueOn } from '../windows.js';
import { planEnrollments } from './enrollments.js';
import { planMetrics } from './metrics.js';
import { PREENROLLMENT_PERIODS, planStatisticInputs, type Quantization } from './statistic-inputs.js';
import type { PlanContext, PlannedQuery, ResultTableNames } from './types.js';

/**
 * Everything one analysis window computes. Run order: enrollments; then every window's metrics
 * scans, then its metrics (windows are listed pre-enrollment first); then statistic inputs, which
 * read metrics tables (their own, a ratio's denominator table, the pre-enrollment covariate table).
 */
export interface WindowPlan {
  window: AnalysisWindow;
  /** One per data source, the only queries reading data sources; independent of each other; all need the enrollments table. */
  metricsScans: PlannedQuery[];
  /** jetstream's metrics tables, one per (basis, data source); each needs the scan of its data source. */
  metrics: PlannedQuery[];
  /** Each needs its metrics table (and covariate / denominator tables named in its SQL). */
  statisticInputs: PlannedQuery[];
}

export interface AnalysisPlan {
  date: IsoDate;
  /** Null when nothing is due. Jetstream creates it once and keeps an existing one. */
  enrollments: PlannedQuery | null;
  windows: WindowPlan[];
  /** Every window's metrics scans and metrics queries, in run order (scans of a window before its splits). */
  metrics: PlannedQuery[];
  statisticInputs: PlannedQuery[];
}

export interface PlanAnalysisOptions {
  dataset: string;
  /** The warehouse's SQL dialect (`Warehouse.sqlDialect`). */
  dialect: SqlDialect;
  /** Only these periods (default: all). */
  periods?: AnalysisPeriod[];
  quantization?: Quantization;
  /** Names of the result tables the run writes and reads; default: the published names. */
  results?: ResultTableNames;
}

/** Plans (renders, does not run) every query of the analysis of `spec` on `date`. */
export function planAnalysis(spec: AnalysisSpec, date: IsoDate, options: PlanAnalysisOptions): AnalysisPlan {
  const ctx: PlanContext = {
    spec,
    dataset: assertDataset(options.dataset),
    dialect: options.dialect,
    date,
    ...(options.results ? { results: options.results } : {}),
  };
  // Pre-enrollment windows first: other windows' statistic inputs join their tables as covariates.
  const windows = windowsDueOn(spec, date, options.periods)
    .filter((w) => (spec.metrics[w.period] ?? []).length > 0)
    .sort(
      (a, b) =>
        Number(PREENROLLMENT_PERIODS.includes(b.period)) - Number(PREENROLLMENT_PERIODS.includes(a.period)),
    );
  // jetstream ensures the enrollments table whenever a day window is due (from the last enrollment date on).
  const enrollmentsDue = windowsDueOn(spec, date, ['day']).length > 0 || windows.length > 0;
  const windowPlans = windows.map((window) => {
    const { scans, metrics } = planMetrics(ctx, window);
    return {
      window,
      metricsScans: scans,
      metrics,
      statisticInputs: planStatisticInputs(ctx, window, options.quantization),
    };
  });
  return {
    date,
    enrollments: enrollmentsDue ? planEnrollments(ctx) : null,
    windows: windowPlans,
    metrics: windowPlans.flatMap((w) => [...w.metricsScans, ...w.metrics]),
    statisticInputs: windowPlans.flatMap((w) => w.statisticInputs),
  };
}
