/**
 * What the page writes beside its numbers so that someone who does not know contrail can read
 * them: what a window of each period is, which selection the numbers belong to, the confidence
 * level of the intervals and whether a comparison's interval excludes no change. No DOM, no
 * server code: the page bundle imports it, and unit tests check it.
 */
import type { AnalysisPeriod } from '../config/spec.js';
import { confidenceLevel, excludesNoChange } from '../statistics/significance.js';
import type { ViewSelection } from './api.js';

/** Each period's windows, counted from each client's enrollment (jetstream's analysis windows). */
const WINDOW_MEANING: Record<AnalysisPeriod, string> = {
  day: 'day since enrollment',
  week: 'week since enrollment',
  days28: '28 days since enrollment',
  overall: 'the whole experiment',
  preenrollment_week: 'the week before enrollment',
  preenrollment_days28: 'the 28 days before enrollment',
};

/** The x axis of the charts and the first column of the numbers: what a window index counts. */
export function windowLabel(period: AnalysisPeriod | null): string {
  return period === null ? 'window' : `window (${WINDOW_MEANING[period]})`;
}

/** The confidence level(s) of the rows' intervals: "95%", "90%, 95%", or null when none has one. */
export function intervalLevel(rows: readonly { ci_width: number | null }[]): string | null {
  const levels = [...new Set(rows.map((r) => r.ci_width).filter((w): w is number => w !== null))].sort();
  if (levels.length === 0) return null;
  return levels.map((w) => confidenceLevel(w)).join(', ');
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
