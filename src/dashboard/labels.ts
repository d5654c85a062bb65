/**
 * What the page writes beside its numbers so that someone who does not know contrail can read
 * them: what a window of each period is, which selection the numbers belong to, the confidence
 * level of the intervals and whether a comparison's interval excludes no change. No DOM, no
 * server code: the page bundle imports it, and unit tests check it.
 */

import type { AnalysisPeriod } from '../config/periods.js';
import { plural } from '../plural.js';
import type { Comparison } from '../statistics/results.js';
import { confidenceLevel, direction, excludesNoChange } from '../statistics/significance.js';
import type { ComputedBy, LoggedColumn, LoggedProblem, ViewSelection } from './api.js';

/** Each period's windows, counted from each client's enrollment (jetstream's analysis windows). */
const WINDOW_MEANING: Record<AnalysisPeriod, string> = {
  day: 'day since enrollment',
  week: 'week since enrollment',
  days28: '28 days since enrollment',
  overall: 'the whole experiment',
  preenrollment_week: 'the week before enrollment',
  preenrollment_days28: 'the 28 days before enrollment',
};

/**
 * What a comparison is called wherever the page names it (chart titles, axes, the numbers'
 * comparison column): words, not the statistics table's column values.
 */
const COMPARISON_NAMES: Record<Comparison, string> = {
  difference: 'Difference',
  relative_uplift: 'Relative uplift',
};

/** A chart's title: "Per branch" for the branches' own values, else the comparison's name. */
export function comparisonTitle(comparison: Comparison | null): string {
  return comparison === null ? 'Per branch' : COMPARISON_NAMES[comparison];
}

/**
 * The most characters of a chart's y-axis label: Plot draws it on one line from the chart's left
 * edge, and the SVG clips what passes its right edge, which for a long metric name was the
 * comparison ("(relative uplift)") that says what the axis counts.
 */
export const AXIS_LABEL_CHARS = 64;

/**
 * A chart's y-axis label: the metric, and the comparison unless the chart is per branch. A metric
 * too long to fit keeps its start and end (names differ most there: `_v2`, `_per_day`) around an
 * ellipsis, and the comparison is always whole; the chart's caption names the metric in full.
 */
export function axisLabel(metric: string, comparison: Comparison | null): string {
  const suffix = comparison === null ? '' : ` (${comparisonTitle(comparison).toLowerCase()})`;
  const room = AXIS_LABEL_CHARS - suffix.length;
  if (metric.length <= room) return `${metric}${suffix}`;
  const tail = Math.floor((room - 1) / 3);
  return `${metric.slice(0, room - 1 - tail)}…${metric.slice(metric.length - tail)}${suffix}`;
}

/** The numbers' comparison column: "Relative uplift to control", or the branch's own value. */
export function comparisonCell(comparison: Comparison | null, to: string | null): string {
  if (comparison === null) return "Per branch (the branch's own value)";
  return `${COMPARISON_NAMES[comparison]} to ${to ?? 'the reference branch'}`;
}

/**
 * The branches' colours, Observable Plot's categorical scheme in branch order: a branch keeps its
 * colour on every chart, also on those whose legend leaves some branches out.
 */
const BRANCH_COLOURS = [
  '#4269d0',
  '#efb118',
  '#ff725c',
  '#6cc5b0',
  '#3ca951',
  '#ff8ab7',
  '#a463f2',
  '#97bbf5',
  '#9c6b4e',
  '#9498a0',
];

/**
 * A chart's colour scale, and so its legend: the branches it draws, each in its colour among all
 * the branches. A comparison chart draws nothing for the branch compared to (control), so its
 * legend does not name it.
 */
export function branchColours(
  branches: readonly string[],
  drawn: readonly string[],
): { domain: string[]; range: string[] } {
  const domain = branches.filter((b) => drawn.includes(b));
  const range = domain.map((b) => branchColour(branches.indexOf(b)));
  return { domain, range };
}

