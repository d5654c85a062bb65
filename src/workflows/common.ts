import {
  defineQuery,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { DatasetActivities } from '../activities/datasets.js';
import type { AnalysisActivities, AnalysisTarget, Pin } from '../activities/types.js';
import { isoDate } from '../dates.js';
import { toTemporalFailure } from '../temporal/failures.js';
import { parseInput } from './inputs.js';
import { CONFIG_COMMIT, EXPERIMENT, STAGE, TOOL_VERSION } from './search-attributes.js';

/**
 * Activities that start no long warehouse job: resolving versions and configs, planning,
 * listing experiments, appending a log row. They do not heartbeat. None is a local activity,
 * because none is reliably short: reading configs at a pinned commit checks out a git repo,
 * listing experiments resolves every experiment's config and reads the experiment source, and
 * a log row waits its turn at the warehouse. As ordinary activities each has its own timeout,
 * retries on any worker and shows in the history, for one server round trip each.
 */
export const light = proxyActivities<AnalysisActivities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumAttempts: 5,
  },
});

/**
 * Activities that run warehouse jobs: they heartbeat while a job runs, so a dead worker is
 * noticed within the heartbeat timeout and the (idempotent) activity runs again elsewhere.
 */
export const warehouseJobs = proxyActivities<AnalysisActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumAttempts: 5,
  },
});

/** Dataset housekeeping (create with expiry): no warehouse job to heartbeat. */
export const datasets = proxyActivities<DatasetActivities>({ startToCloseTimeout: '5 minutes' });

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
}
export const progressQuery = defineQuery<Progress>('progress');

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
    ...initial,
  };
  setHandler(progressQuery, () => progress);
  return (update) => {
    Object.assign(progress, update);
    setCurrentDetails(
      `**${progress.stage}** — ${progress.done}/${progress.total} done${progress.failed ? `, ${progress.failed} failed` : ''}${
        progress.current.length ? `; running: ${progress.current.join(', ')}` : ''
      }`,
    );
    return progress;
  };
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

export function setSearchAttributes(values: {
  slug?: string;
  toolVersion?: string;
  configCommit?: string | null;
  stage?: string;
}): void {
  const pairs = [];
  if (values.slug !== undefined) pairs.push({ key: EXPERIMENT, value: values.slug });
  if (values.toolVersion !== undefined) pairs.push({ key: TOOL_VERSION, value: values.toolVersion });
  if (values.configCommit) pairs.push({ key: CONFIG_COMMIT, value: values.configCommit });
  if (values.stage !== undefined) pairs.push({ key: STAGE, value: values.stage });
  upsertSearchAttributes(pairs);
}

/** Runs `fn` over `items`, at most `limit` at a time, in order of start; never rejects. */
export async function boundedAll<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await fn(items[index] as T, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
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

export { describeFailure } from '../temporal/failures.js';

/**
 * The pin (resolved now unless a parent passed it down), shown as search attributes, and the
 * target every activity of the run receives: its result tables are staged under this
 * workflow's run unless a parent passed its own.
 */
export async function pinnedTarget(
  input: Pick<AnalysisTarget, 'slug' | 'dataset' | 'periods' | 'lenient'> &
    Partial<Pick<AnalysisTarget, 'configOverride' | 'sampleSize' | 'run'>>,
  stage: string,
  pin: Pin | null = null,
): Promise<AnalysisTarget> {
  const resolved = pin ?? (await light.resolveVersions({ slug: input.slug }));
  setSearchAttributes({
    slug: input.slug,
    toolVersion: resolved.toolVersion,
    configCommit: resolved.configCommit,
    stage,
  });
  return {
    slug: input.slug,
    dataset: input.dataset,
    configOverride: input.configOverride ?? null,
    sampleSize: input.sampleSize ?? null,
    periods: input.periods,
    lenient: input.lenient,
    pin: resolved,
    // The workflow that publishes owns the run: a parent passes its own down to its children.
    run: input.run ?? workflowInfo().workflowId,
  };
}

/** The experiment's dates as analysed, from the workflow's start date (deterministic on replay). */
export async function describedToday(target: AnalysisTarget) {
  const today = isoDate(workflowInfo().startTime);
  return { today, ...(await light.describeExperiment({ target, today })) };
}

/** Drops the target experiment's results from its dataset (created first, with its expiry), to recompute them. */
export async function clearResults(
  target: AnalysisTarget,
  options: { expirationDays: number | null; keepEnrollments: boolean },
): Promise<string[]> {
  await datasets.prepareDataset({ dataset: target.dataset, expirationDays: options.expirationDays });
  const { dropped } = await warehouseJobs.dropResults({ target, keepEnrollments: options.keepEnrollments });
  return dropped;
}
