import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApplicationFailure,
  type Client,
  defaultPayloadConverter,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import { contrailCommand } from '../command-name.js';
import type { Progress } from '../workflows/common.js';
import type { WorkflowName } from '../workflows/registered.js';
import { CliError } from './errors.js';
import { elapsed } from './format.js';
import { retryLines, whatHoldsItUp } from './held-up.js';
import { PeriodicCall } from './periodic-call.js';
import { namedRunning, progressLine, StageEstimate, timeLeft, waitingLine } from './progress-line.js';

export interface StartOptions {
  workflowType: WorkflowName;
  workflowId: string;
  input: unknown;
  taskQueue: string;
  summary: string;
  /**
   * The differences between this start's input and a running workflow's (`field: theirs vs
   * ours`), empty when both do the same work. Without it any running workflow of the id is joined.
   */
  differences?: (running: unknown) => string[];
}

export interface Started {
  handle: WorkflowHandle;
  /** False when a workflow of the same id was already running the same work and this start joined it. */
  started: boolean;
}

export interface FollowOptions {
  /** Show a live progress bar (stderr) fed by the workflow's `progress` query. */
  progressBar: boolean;
  log: (line: string) => void;
  /** How often to ask what holds the run up (default 3 s). */
  retryCheckMs?: number;
  /** The server is this command's own (embedded mode): nothing outlives it to follow again. */
  embedded?: boolean;
  /** The Temporal server's address, named when it stops answering. */
  address?: string;
  /** How long to wait for a server that stopped answering before giving up (default 5 min). */
  serverWaitMs?: number;
  /** The clock the progress lines without a bar are spaced by (tests). */
  now?: () => number;
  /**
   * A run that ends failed, cancelled or terminated throws its WorkflowFailedError as it is, for
   * a caller that says itself how it ended (`contrail cancel`, to which a cancelled run is the
   * end it asked for) rather than as the failure it is to the commands that start work.
   */
  failureAsIs?: boolean;
  /**
   * The run to follow, when one is meant rather than whichever runs under the id: an analysis id
   * is started again by another daily run or backfill as soon as the run before it ends.
   */
  runId?: string;
}

/** Without a bar (a log, CI), progress within a stage is a line at most this often. */
const PROGRESS_LINE_EVERY_MS = 10_000;
/** Without a bar, a stage where nothing finishes still gets a line this often: the run is alive. */
const PROGRESS_STILL_EVERY_MS = 60_000;

/** gRPC's UNAVAILABLE and DEADLINE_EXCEEDED: the server stopped answering, not the workflow failing. */
const SERVER_GONE = new Set([14, 4]);

function serverGone(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return error instanceof ServiceError && typeof code === 'number' && SERVER_GONE.has(code);
}

/** gRPC's UNAVAILABLE: the connection itself failed, whatever was asked. */
function serverUnavailable(error: unknown): boolean {
  return serverGone(error) && (error as { cause?: { code?: unknown } }).cause?.code === 14;
}

/** Whether the server answers a call that needs no worker. */
async function serverAnswers(handle: Pick<WorkflowHandle, 'describe'>): Promise<boolean> {
  try {
    await handle.describe();
    return true;
  } catch (error) {
    return !serverGone(error);
  }
}

/** Web UI link for a workflow. */
export function workflowUrl(uiBase: string, namespace: string, workflowId: string): string {
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * Starts the workflow. Ids name the work (experiment, date, dataset), so a workflow already
 * running under the id either does the same work — this start joins it, and the same work
 * started twice runs once — or would write the same tables from other inputs: then the start
 * is refused with the running one's id, since two runs must never interleave their writes.
 */
export async function startWorkflow(client: Client, options: StartOptions): Promise<Started> {
  try {
    const handle = await client.workflow.start(options.workflowType, {
      taskQueue: options.taskQueue,
      workflowId: options.workflowId,
      args: [options.input],
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: options.summary,
    });
    return { handle, started: true };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  const handle = client.workflow.getHandle(options.workflowId);
  if (options.differences) {
    const differences = options.differences(await runningInput(client, options.workflowId));
    if (differences.length > 0) {
      throw new CliError(
        `${options.workflowId} is already running with other inputs (${differences.join('; ')}); ` +
          `follow it with \`${contrailCommand()} status ${options.workflowId}\` and start again when it has finished`,
      );
    }
  }
  return { handle, started: false };
}

/** The input the running workflow of `workflowId` was started with (first event of its history). */
export async function runningInput(client: Client, workflowId: string): Promise<unknown> {
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1,
  });
  const payloads = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  const first = payloads?.[0];
  return first ? defaultPayloadConverter.fromPayload(first) : undefined;
}

/**
 * How the progress is shown: a bar on a terminal, else one line per stage; either way the
 * run's notes (a preview's cost estimate) are printed once each, as soon as they are known.
 */
