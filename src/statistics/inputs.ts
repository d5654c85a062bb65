/**
 * What the warehouse hands the statistics engine: aggregates, never one row per client.
 * `src/sql` renders queries producing these shapes; `src/statistics` consumes them.
 *
 * One bin = `count` clients of one branch that had the same value(s). A histogram over
 * distinct values is an exact summary for every jetstream statistic (a Bayesian bootstrap
 * with Dirichlet weights over distinct values and their counts is the same estimator as over
 * raw rows); linear models read their sufficient statistics off the same bins.
 */
export interface ValueBin {
  /** The metric value (null = missing for that client). */
  y: number | null;
  /**
   * Second value where the statistic needs one: the pre-period covariate for
   * linear_model_mean / per_client_dau_impact, or the denominator for population_ratio
   * (whose `y` is the numerator). Absent otherwise.
   */
  x?: number | null;
  count: number;
}

export interface BranchBins {
  branch: string;
  bins: ValueBin[];
}

/** Input for one (metric, statistic, segment, analysis basis, window). */
export interface StatisticInput {
  metric: string;
  branches: BranchBins[];
  /** Length of the analysis window in days (for normalize_over_analysis_period). */
  windowDays: number;
}
