import type { Pin, StatisticsSummary } from '../activities/types.js';
import { summaryErrors } from '../analysis/results.js';
import { plural } from '../plural.js';
import { excludesNoChange } from '../statistics/significance.js';
import { pinReasonText, toolVersionKey } from '../versions/pin.js';

const percent = (v: number | null) =>
  v === null ? '   n/a' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;

/**
 * The headline of a statistics table for people: each metric's relative change against the
 * reference branch with its interval, marked when the interval excludes zero.
 */
export function formatHeadline(summary: StatisticsSummary, indent = '    '): string[] {
  if (summary.headline.length === 0) return [];
  const reference = summary.headline[0]?.referenceBranch ?? '';
  const width = Math.max(...summary.headline.map((h) => `${h.metric} (${h.statistic})`.length));
  const branchWidth = Math.max(...summary.headline.map((h) => h.branch.length));
  const lines = [`${indent}change vs ${reference}, all clients, enrollments basis [interval]:`];
  for (const h of summary.headline) {
    const clear = excludesNoChange(h.lower, h.upper) === true;
    lines.push(
      `${indent}  ${`${h.metric} (${h.statistic})`.padEnd(width)}  ${h.branch.padEnd(branchWidth)}  ${percent(h.point).padStart(7)} [${percent(h.lower)}, ${percent(h.upper)}]${clear ? '  *' : ''}`,
    );
  }
  lines.push(`${indent}  (* the interval excludes no change)`);
  return lines;
}

/** One line per statistics table: rows, sample ratio mismatch, statistic errors and warnings. */
/**
 * Below this p-value the branches' enrollment is reported as a sample ratio mismatch: at the
 * usual 0.05 one experiment in twenty would raise it by chance, and a true mismatch (a broken
 * enrollment) shows far below it.
 */
const SRM_ALARM_P = 0.001;

export function formatStatisticsTable(s: StatisticsSummary): string {
  const p = s.sampleRatioMismatch?.pValue;
  const srm =
    p === undefined
      ? ''
      : p < SRM_ALARM_P
        ? `; SAMPLE RATIO MISMATCH p=${p.toPrecision(3)}: enrollment differs from the configured branch ratios`
        : `; sample ratio test p=${p.toPrecision(3)}`;
  // Errors (statistics that could not be computed) apart from warnings, as the report's issues list them.
  const errors = summaryErrors(s);
  const counted = [
    errors > 0 ? plural(errors, 'statistic error') : null,
    s.warningCount > errors ? plural(s.warningCount - errors, 'warning') : null,
  ].filter((part) => part !== null);
  const warned = counted.length > 0 ? `; ${counted.join(', ')} in the logs table` : '';
  return `${s.table} (${plural(s.rows, 'row')}${srm}${warned})`;
}

/** The tooling version and config commit an analysis ran with, and why those. */
export function formatPin(pin: Pin): string {
  return `contrail ${toolVersionKey(pin)}, config ${pin.configCommit ?? 'working tree'} (${pinReasonText(pin)})`;
}

/** `40 s`, `3 min`, `2.5 h`: a span an operator reads in a log line, as coarse as it needs. */
export function elapsed(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}