export function progressView(options: FollowOptions): {
  show: (p: Progress) => void;
  stop: () => void;
  /** Prints the notes of `all` (the run's whole list) not printed yet. */
  notes: (all: string[]) => void;
  /** Prints one line about the run (what waits, what retries), above the bar. */
  line: (text: string) => void;
} {
  let notesShown = 0;
  const newNotes = (p: Progress): string[] => {
    const notes = p.notes ?? [];
    const fresh = notes.slice(notesShown);
    notesShown = Math.max(notesShown, notes.length);
    return fresh;
  };
  if (!options.progressBar) {
    // A line per stage, and within a long stage one when work has finished since the last
    // line, at most every few seconds: a log shows the run moving without a line per poll.
    // A stage where nothing finishes for a while still gets a line, saying what runs.
    const now = options.now ?? Date.now;
    const estimate = new StageEstimate();
    let last = { stage: '', done: -1, at: 0 };
    return {
      show: (p) => {
        const fresh = newNotes(p);
        // Notes of a stage the run has moved on from come before the new stage's line; notes
        // of the stage shown (a preview refused for its estimate ends in it) after its line.
        const ofThisStage = p.notesStage === p.stage;
        if (!ofThisStage) for (const line of fresh) options.log(line);
        const at = now();
        const left = estimate.left(p, at);
        if (
          p.stage !== last.stage ||
          (p.done !== last.done && at - last.at >= PROGRESS_LINE_EVERY_MS) ||
          at - last.at >= PROGRESS_STILL_EVERY_MS
        ) {
          options.log(progressLine(p, left));
          last = { stage: p.stage, done: p.done, at };
        }
        if (ofThisStage) for (const line of fresh) options.log(line);
      },
      stop: () => undefined,
      notes: (all) => {
        for (const line of newNotes({ notes: all } as Progress)) options.log(line);
      },
      line: options.log,
    };
  }
  const estimate = new StageEstimate();
  const bar = new SingleBar({
    format: '{stage} [{bar}] {value}/{total}{failed} {current}{left}',
    hideCursor: true,
    clearOnComplete: false,
    stream: process.stderr,
    barsize: 30,
  });
  let started = false;
  // The stage the bar shows (its line, once the bar is stopped).
  let barStage: string | null = null;
  // The stage whose notes were printed under its (stopped) bar: its bar is not drawn again
  // below them, which would put the stage's line after its own notes.
  let heldStage: string | null = null;
  return {
    show: (p) => {
      const notes = newNotes(p);
      if (notes.length > 0) {
        // Lines printed under a live bar would be overdrawn: stop it, print, start it again.
        // Notes of the stage shown come after its line: the stopped bar's, else a line of its own.
        const ofThisStage = p.notesStage === p.stage;
        if (started) bar.stop();
        if (ofThisStage && (!started || barStage !== p.stage)) options.log(progressLine(p, null));
        started = false;
        for (const line of notes) options.log(line);
        heldStage = ofThisStage ? p.stage : null;
      }
      if (p.stage === heldStage) return;
      heldStage = null;
      const left = estimate.left(p, Date.now());
      const payload = {
        stage: p.stage.padEnd(12),
        failed: p.failed ? ` (${p.failed} failed)` : '',
        current: namedRunning(p.current),
        left: left === null ? '' : ` (${timeLeft(left)})`,
      };
      if (!started) {
        bar.start(Math.max(p.total, 1), p.done, payload);
        started = true;
      }
      bar.setTotal(Math.max(p.total, 1));
      bar.update(p.done, payload);
      barStage = p.stage;
    },
    stop: () => bar.stop(),
    notes: (all) => {
      const fresh = newNotes({ notes: all } as Progress);
      if (fresh.length > 0 && started) bar.stop();
      started = false;
      for (const line of fresh) options.log(line);
    },
    line: (text) => {
      if (started) bar.stop();
      started = false;
      options.log(text);
    },
  };
}

/**
 * Notes a failed run carried in its failure (a preview refused for its cost carries its
 * estimate): the last progress query may not reach a run that has just failed.
 */
function notesOfFailure(error: WorkflowFailedError): string[] {
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure) {
      const [details] = cause.details ?? [];
      const notes = (details as { notes?: unknown } | undefined)?.notes;
      if (Array.isArray(notes)) return notes.map(String);
    }
    cause = (cause as Error & { cause?: unknown }).cause;
  }
  return [];
}

