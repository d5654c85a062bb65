import {
  ActivityCancellationType,
  ApplicationFailure,
  defineQuery,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { DatasetActivities } from '../activities/datasets.js';
import type {
  AnalysisActivities,
  AnalysisTarget,
  Pin,
  ResolvedPin,
  RunActivities,
  WaitingRun,
} from '../activities/types.js';
import { boundedAll } from '../concurrency.js';
import { isoDate } from '../dates.js';
import { toTemporalFailure } from '../temporal/failures.js';
import { CONFIG_COMMIT, EXPERIMENT, STAGE, TOOL_VERSION } from '../temporal/search-attributes.js';
import { toolVersionKey } from '../versions/pin.js';
import { parseInput } from './inputs.js';

/**
 * How soon the server gives up on an activity whose worker stopped heartbeating (every activity
 * heartbeats while it runs: src/activities/keep-alive.ts) and runs it again elsewhere.
 */
const LOST_WORKER = '15 seconds';

/**
 * Activities that start no long warehouse job: resolving versions and configs, planning,
 * listing experiments, appending a log row. None is a local activity, because none is reliably
 * short: reading configs at a pinned commit checks out a git repo, listing experiments resolves
 * every experiment's config and reads the experiment source, and a log row waits its turn at
 * the warehouse. As ordinary activities each has its own timeout, retries on any worker and
 * shows in the history, for one server round trip each; a lost worker's are retried after the
 * heartbeat timeout, not the minutes of the start-to-close timeout.
 */
const LIGHT_OPTIONS = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: LOST_WORKER,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
} as const;

export const light = proxyActivities<AnalysisActivities>(LIGHT_OPTIONS);

/**
 * Activities that run warehouse jobs: they heartbeat while a job runs, so a dead worker is
 * noticed within the heartbeat timeout and the (idempotent) activity runs again elsewhere.
 */
export const warehouseJobs = proxyActivities<AnalysisActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: LOST_WORKER,
  // A cancelled run ends once its jobs have stopped, not while one still writes a table: what
  // it cleans up after the cancellation (a preview drops what it staged) is then gone for good.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumAttempts: 5,
  },
});

/**
 * Dataset housekeeping (create with expiry): no warehouse job to heartbeat. Retried as the
 * light activities are: without a policy Temporal retries without end, and a preview whose
 * BigQuery stopped answering while its dataset was prepared waited forever.
 */
export const datasets = proxyActivities<DatasetActivities>(LIGHT_OPTIONS);

/** Starting and cancelling a parent's runs: a few client calls each. */
export const runControl = proxyActivities<RunActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: LOST_WORKER,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 10 },
});

/**
 * Awaiting a parent's runs: returns within minutes (see src/activities/runs.ts) and
 * heartbeats meanwhile, so a lost worker is noticed and the wait resumes on another one.
 */
