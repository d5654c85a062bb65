/**
 * The overview of every metric at once, as Experimenter's results table reads: for the selected
 * period, basis and segment, each metric's relative uplift of every branch over the reference
 * branch at the latest window, with its interval and which way it points. Which statistic stands
 * for a metric is chosen on the server (`overviewStatistic`); which branch is the reference and
 * what each cell says, on the page (`overviewTable`). No DOM, no server code: the page bundle
 * imports it, and unit tests check it.
 */

import type { AnalysisPeriod } from '../config/periods.js';
import { plural } from '../plural.js';
import type { StatisticResultRow } from '../statistics/results.js';
import { type Direction, direction } from '../statistics/significance.js';
import type { OverviewPanel } from './api.js';
import { choose } from './filters.js';
import { NO_VALUE, utcMinute, windowName } from './labels.js';

/**
 * The statistics a metric is summarised by, best first: those Experimenter's results table
 * shows. The covariate-adjusted mean (`mean_lm`, linear_model_mean) supersedes the bootstrapped
 * `mean` where a metric has both, as it does in Experimenter; `binomial` is what boolean metrics
 * (retention, "searched") have. A metric with none of these is summarised by another statistic
 * that compares branches by relative uplift without a parameter, the first by name; deciles and
 * other per-parameter statistics never stand for a metric.
 */
const OVERVIEW_STATISTIC_PREFERENCE: readonly string[] = [
  'mean_lm',
  'mean',
  'binomial',
  'per_client_dau_impact',
  'population_ratio',
];

/**
 * The statistic that stands for a metric in the overview, from those of its statistics that
 * have relative-uplift rows without a parameter; null when none has.
 */
export function overviewStatistic(withUplift: Iterable<string>): string | null {
  const candidates = [...new Set(withUplift)].sort((a, b) => a.localeCompare(b));
  return OVERVIEW_STATISTIC_PREFERENCE.find((s) => candidates.includes(s)) ?? candidates[0] ?? null;
}

/**
 * An uplift as the overview writes it: a percent with three significant digits and its sign
 * ("+4.59%", "-0.0331%"): enough to compare metrics at a glance; the numbers below the charts
 * keep four.
 */
export function upliftText(value: number | null): string {
  if (value === null) return NO_VALUE;
  if (value === 0) return '0%';
  const percent = (value * 100).toLocaleString('en-US', { maximumSignificantDigits: 3, useGrouping: false });
  return `${value > 0 ? '+' : ''}${percent}%`;
}

/** An uplift's interval: "+2.38% to +6.85%"; empty without both bounds. */
export function intervalText(lower: number | null, upper: number | null): string {
  return lower === null || upper === null ? '' : `${upliftText(lower)} to ${upliftText(upper)}`;
}

/** The words beside a direction's marker. */
export function directionText(d: Direction | null, reference: string): string {
  switch (d) {
    case 'higher':
      return `▲ higher than ${reference}`;
    case 'lower':
      return `▼ lower than ${reference}`;
    case 'unclear':
      return 'no clear difference';
    default:
      return 'no interval';
  }
}

export interface OverviewCell {
  branch: string;
  point: number | null;
  lower: number | null;
  upper: number | null;
  direction: Direction | null;
}

export interface OverviewLine {
  metric: string;
  statistic: string;
  window: number;
  /** One per compared branch of the table (in `branches` order); null where the metric has no row for it. */
  cells: (OverviewCell | null)[];
}

export interface OverviewTable {
  /** The branch every uplift is relative to; null when no metric has a comparison. */
  reference: string | null;
  /** The branches compared to it, one column each. */
  branches: string[];
  lines: OverviewLine[];
}

/**
 * The overview's table: one line per metric, one column per branch other than `reference`
 * (the page's reference branch; 'control', else the first, when the shown metric has none).
 */
