import { existsSync } from 'node:fs';
import { META_SCHEMA } from '../warehouse/duckdb-metadata.js';
import { duckDbSessions } from '../warehouse/duckdb-sessions.js';
import type { WarehouseSessions } from '../warehouse/sessions.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { DashboardRequestError } from './errors.js';

/**
 * Sessions on the embedded DuckDB warehouse file: opened per answer and closed after it, so
 * previews, workers and `contrail sample` can write between two answers. The telemetry catalog
 * is not attached: the page reads result tables only. A missing file is reported (the page asks
 * again), not created.
 */
export function embeddedSessions(path: string, options: { waitMs?: number } = {}): WarehouseSessions {
  return duckDbSessions({
    path,
    beforeOpen: () => {
      if (!existsSync(path)) {
        // The first preview creates it: the page asks again and shows the results once written.
        throw new DashboardRequestError(
          `no embedded warehouse at ${path} yet: run \`contrail preview\` (or \`npm run demo\`); the page shows its results once written`,
          404,
          true,
        );
      }
    },
    ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
  });
}

/**
 * The datasets of the embedded warehouse that hold results (a statistics table or view): the
 * page lists them, so results written with `--dataset_id` are found without knowing its name.
 */
export async function embeddedResultDatasets(warehouse: Warehouse): Promise<string[]> {
  const rows = await warehouse.query<{ dataset: unknown }>(
    `SELECT DISTINCT table_schema AS dataset FROM information_schema.tables
WHERE table_catalog = current_database() AND starts_with(table_name, 'statistics_')
ORDER BY dataset`,
  );
  return rows.map((r) => String(r.dataset)).filter((d) => d !== META_SCHEMA);
}