/** Waits for the result, drawing progress from the `progress` query; failures become one-line errors. */
export async function followWorkflow<T>(
  client: Client,
  workflowId: string,
  options: FollowOptions,
): Promise<T> {
  const handle = client.workflow.getHandle(workflowId, options.runId);
  const view = progressView(options);
  // Runs waiting for a worker of their pinned build: said once each time the set changes.
  let lastWaiting = '';
  // The server not answering is said when first seen, and again when it answers: the result
  // waits through the SDK's retries for most of a minute, with nothing else to show meanwhile.
  // Said by the first call that gets an answer: the server's own (what holds the run up), since
  // a progress query also needs a worker, which may be away too.
  let serverSilent = false;
  // Since when the server has not answered the result's long poll (null: it answers).
  let silentSince: number | null = null;
  const server = options.address ? `Temporal at ${options.address}` : 'the Temporal server';
  const serverLost = () => {
    silentSince ??= Date.now();
    if (serverSilent) return;
    serverSilent = true;
    view.line(
      `${server} does not answer; waiting for it (${workflowId} is durable and goes on once it is back; Ctrl-C stops following)`,
    );
  };
  const serverBack = () => {
    silentSince = null;
    if (!serverSilent) return;
    serverSilent = false;
    view.line(`${server} answers again`);
  };
  // The runs the followed parent started on their pinned builds, as its last progress named them.
  let runs: readonly string[] = [];
  const show = (p: Progress) => {
    serverBack();
    runs = p.runs ?? [];
    view.show(p);
    const waiting = waitingLine(p);
    if (waiting !== lastWaiting && waiting !== '') view.line(waiting);
    lastWaiting = waiting;
  };
  const poller = new PeriodicCall(
    client,
    () => handle.query<Progress>('progress'),
    show,
    undefined,
    async (error) => {
      if (serverSilent || !serverGone(error) || options.embedded) return;
      // A query no worker answers times out on a server that answers well (DEADLINE_EXCEEDED,
      // after 30 s): the server itself is asked before it is said to be gone.
      if (!serverUnavailable(error) && (await serverAnswers(handle))) return;
      serverLost();
    },
  ).start();
  // Work that failed and waits for its next attempt: said once per attempt (a repeated failure
  // in a few words), so a warehouse that does not answer shows as retries rather than as a stage
  // that never moves. A run no worker serves (none, or none of its pinned build) never moves:
  // said once, with what to do.
  const retryLinesOf = retryLines();
  const saidUnserved = new Set<string>();
  let turn = 0;
  const retries = new PeriodicCall(
    client,
    () => whatHoldsItUp(client, handle, runs, turn++),
    ({ retrying, unserved }) => {
      serverBack();
      if (unserved !== null && !saidUnserved.has(unserved)) view.line(unserved);
      if (unserved !== null) saidUnserved.add(unserved);
      for (const line of retryLinesOf(retrying)) view.line(line);
    },
    options.retryCheckMs ?? RETRIES_INTERVAL_MS,
  ).start();
  const waitMs = options.serverWaitMs ?? SERVER_WAIT_MS;
  try {
    for (;;) {
      try {
        return (await handle.result()) as T;
      } catch (error) {
        if (error instanceof WorkflowFailedError) {
          await Promise.all([poller.stop(true), retries.stop()]);
          view.notes(notesOfFailure(error));
          if (options.failureAsIs) throw error;
          throw new CliError(`${workflowId} failed: ${failureMessage(error)}`);
        }
        if (!serverGone(error)) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        if (options.embedded)
          throw new CliError(
            `the embedded Temporal server stopped answering while running ${workflowId} (${reason})`,
          );
        // A server restarted (an upgrade, a redeploy) refuses the long poll at once: the run
        // is durable, so following waits for the server rather than ending with it.
        serverLost();
        const silentFor = Date.now() - (silentSince ?? Date.now());
        if (silentFor >= waitMs)
          throw new CliError(
            `lost Temporal${options.address ? ` at ${options.address}` : ''} while following ${workflowId} (${reason}${waitMs > 0 ? `; no answer for ${elapsed(silentFor)}` : ''}); the workflow is durable: once the server answers again, \`${contrailCommand()} status ${workflowId}\` follows it to its end`,
          );
        await sleep(SERVER_RETRY_MS);
      }
    }
  } finally {
    await Promise.all([poller.stop(true), retries.stop()]);
    view.stop();
  }
}

/** How long following waits for a Temporal server that does not answer before it gives up. */
const SERVER_WAIT_MS = 5 * 60_000;
/** How often the result is asked again meanwhile. */
const SERVER_RETRY_MS = 2_000;

/** How often a followed run is asked what holds it up (retries, no worker). */
const RETRIES_INTERVAL_MS = 3_000;
/** The innermost cause's message: the activity's own words, not the wrapping layers'. */
export function failureMessage(error: Error): string {
  let cause: unknown = (error as Error & { cause?: unknown }).cause;
  let message = error.message;
  while (cause instanceof Error) {
    message = cause.message;
    cause = (cause as Error & { cause?: unknown }).cause;
  }
  return message;
}
