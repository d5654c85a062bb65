import { type Client, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { contrailCommand } from '../command-name.js';
import { waitingSince } from '../temporal/pinned-runs.js';
import { TOOL_VERSION } from '../temporal/search-attributes.js';
import { POLLER_RECENT_MS } from '../temporal/worker-deployments.js';
import { elapsed } from './format.js';
import { FAILED_THE_SAME_WAY, retryFailures } from './retry-failures.js';

/**
 * What holds a followed run up, as the CLI says it while it follows: activities that failed
 * and wait for their next attempt (a warehouse that does not answer shows as retries rather
 * than as a stage that never moves), and a task queue no worker polls.
 */

/**
 * Workflows looked into for retrying work per look, at most (a daily run may have hundreds of
 * children or runs): taken in turn, so that over a few looks every one is seen.
 */
const WORKFLOWS_LOOKED_INTO = 3;

/** An activity that failed and is waiting for, or running, its next attempt. */
export interface RetryingActivity {
  workflowId: string;
  activity: string;
  attempt: number;
  failure: string;
}

type Description = Awaited<ReturnType<WorkflowHandle['describe']>>;

/** The activities of one described workflow that have failed at least once, with their last failure. */
export function retryingIn(workflowId: string, description: Pick<Description, 'raw'>): RetryingActivity[] {
  const out: RetryingActivity[] = [];
  for (const pending of description.raw.pendingActivities ?? []) {
    const attempt = pending.attempt ?? 1;
    let failure = pending.lastFailure;
    if (attempt < 2 || !failure) continue;
    // The innermost cause: the activity's own words, not the wrapping layers'.
    while (failure.cause) failure = failure.cause;
    out.push({
      workflowId,
      activity: pending.activityType?.name ?? 'an activity',
      attempt,
      failure: failure.message ?? 'no message',
    });
  }
  return out;
}

/**
 * The workflows besides the followed run to look into on look number `turn`: its running
 * children, and the runs it started on their pinned builds (`runs`, from its progress query: a
 * daily run, backfill or rerun starts each analysis as a workflow of its own, not as a child).
 * At most WORKFLOWS_LOOKED_INTO, the next few on each look.
 */
export function workflowsToLookInto(
  children: readonly { workflowId?: string | null; runId?: string | null }[],
  runs: readonly string[],
  turn: number,
): { workflowId: string; runId?: string }[] {
  const all: { workflowId: string; runId?: string }[] = [];
  for (const child of children)
    if (child.workflowId)
      all.push({ workflowId: child.workflowId, ...(child.runId ? { runId: child.runId } : {}) });
  for (const workflowId of runs) if (!all.some((w) => w.workflowId === workflowId)) all.push({ workflowId });
  if (all.length <= WORKFLOWS_LOOKED_INTO) return all;
  const from = (turn * WORKFLOWS_LOOKED_INTO) % all.length;
  return [...all, ...all].slice(from, from + WORKFLOWS_LOOKED_INTO);
}

/**
 * What holds a followed run up: activities retrying in it, in its running children and in the
 * runs it started (`runs`, see workflowsToLookInto), and, said with what to do (`unserved`), its
 * task queue when no worker polls it, or its pinned build when workers poll but none of that build.
 */
export async function whatHoldsItUp(
  client: Client,
  handle: WorkflowHandle,
  runs: readonly string[] = [],
  turn = 0,
): Promise<{ retrying: RetryingActivity[]; unserved: string | null }> {
  const description = await handle.describe();
  const retrying = retryingIn(handle.workflowId, description);
  for (const w of workflowsToLookInto(description.raw.pendingChildren ?? [], runs, turn)) {
    let described: Description;
    try {
      described = await client.workflow.getHandle(w.workflowId, w.runId).describe();
    } catch (error) {
      // A run the progress named may be gone from the server by now (its retention passed):
      // nothing of it holds the followed run up.
      if (error instanceof WorkflowNotFoundError) continue;
      throw error;
    }
    retrying.push(...retryingIn(w.workflowId, described));
  }
  const taskQueue = description.taskQueue;
  if (description.status.name !== 'RUNNING' || !taskQueue) return { retrying, unserved: null };
  const pollers = await taskQueuePollers(client, taskQueue);
  if (pollers.length === 0) return { retrying, unserved: noWorkerLine(taskQueue) };
  return { retrying, unserved: unservedBuildLine(description, pollers) };
}

/**
 * How long a run's task may stay untaken before it is said to wait for a worker of its build: a
 * polling worker of the build takes it within milliseconds (as the parents count their runs).
 */
export const BUILD_WAIT_MS = 5_000;

/** The build a run is pinned to (by a parent's override, or having run on it): null when it is not. */
export function pinnedBuildOf(raw: Description['raw']): string | null {
  const info = raw.workflowExecutionInfo?.versioningInfo;
  const override = info?.versioningOverride?.pinned?.version?.buildId;
  if (override) return override;
  // temporal.api.enums.v1.VersioningBehavior: 1 is PINNED.
  return info?.behavior === 1 ? (info.deploymentVersion?.buildId ?? null) : null;
}

/**
 * What to say of a running workflow pinned to a build whose task has waited BUILD_WAIT_MS with no
 * live worker of that build among `pollers` (the task queue's): it waits until one runs, which
 * only an operator can start. Null when nothing waits so.
 */
export function unservedBuildLine(
  description: Pick<Description, 'raw' | 'workflowId' | 'taskQueue' | 'typedSearchAttributes'>,
  pollers: readonly Poller[],
  now: number = Date.now(),
): string | null {
  const buildId = pinnedBuildOf(description.raw);
  if (buildId === null || waitingSince(description.raw, now, BUILD_WAIT_MS) === null) return null;
  if (pollers.some((p) => p.buildId === buildId && p.lastPolledMs <= LIVE_POLL_MS)) return null;
  const toolVersion = description.typedSearchAttributes.get(TOOL_VERSION);
  const build = toolVersion ? `contrail ${toolVersion}` : `build ${buildId}`;
  return `${description.workflowId} is pinned to ${build} and waits for a worker of it, but none polls task queue '${description.taskQueue}': nothing moves it until one runs (\`${contrailCommand()} worker --build-id ${buildId}\` with the same TEMPORAL_ADDRESS; \`${contrailCommand()} versions\` says what else waits for it)`;
}

/** unservedBuildLine of one workflow run, described now; null when it has ended or is gone. */
export async function unservedBuildOf(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<string | null> {
  let description: Description;
  try {
    description = await client.workflow.getHandle(workflowId, runId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
  if (description.status.name !== 'RUNNING') return null;
  return unservedBuildLine(description, await taskQueuePollers(client, description.taskQueue));
}

/** A worker seen polling a task queue: its identity, and the build it runs (null: an unversioned worker). */
export interface Poller {
  identity: string;
  buildId: string | null;
  /** Milliseconds since its last poll started, when the task queue was described. */
  lastPolledMs: number;
}

type PollerInfo = {
  identity?: string | null;
  lastAccessTime?: Parameters<typeof optionalTsToMs>[0];
  deploymentOptions?: { buildId?: string | null } | null;
};

/**
 * A live worker starts a poll at least this often: the server answers an idle long poll after a
 * minute and the worker polls again at once. The server keeps listing a worker for
 * POLLER_RECENT_MS after its last poll, so one listed but silent for longer has stopped (or
 * has no free slot to poll with).
 */
export const LIVE_POLL_MS = 70_000;

/**
 * The workers that polled within the recent window, from a task queue's poller list: a stopped
 * worker stays listed for minutes, so only one seen recently counts.
 */
export function recentPollers(pollers: readonly PollerInfo[], now: number = Date.now()): Poller[] {
  return pollers
    .map((p) => ({ p, lastPolledMs: Math.max(0, now - (optionalTsToMs(p.lastAccessTime) ?? 0)) }))
    .filter(({ lastPolledMs }) => lastPolledMs <= POLLER_RECENT_MS)
    .map(({ p, lastPolledMs }) => ({
      identity: p.identity || 'unnamed',
      // A Worker Deployment's build; an unversioned worker (embedded mode) reports the SDK's own
      // default build id in the deprecated capabilities, which names no contrail build.
      buildId: p.deploymentOptions?.buildId || null,
      lastPolledMs,
    }));
}

/** The workers polling `taskQueue` for workflow tasks (the default type) now. */
export async function taskQueuePollers(client: Client, taskQueue: string): Promise<Poller[]> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
  });
  return recentPollers(pollers ?? []);
}

/**
 * `2 workers poll task queue 'contrail' (build b1: 1; build b2: 1)`: how many serve it, and on
 * which builds, so an operator sees a worker missing or one left on an old build. A worker the
 * server still lists but that has not polled for over a minute is not counted as polling.
 */
export function pollersLine(taskQueue: string, pollers: readonly Poller[]): string {
  const live = pollers.filter((p) => p.lastPolledMs <= LIVE_POLL_MS);
  const byBuild = new Map<string, number>();
  for (const p of live) {
    const build = p.buildId === null ? 'unversioned' : `build ${p.buildId}`;
    byBuild.set(build, (byBuild.get(build) ?? 0) + 1);
  }
  const builds = [...byBuild.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([build, n]) => `${build}: ${n}`)
    .join('; ');
  const count = live.length === 1 ? '1 worker polls' : `${live.length} workers poll`;
  const silent = pollers.length - live.length;
  return `${count} task queue '${taskQueue}'${builds ? ` (${builds})` : ''}${
    silent > 0 ? `; ${silent} more listed ${silent === 1 ? 'has' : 'have'} not polled for over a minute` : ''
  }`;
}

/** `4242@host-a (last polled 40 s ago)`: one worker of the server's list, within a sentence. */
export function pollerNamed(p: Poller): string {
  return `${p.identity} (last polled ${elapsed(p.lastPolledMs)} ago)`;
}

/**
 * `4242@host-a, last polled 40 s ago`, and for one silent for longer than a live worker ever is,
 * that it has likely stopped: what the server's list says of one worker, and no more.
 */
export function pollerLine(p: Poller): string {
  const line = `${p.identity}${p.buildId === null ? '' : ` (build ${p.buildId})`}, last polled ${elapsed(p.lastPolledMs)} ago`;
  return p.lastPolledMs > LIVE_POLL_MS
    ? `${line}: likely stopped (a live worker polls at least once a minute; the server lists one for ${elapsed(POLLER_RECENT_MS)} after)`
    : line;
}

/** What to do about a run that no worker serves. */
export function noWorkerLine(taskQueue: string): string {
  return `no worker polls task queue '${taskQueue}': the run waits until one does (start \`${contrailCommand()} worker\` with the same TEMPORAL_ADDRESS)`;
}

/**
 * The lines a followed run says of what is retrying, from each look at it: each attempt of an
 * activity once, its failure in full the first time and in a few words each time it failed the
 * same way again (retry-failures.ts).
 */
export function retryLines(): (retrying: readonly RetryingActivity[]) => string[] {
  const shownAttempts = new Map<string, number>();
  const failures = retryFailures();
  return (retrying) =>
    retrying.flatMap((r) => {
      const key = `${r.workflowId} ${r.activity}`;
      if (shownAttempts.get(key) === r.attempt) return [];
      shownAttempts.set(key, r.attempt);
      return [retryLine(r, failures.repeated(key, r.failure))];
    });
}

/**
 * `retrying estimateCost (attempt 3) in preview/x: BigQuery gave no answer: …`, or, when
 * `repeated` (the failure said last for this activity of this workflow: retry-failures.ts),
 * `retrying estimateCost (attempt 4) in preview/x: failed the same way`.
 */
export function retryLine(r: RetryingActivity, repeated = false): string {
  return `retrying ${r.activity} (attempt ${r.attempt}) in ${r.workflowId}: ${repeated ? FAILED_THE_SAME_WAY : r.failure}`;
}
