import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Client,
  WorkflowFailedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { contrailCommand } from '../command-name.js';
import { plural } from '../plural.js';
import type { Progress } from '../workflows/common.js';
import { CliError } from './errors.js';
import { followWorkflow, runningInput } from './follow.js';
import { unservedBuildOf } from './held-up.js';
import { cancelledLine, isAnalysisWorkflow, leftByInterrupt, outcomeOf, reachedLine } from './outcomes.js';
import { unknownWorkflowMessage } from './running.js';

/*
 * Cancelling workflows and saying what that did: an embedded command's Ctrl-C cancels every
 * workflow of its private server (src/client/embedded.ts); `contrail cancel` cancels one on a
 * cluster, which, as it stops, cancels the runs it started on their pinned builds.
 */

/** The progress of the workflow `id` (null when there is none, or no answer within 2 s). */
export async function progressOf(client: Client, id: string | undefined): Promise<Progress | null> {
  if (id === undefined) return null;
  return await client
    .withDeadline(Date.now() + 2_000, () => client.workflow.getHandle(id).query<Progress>('progress'))
    .catch(() => null);
}

/** Cancels every workflow open on the server; the ids of those it cancelled. */
export async function cancelRunning(client: Client): Promise<string[]> {
  const cancelled: string[] = [];
  for await (const execution of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
    await client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .cancel()
      .then(() => cancelled.push(execution.workflowId))
      .catch(() => undefined); // ended meanwhile
  }
  return cancelled;
}

/** The workflows whose own activity publishes (a parent's `publishing` stage is its publications'). */
const PUBLISHERS = new Set(['analyzeExperiment', 'publishExperiment']);

/** The open workflows that are publishing (their `progress` says so), by id. */
export async function publishingNow(client: Client): Promise<string[]> {
  const publishing: string[] = [];
  for await (const execution of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
    const progress = await progressOf(client, execution.workflowId);
    if (progress?.stage === 'publishing' && PUBLISHERS.has(progress.workflow))
      publishing.push(execution.workflowId);
  }
  return publishing.sort();
}

/**
 * Resolves once no open workflow publishes: a publication under way when its workflow was
 * cancelled runs to its end (src/workflows/publish.ts, publishToItsEnd), and the worker that runs
 * it must serve until then. `onWait` hears once which workflows are waited for.
 */
