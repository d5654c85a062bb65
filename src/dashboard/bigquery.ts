import { mapBounded } from '../concurrency.js';
import { retryingWarehouse } from '../warehouse/retry.js';
import { sharedSessions, type WarehouseSessions } from '../warehouse/sessions.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { DatasetChoice } from './api.js';
import { contrailDataset } from './tables.js';

/**
 * The dashboard on BigQuery: one client shared by every answer (BigQuery needs no turns), each
 * call tried again on a transient failure, and the project's datasets that hold contrail's output.
 */
export interface BigQueryDashboardSource {
  sessions: WarehouseSessions;
  /**
   * The project's datasets holding contrail's results, or only its run logs or query costs,
   * asked again at most every `maxAgeMs`.
   */
  listDatasets: () => Promise<DatasetChoice[]>;
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
  // The one listing of a dataset tells both whether it holds results and whether it holds logs or
  // costs (BigQuery lists all of a dataset's tables however they are filtered after).
  let cached: { at: number; datasets: Promise<DatasetChoice[]> } | null = null;
  const contrailDatasets = async (): Promise<DatasetChoice[]> => {
    const all = await bigquery.listDatasets();
    const held = await mapBounded(all, CONCURRENCY, async (dataset) =>
      contrailDataset(
        dataset,
        (await bigquery.listTables(dataset)).map((t) => t.ref.table),
      ),
    );
    return held.filter((d): d is DatasetChoice => d !== null);
  };
  return {
    sessions: sharedSessions(retryingWarehouse(bigquery)),
    listDatasets: () => {
      if (cached === null || now() - cached.at > maxAgeMs) {
        const datasets = contrailDatasets();
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
