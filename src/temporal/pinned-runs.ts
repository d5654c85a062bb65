/**
 * Runs that a parent workflow (daily analysis, backfill, rerun) starts as workflows of their
 * own rather than as children, so that each can run on its own build: a child always runs on
 * its parent's Worker Deployment version, while a workflow started with a pinned versioning
 * override runs only on workers of that build, waits while none polls, and is never moved to
 * another build by the server. The parent starts, awaits and cancels them through activities
 * (this module does the client calls); the rules of what to start live in the workflows.
 * One module, as starting, awaiting and cancelling follow one protocol: the memo that says
 * whose run is whose, the outcomes, and the runs of other parents awaited before a start.
 */
import {
  type Client,
  type WorkflowExecutionDescription,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import type { StorageRefusal } from '../warehouse/errors.js';
import { describeFailure, storageRefusalOf } from './failures.js';
import { CONFIG_COMMIT, EXPERIMENT, STAGE, TOOL_VERSION } from './search-attributes.js';

/** What to start: a workflow type, its id and input, and the build it must run on. */
export interface RunStart {
  workflowType: string;
  workflowId: string;
  input: unknown;
  /** Build id to pin the run to in a versioned deployment; null = the current version (or unversioned). */
  pinnedTo: string | null;
  /** For people and visibility: the experiment, the pinned tooling (`<version>+<build>`) and config commit. */
  slug: string;
  date: string | null;
  toolVersion: string | null;
  configCommit: string | null;
  summary: string;
}

/** A run that was started (or found already running): enough to await, describe and cancel it. */
export interface StartedRun {
  workflowType: string;
  workflowId: string;
  runId: string;
  slug: string;
  date: string | null;
  toolVersion: string | null;
  pinnedTo: string | null;
}

/**
 * How a run ended: its result (`R`, what its workflow returns), or its failure as the workflows
 * report failures (type and message), and, when the embedded warehouse's file system refused
 * its writes (full or read-only), which refusal: the parent starts no more runs on it.
 */
export type RunOutcome<R = unknown> =
  | { workflowId: string; status: 'completed'; result: R }
  | { workflowId: string; status: 'failed'; errorType: string; message: string; storage?: StorageRefusal };

/** A run that has been waiting for a worker of its build for a while (none polls, or all are busy). */
export interface WaitingRun {
  workflowId: string;
  slug: string;
  date: string | null;
  /** The pinned tooling, `<version>+<build>`. */
  toolVersion: string | null;
  buildId: string | null;
  /** ISO time the task that waits was scheduled. */
  since: string;
}

/**
 * A run of the id another parent started and that still runs: this parent's own run of that
 * experiment-day (or publication) waits for it to end, then starts. `run` is that other run,
 * to await as a run of one's own is awaited.
 */
export interface BusyRun {
  busy: true;
  workflowId: string;
  run: StartedRun;
  /** The parent that started it: its workflow id, or how its memo names it. */
  startedBy: string;
}

export interface RunScope {
  client: Client;
  taskQueue: string;
  /** The Worker Deployment of a versioned worker; null: runs are started without an override. */
  deploymentName: string | null;
  /** The workflow id of the parent that starts the runs, recorded in each run's memo (absent: not recorded). */
  parent?: string;
}

/**
 * Whose tables a run writes: the run (backfill or rerun) whose staging names it writes under,
 * from its input's `run`; null for an analysis that publishes itself. Recorded in each started
 * run's memo, so that a parent never takes another parent's run of the same id for its own.
 */
const OWNER_MEMO = 'contrailRun';
/** The workflow id of the parent that started a run, so that another parent waiting for it can name it. */
const PARENT_MEMO = 'contrailParent';

function ownerOf(input: unknown): string | null {
  const run = (input as { run?: unknown } | null)?.run;
  return typeof run === 'string' ? run : null;
}

/** Who started a run, as a parent waiting for it says: the parent's id, else its owner's. */
function starterOf(other: { owner: string | null | undefined; parent: string | undefined }): string {
  if (other.parent !== undefined) return other.parent;
  return typeof other.owner === 'string' ? other.owner : 'a daily run (an analysis that publishes itself)';
}

/**
 * A run of the same id that another parent started and is still running, or that an earlier
 * run of this parent started and that is still stopping after its cancellation: refused,
 * naming it.
 */
function taken(run: RunStart, owner: string | null, stoppingFor?: string): RunOutcome {
  const by = owner === null ? 'an analysis that publishes itself (the daily run)' : owner;
  return {
    workflowId: run.workflowId,
    status: 'failed',
    errorType: 'ConcurrentRun',
    message:
      stoppingFor === undefined
        ? `${run.workflowId} is already running for ${by}, which writes the same tables; run this again when it has finished`
        : `${run.workflowId} is still stopping after ${stoppingFor} was cancelled; run this again when it has ended`,
  };
}

/**
 * Starts each run unless this parent already started it (one of its own started at or after
 * `notBefore`, e.g. by an attempt of this activity whose answer was lost) and joins a run of
 * the same id and owner that is still running: the same work under the same id runs once. A
 * run of the same id that another parent started is never taken for this one's (its tables go
 * elsewhere): while it runs, this one is returned as busy with that run (`waitForOthers`: the
 * parent waits for it to end and starts again) or, for a parent of an older build, refused as
 * a failed outcome; once it has ended, this one starts anew. A run of this parent's id that an
 * earlier run of it started and then cancelled (a parent cancelled and started again at once)
 * is not joined either while it still stops: it would end cancelled, and the day with it,
 * though nobody cancelled this parent; it is waited for (or refused) as another parent's run
 * is. One that an earlier run left running without a cancellation (that parent crashed or was
 * terminated) goes on and is joined. A run that cannot be started is reported as a failed
 * outcome, the others are started.
 */
export async function startRuns(
  scope: RunScope,
  runs: readonly RunStart[],
  notBefore: Date,
  options: { waitForOthers?: boolean } = {},
): Promise<(StartedRun | RunOutcome | BusyRun)[]> {
  const out: (StartedRun | RunOutcome | BusyRun)[] = [];
  const others = (
    run: RunStart,
    other: { runId: string; owner: string | null | undefined; parent: string | undefined },
    stopping = false,
  ): RunOutcome | BusyRun => {
    const starter = stopping ? `an earlier run of ${starterOf(other)}` : starterOf(other);
    return options.waitForOthers
      ? {
          busy: true,
          workflowId: run.workflowId,
          run: {
            workflowType: run.workflowType,
            workflowId: run.workflowId,
            runId: other.runId,
            slug: run.slug,
            date: run.date,
            toolVersion: null,
            pinnedTo: null,
          },
          startedBy: stopping ? `${starter}, cancelled and still stopping` : starter,
        }
      : taken(run, other.owner ?? null, stopping ? starter : undefined);
  };
  for (const run of runs) {
    const owner = ownerOf(run.input);
    // Runs started before owners were recorded have none: taken as this parent's, as before.
    const ours = (other: { owner: string | null | undefined }) =>
      other.owner === undefined || other.owner === owner;
    const started = (runId: string): StartedRun => ({
      workflowType: run.workflowType,
      workflowId: run.workflowId,
      runId,
      slug: run.slug,
      date: run.date,
      toolVersion: run.toolVersion,
      pinnedTo: run.pinnedTo,
    });
    try {
      const earlier = await latestRun(scope.client, run.workflowId);
      if (earlier && ours(earlier) && earlier.startTime.getTime() >= notBefore.getTime()) {
        out.push(started(earlier.runId));
        continue;
      }
      if (earlier?.running && !ours(earlier)) {
        out.push(others(run, earlier));
        continue;
      }
      if (earlier?.running && earlier.cancelRequested) {
        out.push(others(run, earlier, true));
        continue;
      }
      const searchAttributes: SearchAttributePair[] = [
        { key: EXPERIMENT, value: run.slug },
        { key: STAGE, value: 'starting' },
      ];
      if (run.toolVersion) searchAttributes.push({ key: TOOL_VERSION, value: run.toolVersion });
      if (run.configCommit) searchAttributes.push({ key: CONFIG_COMMIT, value: run.configCommit });
      const handle = await scope.client.workflow.start(run.workflowType, {
        taskQueue: scope.taskQueue,
        workflowId: run.workflowId,
        args: [run.input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        memo: { [OWNER_MEMO]: owner, ...(scope.parent === undefined ? {} : { [PARENT_MEMO]: scope.parent }) },
        staticSummary: run.summary,
        typedSearchAttributes: searchAttributes,
        ...(scope.deploymentName && run.pinnedTo
          ? {
              versioningOverride: {
                pinnedTo: { deploymentName: scope.deploymentName, buildId: run.pinnedTo },
              },
            }
          : {}),
      });
      // Another parent may have started the id between the look and the start: joined, it is theirs.
      const joined = await latestRun(scope.client, run.workflowId);
      if (joined && joined.runId === handle.firstExecutionRunId && !ours(joined)) {
        out.push(others(run, joined));
        continue;
      }
      out.push(started(handle.firstExecutionRunId));
    } catch (error) {
      const { errorType, message } = describeFailure(error);
      out.push({ workflowId: run.workflowId, status: 'failed', errorType, message });
    }
  }
  return out;
}

async function latestRun(
  client: Client,
  workflowId: string,
): Promise<{
  runId: string;
  startTime: Date;
  running: boolean;
  /** Its cancellation was requested (it may still be running while it stops). */
  cancelRequested: boolean;
  owner: string | null | undefined;
  parent: string | undefined;
} | null> {
  try {
    const described = await client.workflow.getHandle(workflowId).describe();
    const memo = described.memo ?? {};
    return {
      runId: described.runId,
      startTime: described.startTime,
      running: described.status.name === 'RUNNING',
      // The description says it (the dev server contrail installs, 1.29, does), so no history is
      // read; a server too old to say it leaves it false, and such a run is joined as before.
      cancelRequested: described.raw.workflowExtendedInfo?.cancelRequested === true,
      owner: OWNER_MEMO in memo ? (memo[OWNER_MEMO] as string | null) : undefined,
      parent: typeof memo[PARENT_MEMO] === 'string' ? memo[PARENT_MEMO] : undefined,
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

export interface AwaitOptions {
  /** Runs the parent already shows as waiting: a change of that set ends the wait early. */
  knownWaiting: readonly string[];
  /** Return after this long even if nothing finished (the parent's history grows by one activity per return). */
  maxWaitMs: number;
  /** A task scheduled this long ago and not started means the run waits for a worker of its build. */
  waitingAfterMs: number;
  heartbeat: () => void;
  /** Ends the wait (the activity was cancelled). */
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Waits until at least one run ends, the set of waiting runs changes, or `maxWaitMs` passes;
 * returns the ended runs' outcomes and the runs that wait for a worker of their build.
 * A run's end wakes the wait at once (each open run has a long poll for its close); the
 * descriptions that tell whether a run waits for a worker are read at a growing interval, up to
 * 2 s, heartbeating.
 */
export async function awaitRuns(
  client: Client,
  runs: readonly StartedRun[],
  options: AwaitOptions,
): Promise<{ finished: RunOutcome[]; waiting: WaitingRun[] }> {
  const now = options.now ?? Date.now;
  const start = now();
  const known = [...options.knownWaiting].sort().join('\n');
  let pause = 50;
  for (;;) {
    const finished: RunOutcome[] = [];
    const waiting: WaitingRun[] = [];
    for (const run of runs) {
      const handle = client.workflow.getHandle(run.workflowId, run.runId);
      const described = await handle.describe();
      const status = described.status.name;
      if (status === 'RUNNING') {
        const since = waitingSince(described.raw, now(), options.waitingAfterMs);
        if (since !== null)
          waiting.push({
            workflowId: run.workflowId,
            slug: run.slug,
            date: run.date,
            // Another parent's run, awaited before this parent starts its own, comes without its
            // tooling (`startRuns` knows only its id): the search attribute its start set says it.
            toolVersion: run.toolVersion ?? described.typedSearchAttributes.get(TOOL_VERSION) ?? null,
            buildId: run.pinnedTo,
            since: new Date(since).toISOString(),
          });
        continue;
      }
      finished.push(await outcomeOf(client, run));
    }
    const changed =
      waiting
        .map((w) => w.workflowId)
        .sort()
        .join('\n') !== known;
    if (finished.length > 0 || changed || now() - start >= options.maxWaitMs) return { finished, waiting };
    options.heartbeat();
    await Promise.race([sleep(pause, options.signal), ...runs.map((run) => closed(client, run))]);
    pause = Math.min(2000, Math.round(pause * 1.5));
  }
}

/** The long polls for open runs' closes, by workflow and run id: one per run in this process. */
const closes = new Map<string, Promise<void>>();

/**
 * Settles when the run closes. The long poll outlives the wait that started it (the worker's
 * connection cannot cancel a call), so the next wait, after another run ended, takes it over
 * instead of starting a second; it ends with its run. One that fails without the run having
 * closed (the server unreachable) never settles, and the next wait polls for that run anew: the
 * descriptions, read in any case, say what happened.
 */
function closed(client: Client, run: StartedRun): Promise<void> {
  const key = `${run.workflowId}\0${run.runId}`;
  let close = closes.get(key);
  if (!close) {
    const handle = client.workflow.getHandle(run.workflowId, run.runId);
    close = handle.result().then(
      () => {
        closes.delete(key);
      },
      (error) => {
        closes.delete(key);
        // A failed, cancelled, terminated or timed-out run has closed too.
        if (!(error instanceof WorkflowFailedError)) return new Promise<void>(() => undefined);
      },
    );
    closes.set(key, close);
  }
  return close;
}

/** The outcome of a run that is no longer running (a continued run is followed to its end). */
async function outcomeOf(client: Client, run: StartedRun): Promise<RunOutcome> {
  try {
    const result = await client.workflow.getHandle(run.workflowId, run.runId).result();
    return { workflowId: run.workflowId, status: 'completed', result };
  } catch (error) {
    const { errorType, message } = describeFailure(error);
    const storage = storageRefusalOf(error);
    return {
      workflowId: run.workflowId,
      status: 'failed',
      errorType,
      message,
      ...(storage ? { storage } : {}),
    };
  }
}

// temporal.api.enums.v1: PENDING_WORKFLOW_TASK_STATE_SCHEDULED and PENDING_ACTIVITY_STATE_SCHEDULED.
const WORKFLOW_TASK_SCHEDULED = 1;
const ACTIVITY_SCHEDULED = 1;

/**
 * Since when a running workflow waits for a worker: its workflow task, or one of its
 * activities, has been scheduled for at least `afterMs` and no worker has taken it. A worker
 * of the build that polls takes a task within milliseconds, so a task left that long means no
 * worker of the build is polling (or all of them are busy). Null when nothing waits.
 */
export function waitingSince(
  raw: WorkflowExecutionDescription['raw'],
  now: number,
  afterMs: number,
): number | null {
  const times: number[] = [];
  const task = raw.pendingWorkflowTask;
  if (task && task.state === WORKFLOW_TASK_SCHEDULED) {
    const at = optionalTsToMs(task.originalScheduledTime) ?? optionalTsToMs(task.scheduledTime);
    if (at !== undefined) times.push(at);
  }
  for (const activity of raw.pendingActivities ?? []) {
    if (activity.state !== ACTIVITY_SCHEDULED) continue;
    const next = optionalTsToMs(activity.nextAttemptScheduleTime);
    // An activity waiting out its retry backoff is not waiting for a worker yet.
    if (next !== undefined && next > now) continue;
    const at = Math.max(
      optionalTsToMs(activity.scheduledTime) ?? 0,
      optionalTsToMs(activity.lastAttemptCompleteTime) ?? 0,
      next ?? 0,
    );
    if (at > 0) times.push(at);
  }
  const since = times.length > 0 ? Math.min(...times) : null;
  return since !== null && now - since >= afterMs ? since : null;
}

/** Cancels runs the parent started (a cancelled parent does not cancel workflows that are not its children). */
export async function cancelRuns(client: Client, runs: readonly StartedRun[]): Promise<void> {
  for (const run of runs) {
    try {
      await client.workflow.getHandle(run.workflowId, run.runId).cancel();
    } catch (error) {
      // Already ended: nothing to cancel.
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
