import { join } from 'node:path';
import { dataDir, warehouseFile } from '../paths.js';
import type { WarehouseKind } from '../settings.js';
import { bigQuerySettings } from '../warehouse/bigquery-settings.js';

/**
 * Where commands on this machine leave notes about a warehouse (the experiments an embedded
 * command writes, the port of a running dashboard): beside the embedded DuckDB file, or, on
 * BigQuery, in the data directory per project (commands on other machines are not seen there:
 * shared work belongs on a cluster).
 */
export function warehousePlace(kind: WarehouseKind, env: NodeJS.ProcessEnv = process.env): string {
  if (kind === 'duckdb') return warehouseFile(env);
  return join(dataDir(env), `bigquery-${bigQuerySettings(env).project}`);
}
