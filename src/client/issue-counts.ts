/*
 * How many statistics errors (a statistic that could not be computed, logged at level ERROR) and
 * warnings a run's report counts rather than lists, kept apart as a preview's report lists them.
 */
import { LOGS_TABLE } from '../analysis/logs.js';
import {
  keptWarnings,
  type StatisticsSummary,
  summaryErrors,
  type WarningTally,
} from '../analysis/results.js';
import { plural } from '../plural.js';

/** The errors and warnings of an analysis's statistics summaries that they counted but did not keep, in words; null: none. */
export function unlistedIssues(statistics: readonly StatisticsSummary[]): string | null {
  // A summary keeps its errors first: one it did not list is an error only past the ones it kept.
  const unlisted = statistics.reduce(
    (n, s) => {
      const kept = keptWarnings(s);
      const keptErrors = kept.filter((w) => w.exceptionType !== undefined).length;
      const errors = Math.max(0, summaryErrors(s) - keptErrors);
      return {
        errors: n.errors + errors,
        warnings: n.warnings + Math.max(0, s.warningCount - kept.length - errors),
      };
    },
    { errors: 0, warnings: 0 },
  );
  const more = [
    unlisted.errors > 0 ? plural(unlisted.errors, 'more statistic error', 'more statistic errors') : null,
    unlisted.warnings > 0 ? plural(unlisted.warnings, 'more warning', 'more warnings') : null,
  ].filter((part) => part !== null);
  return more.length > 0 ? more.join(' and ') : null;
}

/** Experiments whose statistics errors and warnings are counted one line each; beyond that many, the rest together. */
const WARNED_NAMED = 10;

/** A tally's errors and warnings apart; an older one, which did not count errors, has its errors among its warnings. */
const splitTally = (t: WarningTally) => {
  const errors = t.errors ?? 0;
  return { errors, warnings: t.warnings - errors, resultsMissing: t.resultsMissing };
};

/**
 * The statistics errors (statistics that could not be computed, logged at level ERROR) and
 * warnings of a run over several experiments, counted per experiment, apart, as a preview's
 * report lists them: those with errors first, then those leaving results null or missing. The
 * lines themselves are in the logs table, and a fleet's would bury the report.
 */
export function describeWarningCounts(
  tallies: readonly (readonly [string, WarningTally | undefined])[],
  dataset: string | undefined,
): string[] {
  const warned = tallies
    .filter((t): t is readonly [string, WarningTally] => (t[1]?.warnings ?? 0) > 0)
    .map(([slug, t]) => [slug, splitTally(t)] as const)
    .sort(
      ([, a], [, b]) => b.errors - a.errors || b.resultsMissing - a.resultsMissing || b.warnings - a.warnings,
    );
  if (warned.length === 0) return [];
  const count = ({ errors, warnings, resultsMissing }: ReturnType<typeof splitTally>) =>
    [
      errors > 0 ? plural(errors, 'statistic error') : null,
      warnings > 0 || errors === 0 ? plural(warnings, 'warning') : null,
      resultsMissing > 0 ? `${resultsMissing} leaving results null or missing` : null,
    ]
      .filter((part) => part !== null)
      .join(', ');
  const table = dataset ? `${dataset}.${LOGS_TABLE}` : 'the logs table';
  const what = warned.some(([, t]) => t.errors > 0)
    ? 'statistics errors (a statistic that could not be computed) and warnings'
    : 'statistics warnings';
  const lines = [`  ${what} (each is in ${table}, under its experiment's slug):`];
  for (const [slug, tally] of warned.slice(0, WARNED_NAMED)) lines.push(`    ${slug}: ${count(tally)}`);
  const rest = warned.slice(WARNED_NAMED);
  if (rest.length > 0) {
    const sum = rest.reduce(
      (a, [, t]) => ({
        errors: a.errors + t.errors,
        warnings: a.warnings + t.warnings,
        resultsMissing: a.resultsMissing + t.resultsMissing,
      }),
      { errors: 0, warnings: 0, resultsMissing: 0 },
    );
    lines.push(`    ${plural(rest.length, 'more experiment', 'more experiments')}: ${count(sum)}`);
  }
  return lines;
}
