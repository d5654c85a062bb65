import { z } from 'zod';

/**
 * Analysis periods: the names jetstream gives them, how config files and published views name
 * them. Apart from the analysis spec, so that code needing only the names (workflow inputs)
 * does not build the spec's schemas: a workflow evaluates the modules it imports anew for each
 * run.
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
export const AnalysisPeriod = z.enum(ANALYSIS_PERIODS);
export type AnalysisPeriod = z.infer<typeof AnalysisPeriod>;

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