export const runAwait = proxyActivities<RunActivities>({
  startToCloseTimeout: '10 minutes',
  // It heartbeats every poll (at most 2 s apart): a lost worker's wait resumes within seconds.
  heartbeatTimeout: LOST_WORKER,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** What every contrail workflow answers to the `progress` query (CLI progress bars, the Web UI). */
export interface Progress {
  workflow: string;
  stage: string;
  /** Units of work (windows, experiments, experiment-days) and how many are finished. */
  total: number;
  done: number;
  failed: number;
  /** What is running now, e.g. `week 1` or `my-experiment 2024-01-03`. */
  current: string[];
  /** Lines the run wants shown as soon as they are known (a preview's cost estimate); only ever appended to. */
  notes?: string[];
  /**
   * The stage the last notes were added in. A run refused for what its notes say (a preview
   * over its --max-bytes) ends in that stage, and a follower that first sees both at once
   * prints the stage's line before the notes, not after; notes a run moved on from come first.
   */
  notesStage?: string;
  /**
   * Runs waiting for a worker of their pinned build (none polls, or all are busy): which
   * experiment waits for which tooling version, since when. They run once a worker of that
   * build polls; nothing moves them to another build.
   */
  waiting: WaitingRun[];
  /**
   * The workflow ids of the runs a parent started on their pinned builds and awaits now
   * (`runAll`): workflows of their own, not children, so a follower finds what retries in them
   * only here. Absent from a workflow that starts none, and from a parent on an older build.
   */
  runs?: string[];
  /**
   * Runs of another parent (a daily run's analysis of a day a backfill reaches too, another
   * backfill's) that this one waits for before it starts its own of the same id: which run,
   * for which of this parent's items (`label`), started by which parent. Absent from a parent
   * on an older build.
   */
  behind?: BehindRun[];
}

/** A run of another parent that holds the id of one of this parent's runs, waited for to end. */
export interface BehindRun {
  workflowId: string;
  label: string;
  startedBy: string;
  /**
   * Set while that run itself waits for a worker of its pinned build (none polls): until one
   * runs, neither it nor this parent's run behind it moves. Its tooling (`<version>+<build>`,
   * null: the current version) and since when.
   */
  waitsForWorker?: { toolVersion: string | null; since: string };
}
export const progressQuery = defineQuery<Progress>('progress');

/** An analysis's pin (null until resolved): what the run computes with, kept in workflow state. */
export const pinQuery = defineQuery<Pin | null>('pin');
/** A parent's pins by experiment slug, each resolved once for the whole run. */
export const pinsQuery = defineQuery<Record<string, Pin>>('pins');

/** Installs the progress query and returns a function that updates it (and the UI details line). */
export function trackProgress(
  workflow: string,
  initial: Partial<Omit<Progress, 'workflow'>> = {},
): (update: Partial<Progress>) => Progress {
  const progress: Progress = {
    workflow,
    stage: 'starting',
    total: 0,
    done: 0,
    failed: 0,
    current: [],
    waiting: [],
    ...initial,
  };
  setHandler(progressQuery, () => progress);
  return (update) => {
    Object.assign(progress, update);
    // Query state only (no command, nothing in the history): replays as before.
    if (update.notes !== undefined) progress.notesStage = progress.stage;
    setCurrentDetails(
      `**${progress.stage}** — ${progress.done}/${progress.total} done${progress.failed ? `, ${progress.failed} failed` : ''}${
        progress.current.length ? `; running: ${progress.current.join(', ')}` : ''
      }${waitingDetails(progress.waiting)}${behindDetails(progress.behind ?? [])}`,
    );
    return progress;
  };
}

/** `; waiting for a worker of 0.1.0+v1: slug-a 2026-03-01, slug-b`: one clause per build. */
function waitingDetails(waiting: readonly WaitingRun[]): string {
  const byVersion = new Map<string, string[]>();
  for (const w of waiting) {
    const key = w.toolVersion ?? 'the current version';
    byVersion.set(key, [...(byVersion.get(key) ?? []), w.date ? `${w.slug} ${w.date}` : w.slug]);
  }
  return [...byVersion]
    .map(([version, runs]) => `; waiting for a worker of ${version}: ${runs.join(', ')}`)
    .join('');
}

/**
 * `; waiting for analysis/a/2026-03-15, started by daily/2026-03-15`: one clause per run, with
 * `, which waits for a worker of 0.1.0+v1` while that run waits for a worker of its build.
 */
function behindDetails(behind: readonly BehindRun[]): string {
  return behind
    .map(
      (b) =>
        `; waiting for ${b.workflowId}, started by ${b.startedBy}${
          b.waitsForWorker
            ? `, which waits for a worker of ${b.waitsForWorker.toolVersion ?? 'the current version'}`
            : ''
        }`,
    )
    .join('');
}

export function validated<S extends z.ZodType>(schema: S, raw: unknown, workflow: string): z.output<S> {
  try {
    return parseInput(schema, raw, workflow);
  } catch (error) {
    // Thrown as it is, an error would fail the workflow task and retry forever; as a
    // non-retryable failure, bad input fails the run.
    throw toTemporalFailure(error);
  }
}

export function setSearchAttributes(values: { slug?: string; pin?: Pin; stage?: string }): void {
  const pairs = [];
  if (values.slug !== undefined) pairs.push({ key: EXPERIMENT, value: values.slug });
  if (values.pin !== undefined) pairs.push({ key: TOOL_VERSION, value: toolVersionKey(values.pin) });
  if (values.pin?.configCommit) pairs.push({ key: CONFIG_COMMIT, value: values.pin.configCommit });
  if (values.stage !== undefined) pairs.push({ key: STAGE, value: values.stage });
  upsertSearchAttributes(pairs);
}

/**
 * Enters a stage the run reports in both places: the progress query (and the UI details line)
 * and the ContrailStage search attribute name it alike, so that a list filtered by stage finds
 * the run its details say is there. `update` goes with the stage into the progress; `attributes`
 * into the same upsert (one command, as a single setSearchAttributes call makes).
 */
export function enterStage(
  progress: (update: Partial<Progress>) => Progress,
  stage: string,
  update: Partial<Omit<Progress, 'workflow' | 'stage'>> = {},
  attributes: { pin?: Pin } = {},
): void {
  progress({ ...update, stage });
  setSearchAttributes({ ...attributes, stage });
}

/**
 * boundedAll that keeps the progress query current: what runs now (by `label`), how many are
 * done and how many failed, counting on from `counts` (a run continued as new).
 */
export async function trackedAll<T, R>(
  items: readonly T[],
  limit: number,
  progress: (update: Partial<Progress>) => Progress,
  label: (item: T) => string,
  fn: (item: T) => Promise<R>,
  counts: { done: number; failed: number } = { done: 0, failed: 0 },
): Promise<PromiseSettledResult<R>[]> {
  const running = new Set<string>();
  let { done, failed } = counts;
  return boundedAll(items, limit, async (item) => {
    const name = label(item);
    running.add(name);
    progress({ current: [...running] });
    try {
      return await fn(item);
    } catch (error) {
      failed++;
      throw error;
    } finally {
      running.delete(name);
      done++;
      progress({ done, failed, current: [...running] });
    }
  });
}

export { describeFailure, raisedAtOf } from '../temporal/failures.js';

/** The version overrides of a workflow input. */
export interface Overrides {
  useLatest: boolean;
  useVersion: string | null;
}

/**
 * Resolves the experiments' pins once (see the resolveVersions activity): each run keeps the
 * pins it resolved in its state and passes them on, and never resolves them again.
 */
export async function resolvePins(
  slugs: string[],
  dataset: string,
  overrides: Overrides,
  options: { mode?: 'anchor' | 'running'; here?: boolean; dates?: { lenient: boolean } } = {},
): Promise<Record<string, ResolvedPin>> {
  return await light.resolveVersions({
    slugs,
    dataset,
    useLatest: overrides.useLatest,
    useVersion: overrides.useVersion,
    mode: options.mode ?? 'anchor',
    here: options.here ?? false,
    ...(options.dates ? { dates: options.dates } : {}),
  });
}

/**
 * One experiment's pin; its error, or its refusal to run where it would be computed, fails the
 * workflow as the error it is (`refuse: false` when the pin only selects configs, e.g. of the
 * tables a rerun drops).
 */
export async function resolvePin(
  slug: string,
  dataset: string,
  overrides: Overrides,
  options: { mode?: 'anchor' | 'running'; here?: boolean; refuse?: boolean } = {},
): Promise<Pin> {
  const resolved = (await resolvePins([slug], dataset, overrides, options))[slug];
  if (resolved === undefined)
    throw ApplicationFailure.nonRetryable(`no pin resolved for ${slug}`, 'PinError');
  if ('error' in resolved) throw failureOf(resolved.error);
  if (resolved.refusal && options.refuse !== false) throw failureOf(resolved.refusal);
  return resolved.pin;
}

/** A failure the workflow reports as the error type an activity found (never retried). */
export function failureOf(error: { errorType: string; message: string }): ApplicationFailure {
  return ApplicationFailure.nonRetryable(error.message, error.errorType);
}

/** The target every activity of the run receives; the pin shown as search attributes. */
export function pinnedTarget(
  input: Pick<AnalysisTarget, 'slug' | 'dataset' | 'periods' | 'lenient'> &
    Partial<
      Pick<AnalysisTarget, 'configOverride' | 'sampleSize' | 'run' | 'preview' | 'platform' | 'enrolledUntil'>
    >,
  stage: string,
  pin: Pin,
): AnalysisTarget {
  setSearchAttributes({ slug: input.slug, pin, stage });
  return {
    slug: input.slug,
    dataset: input.dataset,
    configOverride: input.configOverride ?? null,
    sampleSize: input.sampleSize ?? null,
    periods: input.periods,
    lenient: input.lenient,
    // Only a preview's targets say so: the daily analysis, backfills and reruns never read drafts.
    ...(input.preview ? { preview: true } : {}),
    ...(input.platform ? { platform: input.platform } : {}),
    ...(input.enrolledUntil ? { enrolledUntil: input.enrolledUntil } : {}),
    pin,
    // The workflow that publishes owns the run: a parent passes its own down to its children.
    run: input.run ?? workflowInfo().workflowId,
  };
}

/** The experiment's dates as analysed, from the workflow's start date (deterministic on replay). */
export async function describedToday(target: AnalysisTarget) {
  const today = isoDate(workflowInfo().startTime);
  return { today, ...(await light.describeExperiment({ target, today })) };
}

/**
 * Drops the target experiment's results from its dataset (created first, with its expiry), to
 * recompute them; `forgetRows` also its rows in the dataset's logs and query costs. With
 * `stagedOnly`, only what a crashed attempt of the target's run staged: the published results
 * stay until the run publishes over them.
 */
export async function clearResults(
  target: AnalysisTarget,
  options: {
    expirationDays: number | null;
    keepEnrollments: boolean;
    forgetRows?: boolean;
    stagedOnly?: boolean;
  },
): Promise<string[]> {
  await datasets.prepareDataset({ dataset: target.dataset, expirationDays: options.expirationDays });
  const { dropped } = await warehouseJobs.dropResults({
    target,
    keepEnrollments: options.keepEnrollments,
    ...(options.forgetRows ? { forgetRows: true } : {}),
    ...(options.stagedOnly ? { stagedOnly: true } : {}),
  });
  return dropped;
}
