import type { Pin, QueryRun, StatisticsSummary, TableSummary } from '../activities/types.js';

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
