import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import type { QueryRun } from '../analysis/results.js';
import {
  ContrailError,
  type ErrorSubject,
  errorData,
  errorSubjects,
  type RaisedAt,
  raisedAt,
  reviveError,
  StepsFailedError,
} from '../errors.js';
import type { StorageRefusal } from '../warehouse/errors.js';

/**
 * Where contrail's errors meet Temporal's failures, in both directions. Activities and workflows
 * throw `toTemporalFailure(error)`; workflows and the client read a failure back with
 * `errorFromFailure`. Whether Temporal retries is decided here and nowhere else: a permanent
 * ContrailError becomes a non-retryable ApplicationFailure, so no retry policy lists error types.
 * Deterministic and free of Node APIs: workflow code imports it too.
 */

/**
 * The one mapping from an error to what Temporal does with it. A ContrailError becomes an
 * ApplicationFailure of type = its class name, non-retryable exactly when it is permanent, its
 * details as the failure's one detail. Anything else (a cancellation, an ApplicationFailure
 * already, an unexpected bug) is returned unchanged: Temporal's default, a retry, applies.
 */
export function toTemporalFailure(error: unknown): unknown {
  if (!(error instanceof ContrailError)) return error;
  const failure = ApplicationFailure.create({
    message: error.message,
    type: error.name,
    nonRetryable: error.permanent,
    details: [error.details],
  });
  // The failure is what the UI and logs show: keep where the error was thrown, not where it was mapped.
  if (error.stack) failure.stack = stackFrames(error.name, error.stack);
  return failure;
}

/**
 * A stack trace under the error's name alone, its message left to the failure's own. The SDK
 * cuts a failure's stack at the first line that says "unknown" (its pattern for the frames of a
 * workflow's sandbox matches that word anywhere), so a message saying it (an unknown key,
 * parameter or experiment) would take every frame with it, and with them where the error was
 * raised (the logs table's `filename` and `func_name`).
 */
function stackFrames(name: string, stack: string): string {
  return [name, ...stack.split('\n').filter((line) => /^\s+at /.test(line))].join('\n');
}

/**
 * The innermost failure of what a workflow or the client caught: through activity and child
 * workflow failures, and through the client's WorkflowFailedError (recognised by name, since
 * workflow code cannot import the client package).
 */
function innermost(error: unknown): unknown {
  let current = error;
  while (
    (current instanceof ActivityFailure ||
      current instanceof ChildWorkflowFailure ||
      (current instanceof Error && current.name === 'WorkflowFailedError')) &&
    current.cause
  ) {
    current = current.cause;
  }
  return current;
}

/** The ContrailError a failure carries: its class name, message, permanence and details. */
export function errorFromFailure(error: unknown): ContrailError {
  const failure = innermost(error);
  if (failure instanceof ApplicationFailure) {
    const details = failure.details?.[0];
    return reviveError({
      name: failure.type ?? 'Error',
      message: failure.message,
      permanent: failure.nonRetryable === true,
      details: details !== null && typeof details === 'object' ? (details as Record<string, unknown>) : {},
    });
  }
  return reviveError(errorData(failure));
}

/** What the workflows report and log about a failure: its error type, message and what it is about. */
export function describeFailure(error: unknown): {
  errorType: string;
  message: string;
  subjects: ErrorSubject[];
} {
  const { name, message, details } = errorFromFailure(error);
  return { errorType: name, message, subjects: errorSubjects(details) };
}

/**
 * Where in contrail's code the error a failure carries was raised, from its stack: the failed
 * activity's, which Temporal carries with the failure (null when it has none: a timeout, a
 * cancellation). Read from the failure alone, so a workflow may call it.
 */
export function raisedAtOf(error: unknown): RaisedAt | null {
  const failure = innermost(error);
  return failure instanceof Error ? raisedAt(failure.stack) : null;
}

/**
 * What fails a workflow whose independent steps (e.g. a date's windows) failed: one failure as
 * it is; a warehouse that was unavailable (no answer, its disk full or read-only) alone, since
 * every step failed on it alike and none is at fault; several permanent ones (the config or data)
 * together, so every broken data source and metric is reported at once; else the first (a retry
 * or cancellation must stay what it is).
 */
export function failedTogether(failures: unknown[], step: string): unknown {
  const errors = failures.map(errorFromFailure);
  // WarehouseUnavailableError says so in its details: the class does not cross the boundary.
  const unavailable = errors.findIndex((e) => e.details.unavailable === true);
  if (unavailable >= 0) return failures[unavailable];
  if (failures.length === 1 || !errors.every((e) => e.permanent)) return failures[0];
  return toTemporalFailure(new StepsFailedError(errors, step));
}

/**
 * What the embedded warehouse's file system refused for, when a failure is that (its disk full
 * or read-only, `embeddedStorageError`): every later write fails alike, so a run of many dates
 * stops there. Null for any other failure, a warehouse that did not answer included (a busy
 * file, BigQuery's 5xx: the next date may well go through).
 */
export function storageRefusalOf(error: unknown): StorageRefusal | null {
  const { storage } = errorFromFailure(error).details;
  return storage === 'full' || storage === 'read-only' ? storage : null;
}

/** The queries a failure says ran to the end before it (`details.queriesRun`), if it says. */
export function queriesRunOf(error: unknown): QueryRun[] {
  const ran = errorFromFailure(error).details.queriesRun;
  if (!Array.isArray(ran)) return [];
  return ran.filter(
    (q): q is QueryRun =>
      q !== null &&
      typeof q === 'object' &&
      typeof (q as QueryRun).table === 'string' &&
      typeof (q as QueryRun).elapsedMs === 'number',
  );
}

/**
 * The failure of a run that had run `queries` (its steps that succeeded) before it failed, for
 * a caller that reports per query what happened (a preview): the same type, message and
 * permanence, the details adding those queries to the ones the failed step itself ran, and the
 * original failure as its cause. A failure that is not an application failure (a cancellation,
 * a timeout) stays what it is.
 */
export function withQueriesRun(error: unknown, queries: QueryRun[]): unknown {
  const failure = innermost(error);
  if (!(failure instanceof ApplicationFailure) || !(error instanceof Error)) return error;
  const { details } = errorFromFailure(error);
  return ApplicationFailure.create({
    message: failure.message,
    ...(failure.type ? { type: failure.type } : {}),
    nonRetryable: failure.nonRetryable === true,
    details: [{ ...details, queriesRun: [...queries, ...queriesRunOf(error)] }],
    cause: error,
  });
}
