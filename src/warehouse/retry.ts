import pRetry, { AbortError } from 'p-retry';
import { ContrailError } from '../errors.js';
import { abortError, WarehouseBusyError, WarehouseUnavailableError } from './errors.js';
import type { Warehouse } from './warehouse.js';
import { WrappedWarehouse } from './wrapped.js';

export interface WarehouseRetryOptions {
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First delay; it doubles up to `maxTimeoutMs` (defaults 250 ms and 4 s). */
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Hears each failure that will be tried again: the call, which attempt failed, and why. */
  onRetry?: (retry: { method: string; attempt: number; error: Error }) => void;
}

/**
 * An error worth another try of the same call: contrail's own, saying it is transient (a lock
 * conflict, a 5xx, a lost answer). A file held by another process was already waited for (a
 * bounded time), and a full disk is not freed within the seconds of these retries: both go to
 * the activity's retries, which wait longer between tries (and the CLI says what they wait for).
 */
function isTransient(error: unknown): boolean {
  return (
    error instanceof ContrailError &&
    !error.permanent &&
    !(error instanceof WarehouseBusyError) &&
    !(error instanceof WarehouseUnavailableError && error.storage !== null)
  );
}

/**
 * `warehouse` with each call retried a few times, with backoff, when it fails transiently: a
 * warehouse hiccup costs a second of one call instead of a retry of the whole activity (which
 * Temporal still does when these retries run out). Permanent errors, cancellations and
 * contrail's own input checks pass through at once. Every call may run again, so every call
 * is idempotent: writes replace their table or merge by key, and a swap that already happened
 * is skipped.
 */
export function retryingWarehouse(warehouse: Warehouse, options: WarehouseRetryOptions = {}): Warehouse {
  return new WrappedWarehouse(
    warehouse.dialect,
    warehouse.sqlDialect,
    (call, run) => {
      const { signal } = call.progress;
      return pRetry(
        async () => {
          try {
            return await run(warehouse);
          } catch (error) {
            // Not retried: wrapped so p-retry rethrows the error itself.
            if (!isTransient(error)) throw new AbortError(error instanceof Error ? error : String(error));
            throw error;
          }
        },
        {
          retries: options.retries ?? 4,
          minTimeout: options.minTimeoutMs ?? 250,
          maxTimeout: options.maxTimeoutMs ?? 4000,
          factor: 2,
          ...(signal ? { signal } : {}),
          onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
            if (retriesLeft > 0) options.onRetry?.({ method: call.method, attempt: attemptNumber, error });
          },
        },
      ).catch((error: unknown) => {
        // Aborted between two attempts, or as one ended, p-retry rejects with the signal's
        // reason (an activity's cancellation, `CANCELLED`) rather than the AbortError a
        // warehouse call rejects with when aborted: taken for the query's own failure, it
        // would be logged as an error of the metrics the query computes.
        if (signal?.aborted && !(error instanceof Error && error.name === 'AbortError'))
          throw abortError(signal.reason);
        throw error;
      });
    },
    () => warehouse.close(),
  );
}
