import { z } from 'zod';
import { ANALYSIS_PERIODS } from '../config/periods.js';
import { IsoDate, isoDate } from '../dates.js';
import { ContrailError } from '../errors.js';
import { Pin, VersionOverrideFields } from '../versions/pin.js';

/**
 * Workflow inputs: one JSON object each, validated here, with documented defaults, so that
 * `temporal workflow start --type preview --input '{"slug": "…"}'` and the Web UI work.
 * Used by the workflows and by the CLI (which validates before starting anything).
 */

const Slug = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'an experiment slug: letters, digits, _ . -');
const Platform = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a platform (app name) such as firefox_desktop or fenix');
const Dataset = z.string().regex(/^[A-Za-z0-9_]+$/, 'a dataset name: letters, digits and underscores');
/**
 * A date to analyse: not after today, which has no telemetry yet (its windows would be computed
 * over days that have not happened). In a workflow `new Date()` is the workflow's own clock, so
 * the check replays as it first ran; the CLI says the same per option before it starts anything.
 */
const AnalysisDate = IsoDate.refine((date) => date <= isoDate(new Date()), {
  message: 'is after today: there is no telemetry for it yet',
});
/** Analysis periods, in jetstream's names. */
const Periods = z.array(z.enum(ANALYSIS_PERIODS));

/** Where previews write by default (jetstream's `mozdata.tmp`): its tables expire. */
export const PREVIEW_DATASET = 'tmp';

/** Shared by every analysis: where results go and how configs are read. */
const AnalysisOptions = {
  /** Dataset (schema) for result tables. Default `contrail`. */
  dataset: Dataset.default('contrail'),
  /** Restrict to these analysis periods (jetstream names). Default: every period the config lists. */
  periods: Periods.nullable().default(null),
  /** Unknown config keys become warnings instead of errors. Default false. */
  lenient: z.boolean().default(false),
};

export const AnalyzeExperimentInput = z
  .object({
    slug: Slug,
    /** The analysis date (YYYY-MM-DD): the windows that complete on it are computed. */
    date: AnalysisDate,
    ...AnalysisOptions,
    /** A custom experiment config (TOML text) used instead of the config repo's. */
    configOverride: z.string().nullable().default(null),
    /** Percent of clients (sample_id < N). Default: everyone (or the config's sample_size). */
    sampleSize: z.number().int().min(1).max(100).nullable().default(null),
    /** Recreate enrollments even if the table exists (rerun). Default false. */
    recreateEnrollments: z.boolean().default(false),
    /** Use a random population instead of real enrollments (preview). Default false. */
    generatePopulation: z.boolean().default(false),
    /** Publish views and exports when done. Default true; a backfill publishes once at its end instead. */
    publish: z.boolean().default(true),
    /** Write JSON exports when publishing. Default true; a preview's analyses export only when asked. */
    exports: z.boolean().default(true),
    /**
     * The run whose staged result tables this analysis writes (a parent that publishes them
     * passes its own workflow id). Default: this analysis's own workflow id.
     */
    run: z.string().min(1).nullable().default(null),
    /** Part of a preview: drafts (and, with `platform`, an experiment no source knows) may be analysed. Default false. */
    preview: z.boolean().default(false),
    /** The platform (app) to analyse in place of the experiment's. Default: the experiment's. */
    platform: Platform.nullable().default(null),
    /**
     * Part of a preview on a generated population: its first date. An experiment whose own
     * enrollment does not end by then is taken to have enrolled up to it. Default null.
     */
    enrolledUntil: IsoDate.nullable().default(null),
    /**
     * The pin, set by the parent that resolved it and started this run on the pinned build.
     * Absent, the run resolves it from the experiment's anchor and computes only if it runs on
     * the pinned build (or is told to use another with useLatest / useVersion).
     */
    pin: Pin.nullable().default(null),
    ...VersionOverrideFields,
  })
  .strict();
export type AnalyzeExperimentInput = z.input<typeof AnalyzeExperimentInput>;

export const DailyAnalysisInput = z
  .object({
    /** Date to analyse. Default: the day before the scheduled (or actual) start time. */
    date: AnalysisDate.nullable().default(null),
    /** Experiments analysed at once. Default 4. */
    concurrency: z.number().int().min(1).max(100).default(4),
    ...AnalysisOptions,
    ...VersionOverrideFields,
  })
  .strict();
export type DailyAnalysisInput = z.input<typeof DailyAnalysisInput>;

