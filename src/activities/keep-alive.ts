import { asyncLocalStorage, type Context } from '@temporalio/activity';

/**
 * How often a running activity tells the server its worker is alive. Well inside the shortest
 * heartbeat timeout the workflows give (15 s), so a busy event loop does not time one out.
 */
export const KEEP_ALIVE_MS = 5_000;

/**
 * Wraps every activity of an object so that it heartbeats while it runs, whatever it does.
 * Without a heartbeat the server learns that a worker died mid-activity only when the
 * activity's start-to-close timeout passes (minutes for planning and config reads); with it,
 * within the heartbeat timeout, and the activity runs again on another worker. Activities that
 * heartbeat with details of their own (warehouse jobs, the statistics' count) do so through
 * `heartbeatWith`, and the keep-alive repeats their latest details: the server keeps only what
 * the last heartbeat carried, so a bare one would blank the step the Web UI shows.
 */
const latestDetails = new WeakMap<Context, unknown>();

/** Heartbeats with `details`, which the activity's keep-alive then repeats until the next ones. */
export function heartbeatWith(context: Context, details: unknown): void {
  latestDetails.set(context, details);
  context.heartbeat(details);
}

export function withKeepAlive<T extends object>(activities: T, intervalMs = KEEP_ALIVE_MS): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: unknown[]) => {
      const context = asyncLocalStorage.getStore();
      // Outside an activity (unit tests and scripts call activities directly) there is no one to tell.
      const timer = context
        ? setInterval(() => context.heartbeat(latestDetails.get(context)), intervalMs)
        : undefined;
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return wrapped as T;
}
