import { mapBounded } from '../concurrency.js';
import { retryingWarehouse } from '../warehouse/retry.js';
import { sharedSessions, type WarehouseSessions } from '../warehouse/sessions.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/**
 * The dashboard on BigQuery: one client shared by every answer (BigQuery needs no turns), each
 * call tried again on a transient failure, and the project's datasets that hold results.
 */
export interface BigQueryDashboardSource {
  sessions: WarehouseSessions;
  /** The project's datasets holding a statistics table, asked again at most every `maxAgeMs`. */
  listDatasets: () => Promise<string[]>;
}

/** How many datasets' tables are listed at once. */
const CONCURRENCY = 8;

export function bigQueryDashboardSource(
  bigquery: Warehouse & { listDatasets(): Promise<string[]> },
  options: { maxAgeMs?: number; now?: () => number } = {},
): BigQueryDashboardSource {
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const now = options.now ?? Date.now;
  // Finding them lists every dataset's tables, a request each: once a minute, not on every click.
  let cached: { at: number; datasets: Promise<string[]> } | null = null;
  const resultDatasets = async (): Promise<string[]> => {
    const all = await bigquery.listDatasets();
    const held = await mapBounded(
      all,
      CONCURRENCY,
      async (dataset) => (await bigquery.listTables(dataset, 'statistics_')).length > 0,
    );
    return all.filter((_, i) => held[i]);
  };
  return {
    sessions: sharedSessions(retryingWarehouse(bigquery)),
    listDatasets: () => {
      if (cached === null || now() - cached.at > maxAgeMs) {
        const datasets = resultDatasets();
        cached = { at: now(), datasets };
        // A failed listing is not kept: the next answer asks again.
        datasets.catch(() => {
          if (cached?.datasets === datasets) cached = null;
        });
      }
      return cached.datasets;
    },
  };
}
