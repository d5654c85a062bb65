import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/**
 * A bound on each HTTP request Google's client makes for a warehouse. The client takes a
 * `timeout` option, but its transport (teeny-request on node-fetch 3) drops it, so a BigQuery
 * that accepts the connection and never answers held a command forever. Instead, every HTTP
 * request started inside `withRequestTimeout` is destroyed when it has not completed in time:
 * the client then fails it as it fails a broken connection, and the socket is gone with it (a
 * CLI command ends instead of waiting on it). The bound is per request, not per job: a long job
 * is polled with short requests, and its results are read once it is done.
 */
const timeoutOfRequests = new AsyncLocalStorage<number>();
let watching = false;

function watchRequests(): void {
  if (watching) return;
  watching = true;
  // Node announces each outgoing HTTP(S) request here, synchronously in the context that
  // started it: the one that knows whether (and how long) to bound it.
  subscribe('http.client.request.start', (message) => {
    const timeoutMs = timeoutOfRequests.getStore();
    if (timeoutMs === undefined) return;
    const { request } = message as { request: ClientRequest };
    const timer = setTimeout(() => {
      const error = new Error(
        `no answer within ${timeoutMs} ms (CONTRAIL_BIGQUERY_TIMEOUT_MS; ETIMEDOUT)`,
      ) as Error & { code: string };
      error.code = 'ETIMEDOUT';
      request.destroy(error);
    }, timeoutMs);
    // The request holds the process while it runs; its timer needn't.
    timer.unref();
    request.once('close', () => clearTimeout(timer));
  });
}

/** Runs `start`; each HTTP request it makes, now or in its callbacks, gets `timeoutMs` to complete. */
export function withRequestTimeout<T>(timeoutMs: number, start: () => T): T {
  watchRequests();
  return timeoutOfRequests.run(timeoutMs, start);
}
