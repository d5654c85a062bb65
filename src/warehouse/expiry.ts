import type { TableRef, Warehouse } from './warehouse.js';

/** How often a worker drops expired tables of the embedded warehouse: hourly. */
export const EXPIRY_INTERVAL_MS = 60 * 60_000;

/**
 * Drops expired tables every `intervalMs` for as long as a worker runs. BigQuery expires
 * tables itself (its `dropExpired` finds none); the embedded warehouse records each table's
 * expiry and drops it only when asked. A timer in the worker process, not a Temporal
 * schedule: the embedded file belongs to the machine the worker runs on, a schedule's task
 * could be picked up by a worker of another machine (or by none, when only a BigQuery
 * cluster worker runs), and there is nothing durable to track between two runs. A failed
 * round (the file held by another command) is reported and tried again next time.
 */
export function dropExpiredEvery(
  warehouse: () => Promise<Warehouse>,
  options: { intervalMs?: number; log: (line: string) => void },
): { stop: () => void; round: () => Promise<TableRef[]> } {
  const round = async (): Promise<TableRef[]> => {
    try {
      const dropped = await (await warehouse()).dropExpired();
      if (dropped.length > 0)
        options.log(
          `dropped ${dropped.length} expired table(s): ${dropped.map((t) => `${t.dataset}.${t.table}`).join(', ')}`,
        );
      return dropped;
    } catch (error) {
      options.log(
        `could not drop expired tables now: ${error instanceof Error ? error.message : String(error)}`,
      );
      return [];
    }
  };
  const timer = setInterval(() => void round(), options.intervalMs ?? EXPIRY_INTERVAL_MS);
  // The worker's own work keeps the process alive, never this timer.
  timer.unref();
  return { stop: () => clearInterval(timer), round };
}
