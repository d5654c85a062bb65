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

/** Orders by the UTF-16 code units of `key`: the same order on every worker, whatever its ICU and locale. */
const byCodeUnits =
  <T>(key: (item: T) => string) =>
  (a: T, b: T): number => {
    const [x, y] = [key(a), key(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  };

/**
 * The result of an analysis that ran, its tables and queries in the order of their names rather
 * than the order its windows finished in (which differs between runs): the CLI prints its
 * statistics tables in this order. By code unit, not localeCompare, whose order depends on the
 * worker's ICU and locale, which a workflow's result must not.
 */
export function analyzedResult(
  ran: Omit<AnalysisResult, 'status' | 'reason' | 'queries'> & { queries: QueryRun[] },
): AnalysisResult {
  const byTable = byCodeUnits((item: { table: string }) => item.table);
  return {
    slug: ran.slug,
    date: ran.date,
    status: 'analyzed',
    reason: null,
    pin: ran.pin,
    enrollments: ran.enrollments,
    metricsTables: [...ran.metricsTables].sort(byCodeUnits((table: string) => table)),
    statistics: [...ran.statistics].sort(byTable),
    views: ran.views,
    queries: [...ran.queries].sort(byTable),
  };
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
