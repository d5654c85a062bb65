import { join } from 'node:path';
import type { ActivityDeps } from '../activities/index.js';
import { defaultConfigRepos } from '../config/collection.js';
import { experimentSourceFromSettings } from '../experiments/experimenter.js';
import { dataDir } from '../paths.js';
import { currentToolVersion } from '../versions/tool-version.js';
import { type BigQuerySettings, bigQuerySettings } from '../warehouse/bigquery-settings.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { CliError } from './errors.js';

export interface DepsOverrides {
  configRepos?: string[];
  experimentsFile?: string;
  exportDir?: string | null;
}

/**
 * The activity dependencies of a worker on this machine, from the environment:
 * CONTRAIL_WAREHOUSE (duckdb or bigquery, with the CONTRAIL_BIGQUERY_* settings),
 * CONTRAIL_CONFIG_REPOS, CONTRAIL_EXPERIMENTER_URL or CONTRAIL_EXPERIMENTS_FILE,
 * CONTRAIL_EXPORT_DIR; CLI flags override them in embedded mode.
 */
export function defaultActivityDeps(overrides: DepsOverrides = {}, env = process.env): ActivityDeps {
  const warehouseKind = env.CONTRAIL_WAREHOUSE ?? 'duckdb';
  if (warehouseKind !== 'duckdb' && warehouseKind !== 'bigquery') {
    throw new CliError(`CONTRAIL_WAREHOUSE=${warehouseKind}: valid warehouses are duckdb and bigquery`);
  }
  return {
    // Loaded on first use so commands that never touch the warehouse don't load its client.
    warehouse:
      warehouseKind === 'bigquery'
        ? bigQueryWarehouseFrom(env)
        : async () => (await import('../warehouse/duckdb.js')).embeddedWarehouse(),
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

/**
 * The BigQuery warehouse of this worker process from CONTRAIL_BIGQUERY_* (settings are checked
 * now, so a worker with a bad setting stops at start with a message naming it).
 */
function bigQueryWarehouseFrom(env: NodeJS.ProcessEnv): () => Promise<Warehouse> {
  let settings: BigQuerySettings;
  try {
    settings = bigQuerySettings(env);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  let opened: Promise<Warehouse> | null = null;
  return () => {
    opened ??= import('../warehouse/bigquery.js').then(
      ({ BigQueryWarehouse }) => new BigQueryWarehouse(settings),
    );
    return opened;
  };
}
