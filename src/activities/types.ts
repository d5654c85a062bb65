import type * as results from '../analysis/results.js';
import type { AnalysisPeriod } from '../config/spec.js';
import type { IsoDate } from '../experiments/experiment.js';

/**
 * The contract between workflows and activities: small JSON in and out (table names,
 * counts, summaries — never rows). Workflows import these as types only. The summaries are the
 * analysis steps' own (src/analysis/results.ts); the pin is src/versions'.
 */

export type {
  AnalysisError,
  AnalysisWindowRef,
  DueWork,
  EligibleExperiment,
  PublishSummary,
  StatisticsSummary,
  TableSummary,
} from '../analysis/results.js';

/**
 * The pin as the workflows carry it: the tooling version and config commit every step of a run
 * reads with, resolved once. src/versions/pin.ts's Pin (with the anchor and the reason it was
 * chosen) is the resolution rule's result; the analysis steps take the fields both share.
 */
export interface Pin {
  toolVersion: string;
  buildId: string;
  /** Config-repo commit(s) configs are read at; null for plain directories. */
  configCommit: string | null;
  /** ISO time the pin was resolved at: configs are read as of this time. */
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
  /**
   * The run these results belong to: the id of the workflow that publishes them (an analysis
   * of one day, or the backfill, rerun or preview it is part of). Result tables are staged
   * under names derived from it until that workflow publishes. Null (or absent, from a
   * workflow started before staging): written in place.
   */
  run: string | null;
}

/**
 * The analysis activities (src/activities/analysis.ts). Every one is idempotent: running it
 * again replaces its own output. A failure leaves as an ApplicationFailure whose type is the
 * error's class name (ConfigError, PlannedQueryError, …), non-retryable when the error is
 * permanent (a config, an identifier, SQL the warehouse rejects) and retried when it is not.
 */
export interface AnalysisActivities {
  /** The running tooling version and the config repos' latest commit: what a new analysis is pinned to. */
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
  planDay(input: { target: AnalysisTarget; date: IsoDate }): Promise<results.DueWork>;
  /** Creates enrollments_<slug> unless it exists (or `recreate`). */
  computeEnrollments(input: {
    target: AnalysisTarget;
    date: IsoDate;
    recreate: boolean;
  }): Promise<results.TableSummary & { created: boolean }>;
  /** Preview without enrollments: a random population from the telemetry as enrolled clients. */
  buildPopulationSample(input: { target: AnalysisTarget; date: IsoDate }): Promise<results.TableSummary>;
  /** Every metrics table of one window (one query per data source and basis). */
  computeMetrics(input: {
    target: AnalysisTarget;
    date: IsoDate;
    window: results.AnalysisWindowRef;
  }): Promise<results.TableSummary[]>;
  /** Statistic inputs (aggregates) → statistics engine → statistics_<slug>_<period>_<window>. */
  computeStatistics(input: {
    target: AnalysisTarget;
    date: IsoDate;
    window: results.AnalysisWindowRef;
  }): Promise<results.StatisticsSummary>;
  /**
   * Swaps the run's staged tables in (one step), then views over the per-window tables and
   * JSON exports (statistics, metadata, errors) read from them; `exports: false` writes none.
   */
  publish(input: { target: AnalysisTarget; exports?: boolean }): Promise<results.PublishSummary>;
  /** Appends to the dataset's logs table. */
  recordError(input: { dataset: string; error: results.AnalysisError }): Promise<void>;
  /** Experiments the daily run analyses on `date` (live or ended within 90 days, not skipped, not rollouts). */
  listEligibleExperiments(input: { date: IsoDate }): Promise<results.EligibleExperiment[]>;
  /** Drops the target experiment's result tables and views (and enrollments unless `keepEnrollments`). */
  dropResults(input: { target: AnalysisTarget; keepEnrollments: boolean }): Promise<{ dropped: string[] }>;
}
