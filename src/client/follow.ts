import { type Client, WorkflowFailedError } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import type { Progress } from '../workflows/common.js';
import { CliError } from './errors.js';

export interface StartOptions {
  workflowType: string;
  workflowId: string;
  input: unknown;
  taskQueue: string;
  summary: string;
}

export interface FollowOptions {
  /** Show a live progress bar (stderr) fed by the workflow's `progress` query. */
  progressBar: boolean;
  log: (line: string) => void;
}

/** Web UI link for a workflow. */
export function workflowUrl(uiBase: string, namespace: string, workflowId: string): string {
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * Starts the workflow — or finds it already running under the same id: the same work started
 * twice runs once — and returns its handle.
 */
export async function startWorkflow(client: Client, options: StartOptions) {
  const handle = await client.workflow.start(options.workflowType, {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId,
    args: [options.input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: options.summary,
  });
  return handle;
}

/** Waits for the result, drawing progress from the `progress` query; failures become one-line errors. */
export async function followWorkflow<T>(
  client: Client,
  workflowId: string,
  options: FollowOptions,
): Promise<T> {
  const handle = client.workflow.getHandle(workflowId);
  const bar = options.progressBar
    ? new SingleBar({
        format: '{stage} [{bar}] {value}/{total} {current}',
        hideCursor: true,
        clearOnComplete: false,
        stream: process.stderr,
        barsize: 30,
      })
    : null;
  let started = false;
  let lastStage = '';
  let lastWaiting = '';
  const poll = async () => {
    try {
      const p = await handle.query<Progress>('progress');
      if (bar) {
        const payload = { stage: p.stage.padEnd(12), current: p.current.slice(0, 3).join(', ') };
        if (!started) {
          bar.start(Math.max(p.total, 1), p.done, payload);
          started = true;
        }
        bar.setTotal(Math.max(p.total, 1));
        bar.update(p.done, payload);
      } else if (p.stage !== lastStage) {
        options.log(`${p.stage} (${p.done}/${p.total})`);
      }
      lastStage = p.stage;
      // Runs waiting for a worker of their pinned build: said once each time the set changes.
      const waiting = waitingLine(p);
      if (waiting !== lastWaiting && waiting !== '') options.log(waiting);
      lastWaiting = waiting;
    } catch {
      // The query fails while the first workflow task is pending or after completion: not an error.
    }
  };
  const timer = setInterval(() => void poll(), 500);
  try {
    return (await handle.result()) as T;
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      let cause: unknown = error.cause;
      let message = error.message;
      while (cause instanceof Error) {
        message = cause.message;
        cause = (cause as Error & { cause?: unknown }).cause;
      }
      throw new CliError(`${workflowId} failed: ${message}`);
    }
    throw error;
  } finally {
    clearInterval(timer);
    await poll();
    bar?.stop();
  }
}

/** `waiting for a worker of contrail 0.1.0+v1: slug-a 2026-03-01, slug-b`, one clause per build. */
export function waitingLine(progress: Pick<Progress, 'waiting'>): string {
  const byVersion = new Map<string, string[]>();
  for (const w of progress.waiting ?? []) {
    const version = w.toolVersion ?? 'the current version';
    byVersion.set(version, [...(byVersion.get(version) ?? []), w.date ? `${w.slug} ${w.date}` : w.slug]);
  }
  return [...byVersion]
    .map(([version, runs]) => `waiting for a worker of contrail ${version}: ${runs.join(', ')}`)
    .join('; ');
}
