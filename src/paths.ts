import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * contrail's data directory: `CONTRAIL_HOME` if set, else `$XDG_DATA_HOME/contrail`,
 * else `~/.local/share/contrail`. Holds the embedded DuckDB warehouse, the dev server's
 * SQLite file and exports. Created on first use.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.CONTRAIL_HOME ?? join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'contrail');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The embedded warehouse file (one DuckDB database per data directory). */
export function warehouseFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.CONTRAIL_DUCKDB_PATH ?? join(dataDir(env), 'warehouse.duckdb');
}
