import { asyncLocalStorage } from '@temporalio/activity';
import type { JobProgress } from '../analysis/progress.js';
import type { QueryProgress } from '../warehouse/warehouse.js';
import { heartbeatWith } from './keep-alive.js';

/**
 * Heartbeat and cancellation for a warehouse job, when running inside an activity: each
 * progress tick of the warehouse heartbeats (so a dead worker is noticed within the heartbeat
 * timeout) and the activity's cancellation aborts the job. Outside an activity (unit tests,
 * scripts calling activities directly) jobs simply run without either.
 */
export function warehouseJob(what: string): QueryProgress {
  const context = asyncLocalStorage.getStore();
  if (context === undefined) return {};
  const { workflowExecution, activityId } = context.info;
  return {
    onProgress: (info) =>
      heartbeatWith(context, { job: what, elapsedMs: info.elapsedMs, detail: info.detail }),
    signal: context.cancellationSignal,
    // The same for every attempt of this activity: a retry finds the job its predecessor started.
    ...(workflowExecution
      ? { jobKey: `${workflowExecution.workflowId}/${workflowExecution.runId}/${activityId}` }
      : {}),
  };
}

/** Heartbeat between jobs of one activity (before each query of a long sequence). */
export function heartbeat(what: string): void {
  const context = asyncLocalStorage.getStore();
  if (context) heartbeatWith(context, { job: what });
}

/** The analysis steps' progress, reported to Temporal. */
export const temporalProgress: JobProgress = { job: warehouseJob, step: heartbeat };
