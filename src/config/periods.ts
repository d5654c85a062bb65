/**
 * Analysis periods: the names jetstream gives them, how config files and published views name
 * them. Plain data, apart from the analysis spec: the CLI's option parser takes them without
 * loading zod, and workflow inputs without building the spec's schemas (a workflow evaluates
 * the modules it imports anew for each run). Schemas take them as `z.enum(ANALYSIS_PERIODS)`.
 */

/** Analysis periods, in jetstream's names. */
export const ANALYSIS_PERIODS = [
  'day',
  'week',
  'days28',
  'overall',
  'preenrollment_week',
  'preenrollment_days28',
] as const;
export type AnalysisPeriod = (typeof ANALYSIS_PERIODS)[number];

/** `[metrics]` list keys in config files → the period they select. */
export const PERIOD_CONFIG_KEYS = {
  daily: 'day',
  weekly: 'week',
  '28_day': 'days28',
  overall: 'overall',
  preenrollment_weekly: 'preenrollment_week',
  preenrollment_days28: 'preenrollment_days28',
} as const satisfies Record<string, AnalysisPeriod>;
export type PeriodConfigKey = keyof typeof PERIOD_CONFIG_KEYS;

/** View-name suffixes jetstream uses per period. */
export const PERIOD_VIEW_SUFFIX = {
  day: 'daily',
  week: 'weekly',
  days28: 'days28',
  overall: 'overall',
  preenrollment_week: 'preenrollment_weekly',
  preenrollment_days28: 'preenrollment_days28',
} as const satisfies Record<AnalysisPeriod, string>;
