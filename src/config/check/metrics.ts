import { didYouMean, oneOf } from '../../suggest.js';
import { describe, isTable } from '../describe.js';
import { PERIOD_KEY_ALIASES, PERIOD_KEYS } from '../names.js';
import type { PeriodConfigKey } from '../periods.js';
import { MetricDefinition } from '../schema.js';
import type { KeyPath } from '../toml-lines.js';
import type { FileCheck } from './file-check.js';
import { checkStatistics } from './statistics.js';

/**
 * The `[metrics]` section: each key is either an analysis period's list of metric names
 * (`weekly = [...]`) or a metric definition (`[metrics.<name>]`, with its statistics).
 * Anything list-shaped under another name is a misspelt period, said as such.
 */
export function checkMetrics(check: FileCheck, value: unknown): void {
  if (!isTable(value)) {
    check.error(['metrics'], `expected the [metrics] table, got ${describe(value)}`);
    return;
  }
  for (const [key, entry] of Object.entries(value)) {
    const path = ['metrics', key];
    if ((PERIOD_KEYS as string[]).includes(key)) {
      if (check.out.kind === 'definition') {
        check.error(path, `period lists belong in experiment or defaults files, not in definitions`);
        continue;
      }
      checkPeriodList(check, key as PeriodConfigKey, entry, path);
    } else if (Array.isArray(entry)) {
      const alias = PERIOD_KEY_ALIASES[key];
      const hint = alias ? ` (did you mean '${alias}'?)` : didYouMean(key, PERIOD_KEYS);
      check.error(path, `'${key}' is not a period list${hint}; period lists are ${oneOf(PERIOD_KEYS)}`);
    } else if (isTable(entry)) {
      check.definition(entry, path, key, 'metric', MetricDefinition, check.out.metrics);
      const defined = check.out.metrics.get(key);
      if (defined && isTable(entry.statistics))
        // Each statistic's own line: a warning about one statistic of a metric with several
        // points at its table, not at the first of them, where the `statistics` table starts.
        for (const name of Object.keys(entry.statistics))
          defined.fields[`statistics.${name}`] = check.at([...path, 'statistics', name]);
      if (isTable(entry.statistics))
        checkStatistics(
          entry.statistics,
          [...path, 'statistics'],
          (p, m) => check.error(p, m),
          (p, m) => check.parameterError(p, m),
        );
      else if (entry.statistics !== undefined)
        check.error(
          [...path, 'statistics'],
          `expected a table of statistics (e.g. statistics = { bootstrap_mean = {} }), got ${describe(entry.statistics)}`,
        );
    } else {
      check.error(path, `expected a metric definition table or a period list, got ${describe(entry)}`);
    }
  }
}

/** One analysis period's list of metric names, kept when it is a list. */
export function checkPeriodList(check: FileCheck, key: PeriodConfigKey, value: unknown, path: KeyPath): void {
  const refs = check.nameList(value, path);
  if (refs) check.out.metricLists[key] = refs;
}
