import { join } from 'node:path';
import type { ActivityDeps } from '../activities/index.js';
import { defaultConfigRepos } from '../config/collection.js';
import { experimentSourceFromSettings } from '../experiments/experimenter.js';
import { dataDir } from '../paths.js';
import { currentToolVersion } from '../versions/tool-version.js';
import { type FaultPlan, parseFaults, withFaults } from '../warehouse/faults.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { CliError } from './errors.js';

export interface DepsOverrides {
  configRepos?: string[];
  experimentsFile?: string;
  exportDir?: string | null;
}

/**
 * The warehouse activities use: the embedded DuckDB file, opened for each job and closed after
 * it (other contrail commands use the file in between), each call retried on a transient
 * failure; with CONTRAIL_FAULTS (tests), faults injected under the retries.
 */
async function activityWarehouse(faults: FaultPlan | null): Promise<Warehouse> {
  const { embeddedWarehouse } = await import('../warehouse/duckdb-sessions.js');
  const { retryingWarehouse } = await import('../warehouse/retry.js');
  const base = embeddedWarehouse();
  if (faults === null) return retryingWarehouse(base);
  const log = (line: string) => process.stderr.write(`contrail fault: ${line}\n`);
  return retryingWarehouse(withFaults(base, faults, { log }), { log });
}

/**
 * The activity dependencies of a worker on this machine, from the environment:
 * CONTRAIL_WAREHOUSE (duckdb), CONTRAIL_CONFIG_REPOS, CONTRAIL_EXPERIMENTER_URL or CONTRAIL_EXPERIMENTS_FILE,
 * CONTRAIL_EXPORT_DIR, CONTRAIL_FAULTS (tests: src/warehouse/faults.ts); CLI flags override them in
 * embedded mode.
 */
export function defaultActivityDeps(overrides: DepsOverrides = {}, env = process.env): ActivityDeps {
  const warehouseKind = env.CONTRAIL_WAREHOUSE ?? 'duckdb';
  if (warehouseKind !== 'duckdb') {
    throw new CliError(
      `CONTRAIL_WAREHOUSE=${warehouseKind}: this build of contrail analyses on the embedded DuckDB warehouse only (valid: duckdb)`,
    );
  }
  const faults = parseFaults(env.CONTRAIL_FAULTS);
  let warehouse: Promise<Warehouse> | null = null;
  return {
    // Loaded on first use so commands that never touch the warehouse don't load DuckDB.
    warehouse: () => {
      warehouse ??= activityWarehouse(faults);
      return warehouse;
    },
    toolVersion: currentToolVersion(env),
    configRepos: overrides.configRepos ?? defaultConfigRepos(env),
    experiments: experimentSourceFromSettings(overrides, env),
    exportDir:
      overrides.exportDir === undefined
        ? (env.CONTRAIL_EXPORT_DIR ?? join(dataDir(env), 'exports'))
        : overrides.exportDir,
    now: () => new Date(),
  };
}