/**
 * Colours for branches past the scheme's ten, darker and more saturated than the scheme's so
 * that none is mistaken for one of them: repeating the scheme would draw the eleventh branch in
 * control's colour, and the legend could not tell the two apart.
 */
const MORE_BRANCH_COLOURS = [
  '#1d3b8f',
  '#8fbf1f',
  '#00a3c7',
  '#c2188f',
  '#6b6b1f',
  '#5a1e8c',
  '#0f6b5a',
  '#b30000',
  '#3b3b3b',
  '#e07b00',
];

/** The colour of the branch at `index`; past both lists, hues a golden angle apart. */
function branchColour(index: number): string {
  const listed = [...BRANCH_COLOURS, ...MORE_BRANCH_COLOURS][index];
  if (listed !== undefined) return listed;
  const extra = index - BRANCH_COLOURS.length - MORE_BRANCH_COLOURS.length;
  return `hsl(${Math.round((extra * 137.508) % 360)} 65% ${extra % 2 === 0 ? 35 : 60}%)`;
}

/** The x axis of the charts and the first column of the numbers: what a window index counts. */
export function windowLabel(period: AnalysisPeriod | null): string {
  return period === null ? 'window' : `window (${WINDOW_MEANING[period]})`;
}

/** One window of a period, as the overview names it: "window 3 (week since enrollment)". */
export function windowName(period: AnalysisPeriod | null, index: number): string {
  return period === null ? `window ${index}` : `window ${index} (${WINDOW_MEANING[period]})`;
}

/** A period in the period filter, with how many windows it has: "week (1 window)". */
export function periodChoice(period: AnalysisPeriod, windows: number): string {
  return `${period} (${plural(windows, 'window')})`;
}

/** How many problems the errors panel lists, and how many entries of the run's log they stand for. */
export function loggedCount(problems: number, entries: number, truncated: boolean): string {
  const logged = `${plural(entries, 'entry', 'entries')} logged${truncated ? ' (the newest; more were logged)' : ''}`;
  return problems === entries ? logged : `${plural(problems, 'problem')}: ${logged}`;
}

/** A column of the errors panel: one of the problems', or `config`, where in the config to fix it. */
export type ErrorColumn = LoggedColumn | 'config';

const CONFIG_COLUMNS: readonly LoggedColumn[] = ['config_file', 'config_line', 'config_key'];

/**
 * The errors panel's columns: the log's config file, line and key make one column, as the
 * CLI's report names them (`file:line key`), so that where to fix a problem reads as one place.
 */
export function errorColumns(columns: readonly LoggedColumn[]): ErrorColumn[] {
  const out: ErrorColumn[] = [];
  for (const column of columns) {
    if (!CONFIG_COLUMNS.includes(column)) out.push(column);
    else if (!out.includes('config')) out.push('config');
  }
  return out;
}

/** A column's heading: the log's column name, or what the config and occurred columns hold. */
export function errorColumnTitle(column: ErrorColumn): string {
  if (column === 'config') return 'where in the config (file:line key)';
  if (column === 'occurred') return 'analysis dates (period), newest first';
  return column;
}

/**
 * A cell of the errors panel: "jetstream/x.toml:17 metrics.m.select_expression", the dates a
 * problem occurred on, its message with how many more said it with other values, or the log's value.
 */
export function errorCell(row: Partial<LoggedProblem>, column: ErrorColumn): string {
  if (column === 'occurred') return (row.occurred ?? []).join(', ');
  if (column === 'message' && row.otherValues) {
    return `${row.message ?? ''} (and ${row.otherValues} more like it with other values)`;
  }
  if (column !== 'config') {
    const value = row[column];
    return value === null || value === undefined ? '' : String(value);
  }
  const file =
    row.config_file == null
      ? ''
      : `${row.config_file}${row.config_line == null ? '' : `:${row.config_line}`}`;
  return [file, row.config_key ?? ''].filter((part) => part !== '').join(' ');
}

