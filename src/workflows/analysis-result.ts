import type { Pin, QueryRun, StatisticsSummary, TableSummary } from '../activities/types.js';
import { type AnalysableDates, outsideAnalysableDates } from '../analysis/analysable-dates.js';

/**
 * What one analysis of one experiment-day returns. Plain data without Temporal, so that a
 * command can say the same of an analysis its backfill did not need to start.
 */
export interface AnalysisResult {
  slug: string;
  date: string;
  status: 'analyzed' | 'nothing-due';
  /** Why nothing was due (e.g. enrollment still running). */
  reason: string | null;
  pin: Pin;
  enrollments: (TableSummary & { created: boolean }) | null;
  metricsTables: string[];
  statistics: StatisticsSummary[];
  views: string[];
  /** Every query the analysis ran, with its time and bytes (a preview keeps them in query_costs). */
  queries?: QueryRun[];
}

/** The result of an analysis with nothing due on its date, and why. */
export function nothingDueResult(
  slug: string,
  date: string,
  pin: Pin,
  reason: string | null,
): AnalysisResult {
  return {
    slug,
    date,
    status: 'nothing-due',
    reason,
    pin,
    enrollments: null,
    metricsTables: [],
    statistics: [],
    views: [],
  };
}

/**
 * What the analysis of `slug` on `date` returns when nothing can be due then (before the
 * experiment's last enrollment date or after its end date, as `dates` say), without running it;
 * null when something may be due, or when the dates are unknown (a config that does not
 * resolve, a history recorded before them).
 */
export function resultOutsideDates(
  dates: AnalysableDates | undefined,
  run: { slug: string; date: string; pin: Pin },
): AnalysisResult | null {
  const reason = dates ? outsideAnalysableDates(dates, run.date) : null;
  return reason === null ? null : nothingDueResult(run.slug, run.date, run.pin, reason);
}
