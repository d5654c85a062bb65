import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOGS_TABLE } from '../analysis/logs.js';
import { QUERY_COSTS_TABLE } from '../analysis/query-costs.js';
import { contrailCommand } from '../command-name.js';
import { META_SCHEMA } from '../warehouse/duckdb-metadata.js';
import { duckDbSessions } from '../warehouse/duckdb-sessions.js';
import type { WarehouseSessions } from '../warehouse/sessions.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { DatasetChoice } from './api.js';
import { DashboardRequestError } from './errors.js';
import { contrailDataset } from './tables.js';

/**
 * Sessions on the embedded DuckDB warehouse file: opened per answer and closed after it, so
 * previews, workers and `contrail sample` can write between two answers. The telemetry catalog
 * is not attached: the page reads result tables only. A missing file is reported (the page asks
 * again), not created.
 */
export function embeddedSessions(
  path: string,
  options: { waitMs?: number; readOnly?: boolean } = {},
): WarehouseSessions {
  return duckDbSessions({
    path,
    ...(options.readOnly ? { readOnly: true } : {}),
    beforeOpen: () => {
      if (!existsSync(path)) {
        // The first preview creates it: the page asks again and shows the results once written.
        throw new DashboardRequestError(
          `no embedded warehouse at ${path} yet: run \`${contrailCommand()} preview\` (or \`npm run demo\`); the page shows its results once written`,
          404,
          true,
        );
      }
    },
    ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
  });
}

/**
 * Whether the page must read the warehouse file without writing to it: its directory (where
 * DuckDB writes its log beside the file) or the file itself cannot be written, as on a read-only
 * mount or another user's data. The page only reads, so it opens the file read-only then.
 */
export function readOnlyWarehouse(path: string): boolean {
  const writable = (file: string) => {
    try {
      accessSync(file, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  return !writable(dirname(path)) || (existsSync(path) && !writable(path));
}

/**
 * The datasets of the embedded warehouse that hold contrail's output: results (statistics
 * tables), or only the logs or query costs of runs that failed before writing any. The page
 * lists them, so results written with `--dataset_id` are found without knowing its name, and so
 * are the errors of a preview that failed on every date.
 */
export async function embeddedContrailDatasets(warehouse: Warehouse): Promise<DatasetChoice[]> {
  const rows = await warehouse.query<{ dataset: unknown; name: unknown }>(
    `SELECT table_schema AS dataset, table_name AS name FROM information_schema.tables
WHERE table_catalog = current_database()
  AND (starts_with(table_name, 'statistics_') OR table_name IN ('${LOGS_TABLE}', '${QUERY_COSTS_TABLE}'))
ORDER BY dataset`,
  );
  const tablesOf = new Map<string, string[]>();
  for (const row of rows) {
    const dataset = String(row.dataset);
    if (dataset === META_SCHEMA) continue;
    const tables = tablesOf.get(dataset) ?? [];
    tables.push(String(row.name));
    tablesOf.set(dataset, tables);
  }
  return [...tablesOf].flatMap(([dataset, tables]) => contrailDataset(dataset, tables) ?? []);
}