export function overviewTable(panel: OverviewPanel, reference: string | null): OverviewTable {
  const rows = panel.metrics.flatMap((m) => m.rows);
  const references = [
    ...new Set(rows.map((r) => r.comparison_to_branch).filter((b): b is string => b !== null)),
  ].sort();
  const to =
    reference !== null && references.includes(reference)
      ? reference
      : choose('reference branch', null, references, ['control'], []);
  const compared = (r: StatisticResultRow) => r.comparison_to_branch === to && r.branch !== to;
  const branches = [...new Set(rows.filter(compared).map((r) => r.branch))].sort();
  const lines = panel.metrics.map((m) => {
    const mine = m.rows.filter(compared);
    return {
      metric: m.metric,
      statistic: m.statistic,
      window: m.window,
      cells: branches.map((branch): OverviewCell | null => {
        const r = mine.find((x) => x.branch === branch);
        if (r === undefined) return null;
        return {
          branch,
          point: r.point,
          lower: r.lower,
          upper: r.upper,
          direction: direction(r.lower, r.upper),
        };
      }),
    };
  });
  return { reference: to, branches, lines };
}

/**
 * What the overview's numbers are of: "enrollments basis, segment all, at the latest window of
 * period week: window 3 (week since enrollment), analysis date 2026-03-29", with the date the
 * run computed it on where a preview's costs record it, else when its table was written.
 */
export function overviewWhen(
  panel: OverviewPanel,
  selection: { period: AnalysisPeriod | null; basis: string | null; segment: string | null },
): string {
  const { period } = selection;
  const where = `${selection.basis} basis, segment ${selection.segment}`;
  if (panel.window === null) return `${where}: no metric has a relative uplift to show`;
  const date =
    panel.analysisDate !== null
      ? `, analysis date ${panel.analysisDate}`
      : panel.written !== null
        ? `, written ${utcMinute(panel.written)}`
        : '';
  const older = panel.metrics.filter((m) => m.window !== panel.window).length;
  return `${where}, at the latest window of period ${period}: ${windowName(period, panel.window)}${date}${
    older === 0 ? '' : ` (${plural(older, 'metric')} not in it: at an earlier window, said in the row)`
  }`;
}

/**
 * The one line under the overview's title that says what a cell is, for a reader who does not
 * read intervals every day.
 */
export function overviewExplanation(reference: string, level: string | null): string {
  const interval = level === null ? 'the interval' : `the ${level} interval`;
  return `Each cell: how much higher or lower the branch's metric is than ${reference}'s, in percent, with ${interval} (the range of uplifts the data are consistent with). ▲ or ▼ when the whole interval is above or below zero: the branch differs from ${reference} in that direction; otherwise the data cannot tell them apart yet. Higher is not always better: that depends on the metric. Click a metric to see it over every window.`;
}

/** The overview of a view that shows no experiment. */
export function emptyOverview(): OverviewPanel {
  return { window: null, written: null, analysisDate: null, metrics: [], without: [] };
}

/**
 * Which statistic and window stand for each metric of the basis and segment in the overview
 * (the latest window its chosen statistic has a relative uplift in), and the metrics without
 * one, with their statistics.
 */
export function overviewPlan(
  options: { metric: string; statistic: string; with_uplift: number; uplift_window: number | null }[],
  metrics: string[],
): {
  chosen: { metric: string; statistic: string; window: number }[];
  without: OverviewPanel['without'];
} {
  const chosen: { metric: string; statistic: string; window: number }[] = [];
  const without: OverviewPanel['without'] = [];
  for (const metric of metrics) {
    const mine = options.filter((o) => o.metric === metric);
    const statistic = overviewStatistic(
      mine.filter((o) => Number(o.with_uplift) > 0).map((o) => o.statistic),
    );
    const window = mine.find((o) => o.statistic === statistic)?.uplift_window;
    if (statistic === null || window === null || window === undefined) {
      without.push({
        metric,
        statistics: [...new Set(mine.map((o) => o.statistic))].sort((x, y) => x.localeCompare(y)),
      });
    } else {
      chosen.push({ metric, statistic, window: Number(window) });
    }
  }
  return { chosen, without };
}