/**
 * Why a link's dataset or experiment is not what the page shows, and what it shows instead: the
 * page falls back to another dataset (or the dataset's first experiment), and a reader must not
 * take its results for those of the one the link named.
 */
export function shownInstead(refusal: string, shown: { dataset: string; experiment: string | null }): string {
  const what =
    shown.experiment === null
      ? `dataset '${shown.dataset}'`
      : `${shown.experiment} in dataset '${shown.dataset}'`;
  return `${refusal}; showing ${what} instead`;
}

/**
 * The status line once a view is shown: the rows counted are the ones in the numbers table
 * (after the parameter and reference filters), not every row the server sent.
 */
export function shownStatus(description: string, rowsShown: number, warehouseMs: string): string {
  return `${description}: ${plural(rowsShown, 'row')} shown (read from the warehouse in ${warehouseMs} ms)`;
}

/** The confidence level(s) of the rows' intervals: "95%", "90%, 95%", or null when none has one. */
export function intervalLevel(rows: readonly { ci_width: number | null }[]): string | null {
  const levels = [...new Set(rows.map((r) => r.ci_width).filter((w): w is number => w !== null))].sort();
  if (levels.length === 0) return null;
  return levels.map((w) => confidenceLevel(w)).join(', ');
}

/**
 * What a number the statistics table holds as null shows (a statistic that failed, an interval
 * it could not compute), in the overview and the numbers table alike: a dash, so the cell is not
 * read as one the page failed to fill.
 */
export const NO_VALUE = '–';
/** What a null number says when pointed at: a count has no interval by design; otherwise it was not computed. */
export const NO_VALUE_TITLE =
  'null in the statistics table: a statistic without an interval, or a value that could not be computed (the errors and warnings of the run say why)';

/** A chart's note when none of its rows has an estimate or an interval to draw. */
export function nothingToDraw(rows: number): string {
  const which = rows === 1 ? 'its row has' : `none of its ${rows} rows has`;
  return `nothing to draw: ${which} an estimate or an interval (null in the statistics table); the errors and warnings of the run say why`;
}

/**
 * A comparison row's verdict: 'yes' when its interval excludes no change, 'no' when it
 * includes it, '' for a branch's own value (nothing is compared) or a missing bound.
 */
export function significantCell(row: {
  comparison: string | null;
  lower: number | null;
  upper: number | null;
}): 'yes' | 'no' | '' {
  if (row.comparison === null) return '';
  const verdict = excludesNoChange(row.lower, row.upper);
  return verdict === null ? '' : verdict ? 'yes' : 'no';
}

/**
 * The verdict cell of a row: which way the branch differs when its interval excludes no change
 * ("yes: higher than control"), so a reader of the numbers sees which branch comes out ahead
 * without reading the signs of three numbers; "no" when it includes it. A row with nothing to
 * judge (a branch's own value, as every row of a `count`; a comparison without an interval)
 * shows the dash of a missing number, its title saying why, not a blank cell.
 */
export function verdictCell(row: {
  comparison: string | null;
  comparison_to_branch: string | null;
  lower: number | null;
  upper: number | null;
}): { text: string; title: string | null } {
  const verdict = significantCell(row);
  if (verdict === 'no') return { text: verdict, title: null };
  if (verdict === '')
    return {
      text: NO_VALUE,
      title:
        row.comparison === null
          ? "no interval to judge: a branch's own value is compared to nothing"
          : 'no interval to judge: the statistics table holds none for this comparison (a statistic without one, or one that could not be computed; the errors and warnings of the run say why)',
    };
  const to = row.comparison_to_branch ?? 'the reference branch';
  return { text: `yes: ${direction(row.lower, row.upper)} than ${to}`, title: null };
}

