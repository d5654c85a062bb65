import type { AnalysisPeriod } from '../config/periods.js';
import type { IsoDate } from '../dates.js';
import type { ErrorSubject, RaisedAt } from '../errors.js';

/**
 * What the steps of an analysis report: small, JSON-safe summaries (table names, counts, a
 * headline, never rows), so that they can travel as Temporal payloads unchanged.
 */

/** One analysis window: a period and its window number. */
export interface AnalysisWindowRef {
  period: AnalysisPeriod;
  windowIndex: number;
}

export interface DueWork {
  /** Whether the enrollments table must exist for this date. */
  enrollmentsDue: boolean;
  windows: AnalysisWindowRef[];
  /** Why nothing is due, when nothing is. */
  reason: string | null;
}

export interface TableSummary {
  table: string;
  rows: number;
  /** The queries that wrote it (or, for statistics, its inputs), with their time and bytes. */
  queries?: QueryRun[];
}

/** One query as it ran: the table it wrote (published name), how long it took and what it scanned. */
export interface QueryRun {
  table: string;
  elapsedMs: number;
  /** What the warehouse reports it scanned (BigQuery); null where it reports nothing (DuckDB). */
  bytesProcessed: number | null;
  /** What BigQuery billed for it (its minimums applied); absent where the warehouse does not bill. */
  bytesBilled?: number | null;
}

/** Relative change of a branch against the reference branch, as a person reads it first. */
export interface HeadlineRow {
  metric: string;
  statistic: string;
  branch: string;
  referenceBranch: string;
  point: number | null;
  lower: number | null;
  upper: number | null;
}

/** Chi-square test of enrolled clients per branch against the configured ratios. */
export interface SampleRatioMismatchSummary {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
}

/** A warning of an analysis step and what it is about (metric, statistic, query, config key). */
export interface AnalysisWarning {
  message: string;
  subjects: ErrorSubject[];
  /**
   * Logged as this exception at level ERROR rather than as a StatisticWarning: what jetstream
   * logs as an exception in the same situation (a statistic it cannot compute), so Experimenter
   * shows it as an error, as it would jetstream's. Absent for a warning.
   */
  exceptionType?: 'StatisticComputationException';
}

/**
 * A warning whose results are null or missing says so in one of these words ("its results are
 * null", "written as null", "no results", "no comparisons", "nothing computed", "no statistics
 * for it", "nothing can be analysed"); the others say what was left out or assumed.
 */
const RESULTS_MISSING =
  /\b(?:null|no results|no comparisons|nothing computed|no statistics for it|nothing can be analysed)\b/;

/** Whether a warning says that results are null or missing (more important than one that informs). */
export function leavesResultsMissing(message: string): boolean {
  return RESULTS_MISSING.test(message);
}

export interface StatisticsSummary extends TableSummary {
  period: AnalysisPeriod;
  windowIndex: number;
  /**
   * Clients the window analysed (enrollments basis, all clients; `enrolledClients`): 0 when
   * nobody was enrolled, though the table then still holds each branch's count of 0. Absent in
   * summaries of older runs.
   */
  enrolled?: number;
  /** The first warnings (all of them go to the logs table); `warningCount` says how many there were. */
  warnings: string[];
  warningCount: number;
  /**
   * How many of `warningCount` are errors: a statistic that could not be computed, logged as its
   * exception at level ERROR (see `AnalysisWarning.exceptionType`). Absent in older summaries,
   * whose errors are told by the warnings they kept (errors first).
   */
  errorCount?: number;
  /**
   * How many of the warnings leave results null or missing (absent in older summaries): with
   * `errorCount`, of the warnings apart from the errors (an error's statistic is missing
   * anyway); in a summary without it, of all `warningCount`.
   */
  resultsMissing?: number;
  /** The same first warnings with what each is about (absent in summaries of older runs). */
  warningDetails?: AnalysisWarning[];
  /**
   * The headline: relative change of each branch against the reference branch, for all
   * clients on the enrollments basis, per mean/binomial statistic (a few dozen rows at most).
   */
  headline: HeadlineRow[];
  /** Sample ratio mismatch of enrolled clients against the configured branch ratios. */
  sampleRatioMismatch: SampleRatioMismatchSummary | null;
}

