import { PERIOD_CONFIG_KEYS, type PeriodConfigKey } from './periods.js';

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

/**
 * Metric, segment and data source names become SQL column and table-name parts that contrail
 * writes without quoting, so they must be plain identifiers. The one rule, used by the config
 * check and by the SQL renderer alike.
 */
const DEFINITION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,299}$/;

export function isDefinitionName(name: string): boolean {
  return DEFINITION_NAME.test(name);
}

export const DEFINITION_NAME_RULE =
  'use letters, digits and underscores, starting with a letter or underscore (at most 300 characters)';