/**
 * One line naming everything the numbers depend on: experiment, dataset, metric, statistic
 * (and parameter), period, basis, segment, reference branch and confidence level.
 */
export function selectionCaption(
  selection: ViewSelection,
  extra: {
    experimentName: string | null;
    parameter: string | null;
    reference: string | null;
    level: string | null;
  },
): string {
  const parts = [
    `${extra.experimentName ?? selection.experiment} in dataset ${selection.dataset}`,
    `metric ${selection.metric}, statistic ${selection.statistic}${extra.parameter === null ? '' : ` at ${extra.parameter}`}`,
    `analysis period ${selection.period}`,
    `${selection.basis} basis`,
    `segment ${selection.segment}`,
  ];
  if (extra.reference !== null) parts.push(`compared to ${extra.reference}`);
  parts.push(extra.level === null ? 'no intervals' : `${extra.level} confidence intervals`);
  return parts.join(' · ');
}

/** "2026-03-15 08:11 UTC": minutes are enough to tell one run from another. */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "3 hours ago", "2 days ago": how old the results are, in the largest whole unit. */
export function age(fromMs: number, nowMs: number): string {
  const minutes = Math.max(0, Math.floor((nowMs - fromMs) / 60_000));
  const [n, unit] =
    minutes < 60
      ? [minutes, 'minute']
      : minutes < 48 * 60
        ? [Math.floor(minutes / 60), 'hour']
        : [Math.floor(minutes / (24 * 60)), 'day'];
  return n === 0 ? 'just now' : `${plural(n, unit)} ago`;
}

/**
 * Which build of contrail computed the shown tables from which configs, as the CLI's run
 * reports name them ("contrail 0.1.0+abc123, config working tree"): a result is reproduced, or
 * explained, from those two. Several when the period's windows were written by several runs.
 */
export function computedByLine(builds: readonly ComputedBy[], tables: number): string | null {
  if (tables === 0) return null;
  if (builds.length === 0) return 'which build of contrail computed them is not recorded';
  const name = (b: ComputedBy) =>
    `contrail ${b.buildId === null ? b.toolVersion : `${b.toolVersion}+${b.buildId}`}, config ${b.configCommit ?? 'working tree'}`;
  const recorded = builds.reduce((n, b) => n + b.tables, 0);
  const first = builds[0];
  if (builds.length === 1 && first !== undefined && recorded === tables) return `computed by ${name(first)}`;
  const parts = builds.map((b) => `${name(b)} (${b.tables} of ${plural(tables, 'window')})`);
  if (recorded < tables) parts.push(`not recorded (${tables - recorded} of ${plural(tables, 'window')})`);
  return `computed by ${parts.join('; ')}`;
}

/**
 * When the shown results were written, by which build from which configs, and, for a preview's
 * tables, when they go: a reader must see that a result is days old, or from another build,
 * before acting on it.
 */
export function writtenLine(
  written: {
    oldest: string | null;
    newest: string | null;
    expiresAt: string | null;
    builds?: readonly ComputedBy[];
    tables?: number;
  },
  nowMs: number,
): string {
  const parts: string[] = [];
  if (written.newest !== null && written.oldest !== null) {
    const newest = Date.parse(written.newest);
    const oldest = Date.parse(written.oldest);
    parts.push(
      newest - oldest < 60_000
        ? `results written ${utcMinute(written.newest)} (${age(newest, nowMs)})`
        : `results written ${utcMinute(written.oldest)} … ${utcMinute(written.newest)} (the newest ${age(newest, nowMs)})`,
    );
  } else {
    parts.push('when these results were written is not recorded');
  }
  const computedBy = computedByLine(written.builds ?? [], written.tables ?? 0);
  if (computedBy !== null) parts.push(computedBy);
  if (written.expiresAt !== null) parts.push(`preview tables, deleted after ${utcMinute(written.expiresAt)}`);
  return parts.join(' · ');
}
