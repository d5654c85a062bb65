import type { AnalysisPeriod } from '../config/spec.js';
import type { IsoDate } from '../experiments/experiment.js';

/**
 * The contract between workflows and activities: small JSON in and out (table names,
 * counts, summaries — never rows). Workflows import these as types only.
 */

/** The tooling version and config commit an experiment's analysis is pinned to. */
export interface Pin {
  toolVersion: string;
  buildId: string;
  /** Config-repo commit(s) configs are read at; null for plain directories. */
  configCommit: string | null;
  /** ISO time the pin was resolved at (the anchor for later issues). */
  resolvedAt: string;
}

/** What an analysis reads and where it writes: the same for every step of one run. */
export interface AnalysisTarget {
  slug: string;
  /** Dataset (schema) the result tables go to. */
  dataset: string;
  pin: Pin;
  /** A custom experiment config (TOML text) overriding the repo's, as `preview --config_file`. */
  configOverride: string | null;
  /** Keep only clients with sample_id < sampleSize (percent, 1–100); null keeps everyone. */
  sampleSize: number | null;
  /** Restrict to these periods; null = every period the config lists. */
  periods: AnalysisPeriod[] | null;
  /** Unknown config keys are warnings instead of errors. */
  lenient: boolean;
}

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
}

export interface StatisticsSummary extends TableSummary {
  period: AnalysisPeriod;
  windowIndex: number;
  /** The first warnings (all of them go to the logs table); `warningCount` says how many there were. */
  warnings: string[];
  warningCount: number;
  /**
   * The headline: relative change of each branch against the reference branch, for all
   * clients on the enrollments basis, per mean/binomial statistic (a few dozen rows at most).
   */
  headline: {
    metric: string;
    statistic: string;
    branch: string;
    referenceBranch: string;
    point: number | null;
    lower: number | null;
    upper: number | null;
  }[];
  /** Sample ratio mismatch of enrolled clients against the configured branch ratios. */
  sampleRatioMismatch: { chiSquare: number; degreesOfFreedom: number; pValue: number } | null;
}

export interface PublishSummary {
  views: string[];
  /** Files written (statistics_<slug>_*.json, metadata_<slug>.json, errors_<slug>.json). */
  exports: string[];
}

export interface EligibleExperiment {
  slug: string;
  appName: string;
  status: 'live' | 'complete';
}

export interface AnalysisError {
  slug: string | null;
  date: IsoDate | null;
  stage: string;
  message: string;
  /** e.g. ConfigError, WarehouseQueryError */
  errorType: string;
  configCommit?: string | null;
}

/**
 * The analysis activities (implemented in src/activities/analysis.ts and publish.ts). Every
 * one is idempotent: running it again replaces its own output. Config problems fail with a
 * non-retryable ApplicationFailure of type 'ConfigError' carrying the config message;
 * transient warehouse errors are thrown as ordinary errors so Temporal retries them.
 */
export interface AnalysisActivities {
  /** The running tooling version and the config repos' latest commit (per-experiment pins come later). */
  resolveVersions(input: { slug: string }): Promise<Pin>;
  /** Experiment dates and status as analysed (config overrides applied), for default date ranges. */
  describeExperiment(input: { target: AnalysisTarget; today: IsoDate }): Promise<{
    startDate: IsoDate | null;
    endDate: IsoDate | null;
    status: 'draft' | 'live' | 'complete';
    /** Last date on which something is due, capped at `today - 1`; null if none yet. */
    lastAnalysisDate: IsoDate | null;
  }>;
  /** What is due on `date` (resolves and validates the config). */
  planDay(input: { target: AnalysisTarget; date: IsoDate }): Promise<DueWork>;
  /** Creates enrollments_<slug> unless it exists (or `recreate`). */
  computeEnrollments(input: {
    target: AnalysisTarget;
    date: IsoDate;
    recreate: boolean;
  }): Promise<TableSummary & { created: boolean }>;
  /** Preview without enrollments: a random population from the telemetry as enrolled clients. */
  buildPopulationSample(input: { target: AnalysisTarget; date: IsoDate }): Promise<TableSummary>;
  /** Every metrics table of one window (one query per data source and basis). */
  computeMetrics(input: {
    target: AnalysisTarget;
    date: IsoDate;
    window: AnalysisWindowRef;
  }): Promise<TableSummary[]>;
  /** Statistic inputs (aggregates) → statistics engine → statistics_<slug>_<period>_<window>. */
  computeStatistics(input: {
    target: AnalysisTarget;
    date: IsoDate;
    window: AnalysisWindowRef;
  }): Promise<StatisticsSummary>;
  /** Views over the per-window tables and JSON exports (statistics, metadata, errors). */
  publish(input: { target: AnalysisTarget }): Promise<PublishSummary>;
  /** Appends to the dataset's logs table. */
  recordError(input: { dataset: string; error: AnalysisError }): Promise<void>;
  /** Experiments the daily run analyses on `date` (live or ended within 90 days, not skipped, not rollouts). */
  listEligibleExperiments(input: { date: IsoDate }): Promise<EligibleExperiment[]>;
  /** Drops an experiment's result tables (and enrollments unless `keepEnrollments`). */
  dropResults(input: {
    slug: string;
    dataset: string;
    keepEnrollments: boolean;
  }): Promise<{ dropped: string[] }>;
}
