import type { AnalysableDates } from '../analysis/analysable-dates.js';
import type * as cost from '../analysis/cost.js';
import type { AssumedEnrollment, EnrollmentDates } from '../analysis/previewed-enrollment.js';
import type * as queryCosts from '../analysis/query-costs.js';
import type { PreviewStop } from '../analysis/query-outcome.js';
import type * as results from '../analysis/results.js';
import type { AnalysisPeriod } from '../config/periods.js';
import type { IsoDate } from '../dates.js';
import type { ErrorData } from '../errors.js';
import type { BusyRun, RunOutcome, RunStart, StartedRun, WaitingRun } from '../temporal/pinned-runs.js';
import type { Pin } from '../versions/pin.js';
import type { VersionsReportRow } from '../versions/report.js';

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
  QueryRun,
  StatisticsSummary,
  TableSummary,
} from '../analysis/results.js';
export type { BusyRun, RunOutcome, RunStart, StartedRun, WaitingRun } from '../temporal/pinned-runs.js';
export type { Pin } from '../versions/pin.js';
export type { VersionsReportRow } from '../versions/report.js';

/** An experiment's pin as resolveVersions returns it, or why it could not be resolved. */
export type ResolvedPin =
  | {
      pin: Pin;
      /**
       * The experiment's own config files changed since the pinned config commit (edited,
       * added or deleted): the daily run reruns the experiment instead of continuing it.
       */
      configChanged: string[];
      /**
       * Why the pin cannot run where the caller will run it (PinnedBuildError), or null: an
       * unversioned worker runs only its own build; a versioned deployment runs any build
       * unless the caller is itself the run that computes (`here`).
       */
      refusal: { errorType: string; message: string } | null;
      /**
       * The dates anything can be due on, as the pinned configs say (when asked for and the
       * configs resolve; a config that does not is each analysis's own error to report).
       */
      dates?: AnalysableDates;
    }
  | { error: { errorType: string; message: string } };

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
  /** A preview: drafts (and, with `platform`, an experiment no source knows) may be analysed. Default false. */
  preview?: boolean;
  /** The platform (app) analysed in place of the experiment's; null/absent: the experiment's. */
  platform?: string | null;
  /**
   * A preview on a generated population: its first date, up to which an experiment whose own
   * enrollment does not end by then is taken to have enrolled (SpecRequest.enrolledUntil).
   */
  enrolledUntil?: IsoDate | null;
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
  /**
   * Each experiment's pin: its anchor read from the warehouse, the release the registry (the
   * Worker Deployment's versions, or the release manifest on an unversioned worker) gives for
   * it, and the config commit as of the anchor. `mode: 'running'` pins to the build that runs
   * the activity and the newest configs (a preview). A `useVersion` that names no release fails
   * the whole call; an experiment whose anchor or configs cannot be read gets its own error.
   */
  resolveVersions(input: {
    slugs: string[];
    dataset: string;
    useLatest: boolean;
    useVersion: string | null;
    mode: 'anchor' | 'running';
    /** The caller computes on the build that runs this activity (an analysis that resolved its own pin). */
    here: boolean;
    /** Also each experiment's analysable dates (the daily run's and backfills' question), configs read as `lenient` says. */
    dates?: { lenient: boolean };
  }): Promise<Record<string, ResolvedPin>>;
  /**
   * Moves the experiment's anchor to now (or `at`, an ISO time: a rerun stopped before it
   * published puts back the anchor it moved) by relabelling its tables (rerun-skip; rerun
   * before it recomputes). Without an enrollments table there is no anchor: an error, or, with
   * `ifAnchored`, nothing to do (anchor null). `previous`: the anchor it replaced.
   */
  touch(input: {
    slug: string;
    dataset: string;
    ifAnchored: boolean;
    at?: string;
  }): Promise<{ anchor: string | null; tables: string[]; previous?: string | null }>;
  /** `contrail versions`: every release, the experiments pinned to it, its open work, whether it can be retired. */
  versionsReport(input: { dataset: string; date: IsoDate }): Promise<VersionsReportRow[]>;
  /** Experiment dates and status as analysed (config overrides applied), for default date ranges. */
  describeExperiment(input: { target: AnalysisTarget; today: IsoDate }): Promise<{
    startDate: IsoDate | null;
    endDate: IsoDate | null;
    status: 'draft' | 'live' | 'complete';
    /** Last date on which something is due, capped at `today - 1`; null if none yet. */
    lastAnalysisDate: IsoDate | null;
    /** Last date, up to lastAnalysisDate, on which a window of the target's periods completes. */
    lastDueDate?: IsoDate | null;
    /** The dates anything can be due on (absent in older histories). */
    analysable?: AnalysableDates;
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
  /**
   * Appends to the dataset's logs table; with `exports`, then writes the experiment's
   * `errors_<slug>.json` from it (as publishing does), so a failed analysis is seen where its
   * results are read. `preview` marks a preview's errors. Absent in workflows started before
   * failed analyses exported their errors: nothing is exported. `target`, the failed run's,
   * scopes the file to the current analysis week as of the run's start (`failedRunErrorsSince`);
   * absent in workflows started before that, the file lists every row.
   */
  recordError(input: {
    dataset: string;
    error: results.AnalysisError;
    exports?: boolean;
    preview?: boolean;
    target?: AnalysisTarget;
  }): Promise<void>;
  /** Experiments the daily run analyses on `date` (live or ended within 90 days, not skipped, not rollouts). */
  listEligibleExperiments(input: { date: IsoDate }): Promise<results.EligibleExperiment[]>;
  /**
   * What a preview of `dates` would scan, before any query runs (dry runs; on DuckDB an estimate
   * from column sizes), the estimate in words, and the error refusing it when it is larger than
   * `maxBytes`.
   */
  estimatePreviewCost(input: {
    target: AnalysisTarget;
    dates: IsoDate[];
    generatePopulation: boolean;
    sampleSize: number;
    maxBytes: number | null;
    usdPerTib: number;
  }): Promise<{
    estimate: cost.CostEstimate;
    lines: string[];
    refusal: ErrorData | null;
    /** How the experiment's enrollment was moved (AnalysisTarget.enrolledUntil), when it was. */
    assumed?: AssumedEnrollment;
    /** The enrollment dates analysed, and the config keys that set them (absent without a start date, and in older histories). */
    enrollment?: EnrollmentDates;
    /** The config says skip = true: nothing is due on any date, so nothing was estimated. */
    skip?: true;
  }>;
  /** Keeps a preview's per-query time and bytes (with its estimate) in the dataset's `query_costs` table. */
  recordQueryCosts(input: {
    target: AnalysisTarget;
    estimate: cost.CostEstimate;
    runs: queryCosts.DayQueries[];
    /** How the preview stopped before its last date, when it did: what its unrun queries' rows say became of them. */
    stop?: PreviewStop;
    /** false: the rows are only returned, not written (the warehouse's storage failed). Default true. */
    record?: boolean;
  }): Promise<{ rows: queryCosts.QueryCostLine[] }>;
  /**
   * Drops the target experiment's result tables and views (and enrollments unless
   * `keepEnrollments`), except those named in `keep`, and
   * what the target's run staged; with `forgetRows`, its rows in the dataset's logs and
   * query_costs too. With `stagedOnly`, only what the run staged. With `keep` (what the run
   * published), only the tables and views of the target's periods when it names some.
   */
  dropResults(input: {
    target: AnalysisTarget;
    keepEnrollments: boolean;
    forgetRows?: boolean;
    keep?: string[];
    stagedOnly?: boolean;
  }): Promise<{ dropped: string[] }>;
}

/**
 * Runs a parent starts as workflows of their own, each on its pinned build (see
 * src/temporal/pinned-runs.ts): started and cancelled in batches, awaited by one activity that
 * returns when a run ends, the set of waiting runs changes, or a few minutes pass.
 */
export interface RunActivities {
  /**
   * Starts (or joins) each run; runs started by this parent since `notBefore` are not started
   * again. A run of the same id another parent started and still runs is returned busy
   * (`waitForOthers`, which parents of older builds do not send) or refused as failed.
   */
  startRuns(input: {
    runs: RunStart[];
    notBefore: string;
    waitForOthers?: boolean;
  }): Promise<(StartedRun | RunOutcome | BusyRun)[]>;
  awaitRuns(input: {
    runs: StartedRun[];
    knownWaiting: string[];
  }): Promise<{ finished: RunOutcome[]; waiting: WaitingRun[] }>;
  cancelRuns(input: { runs: StartedRun[] }): Promise<void>;
}
