import { PERIOD_CONFIG_KEYS, type PeriodConfigKey } from './spec.js';

/**
 * The statistics a config may name under `[metrics.<name>.statistics]`, with the parameters
 * each accepts (jetstream passes them to the statistic as keyword arguments, so any other
 * parameter would fail at analysis time; contrail rejects it when the config is read).
 * `src/statistics` implements these; keep the two in step.
 */
export const STATISTIC_PARAMS = {
  bootstrap_mean: ['num_samples', 'drop_highest', 'confidence_interval'],
  binomial: ['confidence_interval'],
  deciles: ['num_samples', 'confidence_interval'],
  count: [],
  sum: [],
  linear_model_mean: ['drop_highest', 'covariate_adjustment'],
  per_client_dau_impact: ['drop_highest', 'covariate_adjustment'],
  population_ratio: ['numerator', 'denominator', 'num_samples', 'drop_highest', 'confidence_interval'],
  kernel_density_estimate: ['bandwidth', 'adjust', 'kernel', 'grid_size', 'log_space'],
  empirical_cdf: ['log_space', 'grid_size'],
} as const satisfies Record<string, readonly string[]>;
export type StatisticName = keyof typeof STATISTIC_PARAMS;
export const STATISTIC_NAMES = Object.keys(STATISTIC_PARAMS) as StatisticName[];

/** Parameters a statistic cannot do without. */
export const REQUIRED_STATISTIC_PARAMS: Partial<Record<StatisticName, readonly string[]>> = {
  population_ratio: ['numerator', 'denominator'],
};

/** Pre-treatments (per-client transforms before a statistic), with the arguments each accepts. */
export const PRE_TREATMENT_ARGS = {
  remove_nulls: [],
  remove_indefinites: [],
  zero_fill: [],
  censor_highest_values: ['fraction'],
  censor_lowest_values: ['fraction'],
  censor_values_below_threshold: ['threshold'],
  censor_values_above_threshold: ['threshold'],
  normalize_over_analysis_period: ['analysis_period_length'],
  log: ['base'],
} as const satisfies Record<string, readonly string[]>;
export type PreTreatmentName = keyof typeof PRE_TREATMENT_ARGS;
export const PRE_TREATMENT_NAMES = Object.keys(PRE_TREATMENT_ARGS) as PreTreatmentName[];

export const REQUIRED_PRE_TREATMENT_ARGS: Partial<Record<PreTreatmentName, readonly string[]>> = {
  censor_values_below_threshold: ['threshold'],
  censor_values_above_threshold: ['threshold'],
};

/** `[metrics]` list keys, in the order jetstream documents them. */
export const PERIOD_KEYS = Object.keys(PERIOD_CONFIG_KEYS) as PeriodConfigKey[];

/**
 * Names people write for a period list that are not list keys: jetstream's own period names
 * (`week`, `days28`, ...) are the usual mistake, and upstream crashes or silently ignores them.
 */
export const PERIOD_KEY_ALIASES: Record<string, PeriodConfigKey> = {
  day: 'daily',
  week: 'weekly',
  days28: '28_day',
  days_28: '28_day',
  day28: '28_day',
  monthly: '28_day',
  preenrollment_week: 'preenrollment_weekly',
  preenrollment_28_day: 'preenrollment_days28',
};

/** Platforms (app names) jetstream analyses; config dirs may hold more (they are only read). */
export const ANALYSED_PLATFORMS = [
  'firefox_desktop',
  'fenix',
  'focus_android',
  'klar_android',
  'firefox_ios',
  'focus_ios',
  'klar_ios',
] as const;
