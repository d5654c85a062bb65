import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ANALYSED_PLATFORMS } from '../config/names.js';
import { ContrailError } from '../errors.js';
import { Experiment, type ExperimentStatus, IsoDate } from './experiment.js';

/**
 * Where experiments come from. The local experiments file is the only source for now; the
 * Experimenter API client comes later behind the same interface.
 */
export interface ExperimentSource {
  list(): Promise<Experiment[]>;
  get(slug: string): Promise<Experiment | null>;
}

/**
 * One experiment as Experimenter's v8 API serves it (camelCase). Only the fields contrail reads
 * are checked; everything else Experimenter sends (bucketConfig, targeting, localizations, …)
 * passes through unread, so a real v8 dump loads unchanged.
 */
const V8Experiment = z.object({
  slug: z.string().min(1),
  appName: z.string().min(1),
  appId: z.string().nullish(),
  channel: z.string().nullish(),
  branches: z
    .array(z.object({ slug: z.string().min(1), ratio: z.number().nonnegative().default(1) }))
    .min(1, 'an experiment needs at least one branch'),
  referenceBranch: z.string().nullish(),
  startDate: IsoDate.nullish(),
  endDate: IsoDate.nullish(),
  enrollmentEndDate: IsoDate.nullish(),
  proposedEnrollment: z.number().int().nonnegative().nullish(),
  proposedDuration: z.number().int().nonnegative().nullish(),
  isRollout: z.boolean().nullish(),
  isEnrollmentPaused: z.boolean().nullish(),
  isHighPopulation: z.boolean().nullish(),
  // v8 lists outcomes as {slug, priority}; older dumps list bare slugs.
  outcomes: z.array(z.union([z.string().min(1), z.object({ slug: z.string().min(1) })])).nullish(),
  segments: z.array(z.string().min(1)).nullish(),
  featureIds: z.array(z.string()).nullish(),
  // Not part of the v8 experiment JSON, but Experimenter's draft endpoints (and hand-written
  // files) carry it. `publishStatus` is not read: a launched experiment is in review too
  // while an end is requested, so it says nothing about being a draft.
  status: z.string().nullish(),
});
type V8Experiment = z.infer<typeof V8Experiment>;

const DRAFT_STATUSES = new Set(['draft', 'preview']);

function isoDay(now: Date): IsoDate {
  return now.toISOString().slice(0, 10);
}

/**
 * Status as jetstream's ExperimentV8 derives it: Live without an end date or with one not yet
 * passed, else Complete. A draft is what the record says is one: a `status` of Draft/Preview,
 * or no start date (Experimenter sets it at launch, so such a record has not launched).
 */
export function experimentStatus(
  record: Pick<V8Experiment, 'status' | 'startDate' | 'endDate'>,
  now: Date,
): ExperimentStatus {
  const status = record.status?.toLowerCase() ?? null;
  if ((status !== null && DRAFT_STATUSES.has(status)) || !record.startDate) return 'draft';
  const end = record.endDate ?? null;
  return end === null || end >= isoDay(now) ? 'live' : 'complete';
}

function toExperiment(record: V8Experiment, now: Date): Experiment {
  return Experiment.parse({
    slug: record.slug,
    appName: record.appName,
    appId: record.appId ?? null,
    channel: record.channel ?? null,
    status: experimentStatus(record, now),
    branches: record.branches,
    referenceBranch: record.referenceBranch ?? null,
    startDate: record.startDate ?? null,
    endDate: record.endDate ?? null,
    enrollmentEndDate: record.enrollmentEndDate ?? null,
    proposedEnrollment: record.proposedEnrollment ?? null,
    proposedDuration: record.proposedDuration ?? null,
    isRollout: record.isRollout ?? false,
    isEnrollmentPaused: record.isEnrollmentPaused ?? false,
    isHighPopulation: record.isHighPopulation ?? false,
    outcomes: (record.outcomes ?? []).map((o) => (typeof o === 'string' ? o : o.slug)),
    segments: record.segments ?? [],
    featureIds: record.featureIds ?? [],
  });
}

