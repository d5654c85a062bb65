import type { ActivityDeps } from '../activities/index.js';
import { currentToolVersion } from '../versions/tool-version.js';

/** The activity dependencies of a worker on this machine: the embedded warehouse, this build. */
export function defaultActivityDeps(): ActivityDeps {
  return {
    // Loaded on first use so commands that never touch the warehouse don't load DuckDB.
    warehouse: async () => (await import('../warehouse/duckdb.js')).embeddedWarehouse(),
    toolVersion: currentToolVersion(),
  };
}
