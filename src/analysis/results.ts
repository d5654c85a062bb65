import type { AnalysisPeriod } from '../config/periods.js';
import type { IsoDate } from '../dates.js';
import type { ErrorSubject } from '../errors.js';

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
  /** The first warnings (all of them go to the logs table); `warningCount` says how many there were. */
  warnings: string[];
  warningCount: number;
  /** How many of all `warningCount` warnings leave results null or missing (absent in older summaries). */
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
}

/** How many warnings an experiment's statistics gave, and how many of them leave results null or missing. */
export interface WarningTally {
  warnings: number;
  resultsMissing: number;
}

/** Adds the warnings of statistics summaries to a tally (a new one when none is given). */
export function tallyWarnings(
  statistics: readonly Pick<StatisticsSummary, 'warnings' | 'warningCount' | 'resultsMissing'>[],
  into: WarningTally = { warnings: 0, resultsMissing: 0 },
): WarningTally {
  for (const s of statistics) {
    into.warnings += s.warningCount;
    // An older summary did not count them: those it kept are what can be told.
    into.resultsMissing += s.resultsMissing ?? s.warnings.filter(leavesResultsMissing).length;
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