export class ExperimentsFileError extends ContrailError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`, { permanent: true, details: { file } });
    this.name = 'ExperimentsFileError';
  }
}

function describeIssue(file: string, records: unknown[], index: number, issue: z.core.$ZodIssue): string {
  const record = records[index];
  const slug =
    record !== null && typeof record === 'object' && typeof (record as { slug?: unknown }).slug === 'string'
      ? ` (${(record as { slug: string }).slug})`
      : '';
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)';
  return `${file}: experiment [${index}]${slug}, field ${field}: ${issue.message}`;
}

/** Parses an experiments file's text; every invalid field of every record is reported at once. */
export function parseExperimentsFile(file: string, text: string, now: Date): Experiment[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ExperimentsFileError(file, `not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) {
    throw new ExperimentsFileError(file, 'expected a JSON array of experiments (Experimenter v8 shape)');
  }
  const problems: string[] = [];
  const experiments: Experiment[] = [];
  const seen = new Map<string, number>();
  data.forEach((record, index) => {
    const parsed = V8Experiment.safeParse(record);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(describeIssue(file, data, index, issue));
      return;
    }
    const earlier = seen.get(parsed.data.slug);
    if (earlier !== undefined) {
      problems.push(
        `${file}: experiment [${index}], field slug: ${parsed.data.slug} is already used by experiment [${earlier}]`,
      );
      return;
    }
    seen.set(parsed.data.slug, index);
    experiments.push(toExperiment(parsed.data, now));
  });
  if (problems.length > 0) {
    const error = new ExperimentsFileError(file, `${problems.length} invalid field(s)`);
    error.message = problems.join('\n');
    throw error;
  }
  return experiments;
}

/**
 * Experiments from a local JSON file in Experimenter's v8 shape. Read on every call (the file is
 * small and may be edited while a worker runs); status is derived against `now()` at read time.
 */
export function localExperimentSource(path: string, options: { now?: () => Date } = {}): ExperimentSource {
  const now = options.now ?? (() => new Date());
  const load = async (): Promise<Experiment[]> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ExperimentsFileError(path, `cannot read experiments file: ${(error as Error).message}`);
    }
    return parseExperimentsFile(path, text, now());
  };
  return {
    list: load,
    async get(slug) {
      return (await load()).find((e) => e.slug === slug) ?? null;
    },
  };
}

/** contrail's package root (two levels above this module, in src/ and in a build alike). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `CONTRAIL_EXPERIMENTS_FILE`, else the demo experiments that ship with contrail. */
export function defaultExperimentsFile(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CONTRAIL_EXPERIMENTS_FILE?.trim();
  return configured ? configured : join(PACKAGE_ROOT, 'src', 'sample', 'experiments.json');
}

/** How long after its end date the daily run still picks an experiment up (jetstream: 90 days). */
export const DAILY_RUN_GRACE_DAYS = 90;

/**
 * Whether the daily run on `date` analyses this experiment (jetstream's selection): live, or
 * ended within the last 90 days; not a rollout; a supported platform. A config's `skip = true`
 * is checked by the caller, once the config is resolved.
 */
export function eligibleForDailyRun(experiment: Experiment, date: IsoDate): boolean {
  if (experiment.isRollout) return false;
  if (!(ANALYSED_PLATFORMS as readonly string[]).includes(experiment.appName)) return false;
  if (experiment.status === 'draft') return false;
  if (experiment.status === 'live') return true;
  if (experiment.endDate === null) return false;
  const cutoff = new Date(Date.parse(`${date}T00:00:00Z`) - DAILY_RUN_GRACE_DAYS * 86_400_000)
    .toISOString()
    .slice(0, 10);
  return experiment.endDate >= cutoff;
}