export interface PublishSummary {
  /** Result tables the run staged and swapped in (published names). */
  published: string[];
  views: string[];
  /** Files written (statistics_<slug>_*.json, metadata_<slug>.json, errors_<slug>.json). */
  exports: string[];
}

export interface EligibleExperiment {
  slug: string;
  appName: string;
  status: 'live' | 'complete';
}

/** A failure (or warning) of an analysis step, as the logs table records it. */
export interface AnalysisError {
  slug: string | null;
  date: IsoDate | null;
  stage: string;
  message: string;
  /** The error's class name, e.g. ConfigError, PlannedQueryError, WarehouseQueryError. */
  errorType: string;
  configCommit?: string | null;
  /** What it is about (metric, statistic, query, config file and key): one log row each. */
  subjects?: ErrorSubject[];
  /**
   * Where in contrail's code it was raised (`raisedAt`, src/errors.ts): the logs table's
   * `filename` and `func_name`. Absent when unknown, and in workflows started before it was said.
   */
  raisedAt?: RaisedAt | null;
}

/**
 * How many warnings an experiment's statistics gave, how many of them were errors (statistics
 * that could not be computed), and how many of the others leave results null or missing.
 */
export interface WarningTally {
  /** Every warning, errors included (each a row of the logs table). */
  warnings: number;
  /**
   * How many of `warnings` are errors. Absent in older results: their `warnings` and
   * `resultsMissing` count errors as warnings, and a report says them so.
   */
  errors?: number;
  /** How many of the warnings leave results null or missing: with `errors`, of those that are not errors. */
  resultsMissing: number;
}

/** The warnings a summary kept, with what each is about where it says (an older one kept their messages only). */
export function keptWarnings(s: Pick<StatisticsSummary, 'warnings' | 'warningDetails'>): AnalysisWarning[] {
  return s.warningDetails ?? s.warnings.map((message) => ({ message, subjects: [] }));
}

const isError = (w: AnalysisWarning) => w.exceptionType !== undefined;

/** The errors of a summary: counted, or in an older summary those it kept (it keeps errors first). */
export function summaryErrors(
  s: Pick<StatisticsSummary, 'warnings' | 'errorCount' | 'warningDetails'>,
): number {
  return s.errorCount ?? keptWarnings(s).filter(isError).length;
}

/**
 * Adds the warnings of statistics summaries to a tally (a new one when none is given). A tally
 * of older results, without errors, is added to as one: errors from then on are counted.
 */
export function tallyWarnings(
  statistics: readonly Pick<
    StatisticsSummary,
    'warnings' | 'warningCount' | 'resultsMissing' | 'errorCount' | 'warningDetails'
  >[],
  into: WarningTally = { warnings: 0, errors: 0, resultsMissing: 0 },
): WarningTally {
  for (const s of statistics) {
    into.warnings += s.warningCount;
    into.errors = (into.errors ?? 0) + summaryErrors(s);
    const kept = keptWarnings(s);
    const missing = (errors: boolean) =>
      kept.filter((w) => isError(w) === errors && leavesResultsMissing(w.message)).length;
    // An older summary counted its errors among those leaving results missing, or counted
    // nothing: what it kept (errors first) is what can be told.
    into.resultsMissing +=
      s.resultsMissing === undefined
        ? missing(false)
        : s.errorCount === undefined
          ? Math.max(0, s.resultsMissing - missing(true))
          : s.resultsMissing;
  }
  return into;
}

/**
 * A run's publication that failed, listed with its experiment-days' failures (at its last date):
 * its message says it was the publication, so a report counts it apart from the days.
 */
const PUBLISH_FAILURE = 'publish: ';
export const publishFailureMessage = (message: string): string => `${PUBLISH_FAILURE}${message}`;
export const isPublishFailure = (failure: { message: string }): boolean =>
  failure.message.startsWith(PUBLISH_FAILURE);