export const BackfillInput = z
  .object({
    slugs: z.array(Slug).min(1),
    startDate: AnalysisDate,
    endDate: AnalysisDate,
    /** Analyses (experiment-days) run at once. Default 3. */
    concurrency: z.number().int().min(1).max(100).default(3),
    ...AnalysisOptions,
    /** Experiment-days per run before continuing as new (keeps the history small). Default 200. */
    continueAsNewAfter: z.number().int().min(1).default(200),
    ...VersionOverrideFields,
  })
  .strict()
  .refine((v) => v.startDate <= v.endDate, {
    message: 'startDate must not be after endDate',
    path: ['endDate'],
  });
export type BackfillInput = z.input<typeof BackfillInput>;

export const RerunInput = z
  .object({
    slug: Slug,
    ...AnalysisOptions,
    /** Recreate the enrollments table too (moves the anchor). Default false. */
    recreateEnrollments: z.boolean().default(false),
    /** Analyses run at once. Default 3. */
    concurrency: z.number().int().min(1).max(100).default(3),
    /**
     * A rerun always recomputes on the latest release; useVersion names another one instead
     * (useLatest is accepted and changes nothing).
     */
    ...VersionOverrideFields,
  })
  .strict();
export type RerunInput = z.input<typeof RerunInput>;

export const RerunSkipInput = z
  .object({
    slug: Slug,
    /** Dataset of the experiment's tables. Default `contrail`. */
    dataset: Dataset.default('contrail'),
  })
  .strict();
export type RerunSkipInput = z.input<typeof RerunSkipInput>;

export const PublishExperimentInput = z
  .object({
    slug: Slug,
    ...AnalysisOptions,
    /** The pin the published tables were computed with (the run must be on its build). */
    pin: Pin,
    /** The run whose staged result tables are swapped in (the backfill or rerun that computed them). */
    run: z.string().min(1),
  })
  .strict();
export type PublishExperimentInput = z.input<typeof PublishExperimentInput>;

export const VersionsReportInput = z
  .object({
    /** Dataset whose experiments' anchors are read. Default `contrail`. */
    dataset: Dataset.default('contrail'),
    /** Experiments eligible on this date count as pinned. Default: the day before the run starts. */
    date: IsoDate.nullable().default(null),
  })
  .strict();
export type VersionsReportInput = z.input<typeof VersionsReportInput>;

/** The most days a preview analyses, however its range is given (`--num-days`, or its dates). */
export const PREVIEW_MAX_DAYS = 365;

export const PreviewInput = z
  .object({
    slug: Slug,
    /** A custom experiment config (TOML text) to preview instead of the config repo's. */
    configOverride: z.string().nullable().default(null),
    /** First and last analysis dates. Default: the last `numDays` days with something due. */
    startDate: IsoDate.nullable().default(null),
    endDate: IsoDate.nullable().default(null),
    /** Days analysed when `startDate` is not given (ending at `endDate`). Default 3, as jetstream's preview. */
    numDays: z.number().int().min(1).max(PREVIEW_MAX_DAYS).default(3),
    /**
     * The platform (app) to analyse, in place of the experiment's; with it a config whose
     * experiment no source knows is previewed on a synthetic experiment record (use
     * `generatePopulation`). Default: the experiment's.
     */
    platform: Platform.nullable().default(null),
    /** Refuse, before any query runs, a preview estimated to scan more bytes than this. Default: no limit. */
    maxBytes: z.number().int().min(0).nullable().default(null),
    /** On-demand price in US dollars per TiB scanned, for the cost shown. Default 6.25 (BigQuery's). */
    usdPerTib: z.number().positive().default(6.25),
    /** Periods to compute. Default: day and week. */
    periods: Periods.default(['day', 'week']),
    /** Percent of clients (sample_id < N). Default 1, as jetstream's preview. */
    sampleSize: z.number().int().min(1).max(100).default(1),
    /** Use a random population when the experiment has no enrollments yet. Default false. */
    generatePopulation: z.boolean().default(false),
    /** Dataset for preview tables, never the production one; they expire after `expirationDays`. Default tmp. */
    // In any case: the embedded warehouse's dataset names ignore it.
    dataset: Dataset.default(PREVIEW_DATASET).refine((d) => d.toLowerCase() !== 'contrail', {
      message: 'a preview never writes to the production dataset contrail; use tmp (the default) or another',
    }),
    /** Write JSON exports (under `<export dir>/<dataset>/`). Default false: a preview touches no production output. */
    exports: z.boolean().default(false),
    expirationDays: z.number().int().min(1).max(365).default(7),
    lenient: z.boolean().default(false),
  })
  .strict();
export type PreviewInput = z.input<typeof PreviewInput>;

/** Parses a workflow input; a clear message naming the field when it is wrong. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, workflow: string): z.output<S> {
  const result = schema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
  throw new InvalidWorkflowInput(`invalid ${workflow} input: ${problems.join('; ')}`);
}

export class InvalidWorkflowInput extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'InvalidWorkflowInput';
  }
}
