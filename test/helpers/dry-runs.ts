import type { Warehouse } from '../../src/warehouse/warehouse.js';

/**
 * BigQuery's dry runs as a bill per source table a query names (each its own price, from its
 * name), every reference counted; contrail's own tables cost nothing. Only the dry run is asked
 * for: the rest of the contract is never called.
 */
export function billingDryRuns(): { warehouse: Warehouse; bill: (sql: string) => number } {
  const bill = (sql: string) =>
    (sql.match(/(?:moz-fx-data-shared-prod|mozdata)\.\w+\.\w+/g) ?? []).reduce(
      (n, table) => n + 1000 * table.length,
      0,
    );
  const warehouse = {
    dialect: 'bigquery',
    dryRun: async (sql: string) => ({ bytesProcessed: bill(sql), method: 'dry_run' as const }),
  } as unknown as Warehouse;
  return { warehouse, bill };
}