export async function publicationsEnded(
  client: Client,
  onWait: (publishing: string[]) => void,
  pollMs = 500,
): Promise<void> {
  let told = false;
  for (;;) {
    const publishing = await publishingNow(client).catch(() => []);
    if (publishing.length === 0) return;
    if (!told) onWait(publishing);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Which of `ids` (workflows a cancellation was asked of) ended completed, not cancelled: a run
 * that was publishing, which runs to its end, or one that finished as the cancellation came.
 */
export async function completedOf(client: Client, ids: readonly string[]): Promise<string[]> {
  const completed: string[] = [];
  for (const id of ids) {
    const status = await client.workflow
      .getHandle(id)
      .describe()
      .then((d) => d.status.name)
      .catch(() => null);
    if (status === 'COMPLETED') completed.push(id);
  }
  return completed;
}

export interface CancelOptions {
  /** The server as messages name it: `<address> (namespace <namespace>)`. */
  server: string;
  /** Its address, named by the follower when it stops answering. */
  address: string;
  /** Wait until the workflow and the runs it started have stopped; false: ask for it and return. */
  follow: boolean;
  progressBar: boolean;
  log: (line: string) => void;
  /** Told as the cancellation is asked for and once it is requested: what an interrupt says then. */
  onState?: (state: 'asking' | 'requested') => void;
}

/** What `contrail cancel` did, as `--json` prints it. */
export interface CancelReport {
  workflowId: string;
  type: string;
  /** False when the workflow had ended before: nothing was asked of it. */
  requested: boolean;
  /** How it ended (`cancelled`, `completed`, `failed`, `terminated`, `timed out`), or `running` when not waited for. */
  status: string;
  /** When it ended (ISO time), once it has. */
  closedAt: string | null;
  /** How far it had got when the cancellation was asked for (its `progress`), when it answered. */
  reached: Progress | null;
  /** It and the runs it had started on their pinned builds, those that ended cancelled. */
  cancelled: string[];
  /** What that leaves of the published results. */
  left: string | null;
  /** The report of what it returned: a preview stopped at its date returns what it finished. */
  report: string | null;
  /** The one line that says all this. */
  summary: string;
}

/** `cancelled`, `timed out`: a workflow's status as the CLI says it. */
const stateOf = (d: { status: { name: string } }) => d.status.name.toLowerCase().replaceAll('_', ' ');

async function describeKnown(client: Client, workflowId: string, server: string, runId?: string) {
  try {
    return await client.workflow.getHandle(workflowId, runId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new CliError(await unknownWorkflowMessage(client, workflowId, server));
    throw error;
  }
}

/**
 * Cancels the workflow `workflowId` on a cluster and, unless `follow` is false, waits until it
 * and the runs it had started have stopped: one that had ended already is left as it is, and
 * said so with how and when it ended.
 */
export async function cancelWorkflow(
  client: Client,
  workflowId: string,
  options: CancelOptions,
): Promise<CancelReport> {
  const before = await describeKnown(client, workflowId, options.server);
  if (before.status.name !== 'RUNNING') return alreadyEnded(before);
  // The run found running, not whichever runs under its id later: an analysis's id is started
  // again by another daily run or backfill waiting for it as soon as this one ends, and that run
  // is neither to be cancelled, nor waited for, nor said to be how this one ended.
  const handle = client.workflow.getHandle(workflowId, before.runId);
  const type = before.type;
  // How far it had got, asked before it is cancelled: said with what was cancelled.
  const reached = await progressOf(client, workflowId);
  const input = await runningInput(client, workflowId).catch(() => undefined);
  const left = isAnalysisWorkflow(type) ? leftByInterrupt(type, input) : null;
  // The runs it started, as they are before it cancels them (their ids are reused as its own is).
  const started = await runsNow(client, reached?.runs ?? []);
  options.onState?.('asking');
  try {
    await handle.cancel();
  } catch (error) {
    // It ended between the look and the request.
    if (error instanceof WorkflowNotFoundError)
      return alreadyEnded(await describeKnown(client, workflowId, options.server, before.runId));
    throw error;
  }
  options.onState?.('requested');
  const common = { workflowId, type, requested: true, reached, left, report: null };
  if (!options.follow) {
    const at = reached ? `, ${reachedLine(reached)}` : '';
    return {
      ...common,
      status: 'running',
      closedAt: null,
      cancelled: [],
      summary: `requested the cancellation of ${workflowId} (${type}${at}): it stops at its next step, with the runs it started${left ? `; ${left}` : ''}; \`${contrailCommand()} status ${workflowId}\` shows how it ends`,
    };
  }
  options.log(
    `cancelling ${workflowId}: waiting for it to stop (Ctrl-C stops waiting; the cancellation stays requested)`,
  );
  let result: unknown;
  try {
    result = await followWorkflow(client, workflowId, {
      address: options.address,
      progressBar: options.progressBar,
      log: options.log,
      failureAsIs: true,
      runId: before.runId,
    });
  } catch (error) {
    // Cancelled (or failed, or terminated meanwhile): its description says which.
    if (!(error instanceof WorkflowFailedError)) throw error;
  }
  const runs = await stoppedRuns(client, started, options.log);
  const after = await handle.describe();
  const closedAt = after.closeTime?.toISOString() ?? null;
  const cancelled = [workflowId, ...runs.filter((r) => r.status === 'cancelled').map((r) => r.workflowId)];
  // An analysis may finish between the request and the moment its next step hears of it.
  const first = runs.filter((r) => r.status === 'completed').map((r) => r.workflowId);
  const ended = { ...common, status: stateOf(after), closedAt };
  if (after.status.name === 'CANCELLED')
    return {
      ...ended,
      cancelled,
      summary: stoppedSummary(workflowId, reached, cancelled, left, first, null),
    };
  if (after.status.name === 'COMPLETED') {
    // A preview stops at the date it was on and returns what it finished, with its report.
    const outcome = isAnalysisWorkflow(type) ? outcomeOf(type, result) : null;
    if (outcome?.interrupted)
      return {
        ...ended,
        cancelled,
        report: outcome.report,
        summary: stoppedSummary(workflowId, reached, cancelled, left, first, outcome.report),
      };
    // Publishing, once begun, runs to its end: the cancellation came too late to stop anything.
    const finished =
      reached?.stage === 'publishing'
        ? `was publishing when the cancellation came, and publishing runs to its end: it completed at ${closedAt}, its results published in full`
        : `had finished when the cancellation came (completed at ${closedAt}): nothing was cut short`;
    return {
      ...ended,
      cancelled: runs.filter((r) => r.status === 'cancelled').map((r) => r.workflowId),
      summary: `${workflowId} ${finished}; \`${contrailCommand()} status ${workflowId}\` shows its result`,
    };
  }
  return {
    ...ended,
    cancelled: cancelled.slice(1),
    summary: `${workflowId} ${ENDED_OTHERWISE[after.status.name] ?? `ended ${ended.status}`} at ${closedAt} before the cancellation reached it: \`${contrailCommand()} status ${workflowId}\` shows why`,
  };
}

/**
 * The line `contrail cancel` ends with for a workflow its cancellation stopped: how far it had
 * got, what was cancelled and what that leaves. How far is its progress as the cancellation was
 * asked for, unless it returned a report (a preview stopped at the date it was on): a date may
 * finish between that question and the request, and the report, printed just before this line,
 * names the dates that finished, which a count from before would contradict.
 */
function stoppedSummary(
  workflowId: string,
  reached: Progress | null,
  cancelled: readonly string[],
  left: string | null,
  finishedFirst: readonly string[],
  report: string | null,
): string {
  return report === null
    ? cancelledLine(`${workflowId} stopped`, reached, cancelled, left, finishedFirst)
    : cancelledLine(`${workflowId} stopped where its report says`, null, cancelled, left, finishedFirst);
}

/** How a workflow ended that the cancellation did not end, in a sentence. */
const ENDED_OTHERWISE: Record<string, string> = {
  FAILED: 'failed',
  TERMINATED: 'was terminated',
  TIMED_OUT: 'timed out',
};

function alreadyEnded(d: Awaited<ReturnType<WorkflowHandle['describe']>>): CancelReport {
  const closedAt = d.closeTime?.toISOString() ?? null;
  const state = stateOf(d);
  return {
    workflowId: d.workflowId,
    type: d.type,
    requested: false,
    status: state,
    closedAt,
    reached: null,
    cancelled: [],
    left: null,
    report: null,
    summary: `${d.workflowId} (${d.type}) had already ended: ${state}${closedAt ? ` at ${closedAt}` : ''}; nothing was cancelled`,
  };
}

/**
 * How the runs a parent had started on their pinned builds ended, once each has stopped. The
 * parent cancels them as it stops (they are workflows of their own, not its children: see
 * src/temporal/pinned-runs.ts), and each stops at its next step, once a worker of its build
 * takes that, so the parent's end is not theirs.
 */
async function stoppedRuns(
  client: Client,
  runs: readonly StartedRun[],
  log: (line: string) => void,
): Promise<{ workflowId: string; status: string }[]> {
  const open: StartedRun[] = [];
  for (const r of runs)
    if ((await describeRun(client, r.workflowId, r.runId))?.status.name === 'RUNNING') open.push(r);
  if (open.length > 0) {
    log(
      `waiting for ${plural(open.length, 'run')} it started to stop (each at its next step, on a worker of its build): ${open.map((r) => r.workflowId).join(', ')}`,
    );
    // A run pinned to a build no worker runs hears of its cancellation only once one does:
    // said, with the worker to start, rather than waiting without a word.
    const watch = new AbortController();
    const watching = sayUnservedBuilds(client, open, log, watch.signal);
    // Cancelled, the result is a failure: either way the run has closed.
    await Promise.all(
      open.map((r) =>
        client.workflow
          .getHandle(r.workflowId, r.runId)
          .result()
          .catch(() => undefined),
      ),
    );
    watch.abort();
    await watching;
  }
  const out: { workflowId: string; status: string }[] = [];
  for (const r of runs) {
    const d = await describeRun(client, r.workflowId, r.runId);
    if (d !== null) out.push({ workflowId: r.workflowId, status: stateOf(d) });
  }
  return out;
}

/** How often the runs waited for are looked at for a build no worker runs. */
const UNSERVED_CHECK_MS = 3_000;

/** Says once of each run in `runs` that it waits for a worker of its pinned build that none runs, until `signal`. */
async function sayUnservedBuilds(
  client: Client,
  runs: readonly StartedRun[],
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const said = new Set<string>();
  while (said.size < runs.length) {
    const slept = await sleep(UNSERVED_CHECK_MS, true, { signal, ref: false }).catch(() => false);
    if (!slept || signal.aborted) return;
    for (const r of runs) {
      if (said.has(r.workflowId)) continue;
      const line = await unservedBuildOf(client, r.workflowId, r.runId).catch(() => null);
      if (line === null || signal.aborted) continue;
      said.add(r.workflowId);
      log(line);
    }
  }
}

/** One run a parent started, as found before the cancellation (no run id: none was found). */
interface StartedRun {
  workflowId: string;
  runId: string | undefined;
}

/** The run now under each id (the parent's runs, looked at before it cancels them). */
async function runsNow(client: Client, ids: readonly string[]): Promise<StartedRun[]> {
  return await Promise.all(
    ids.map(async (workflowId) => ({
      workflowId,
      runId: (await describeRun(client, workflowId, undefined))?.runId,
    })),
  );
}

async function describeRun(client: Client, workflowId: string, runId: string | undefined) {
  try {
    return await client.workflow.getHandle(workflowId, runId).describe();
  } catch (error) {
    // Gone from the server (its retention passed): nothing of it to wait for.
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}
