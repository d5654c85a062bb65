import { join } from 'node:path';
import type { ActivityDeps } from '../activities/index.js';
import { defaultConfigRepos } from '../config/collection.js';
import { experimentSourceFromSettings } from '../experiments/experimenter.js';
import { dataDir } from '../paths.js';
import { loadReleaseManifest } from '../versions/manifest.js';
import { currentToolVersion } from '../versions/tool-version.js';
import { CliError } from './errors.js';

export interface DepsOverrides {
  configRepos?: string[];
  experimentsFile?: string;
  exportDir?: string | null;
  /** The Worker Deployment a versioned worker joins (`contrail worker` with CONTRAIL_BUILD_ID); default none. */
  deployment?: string | null;
}

/**
 * The activity dependencies of a worker on this machine, from the environment:
 * CONTRAIL_WAREHOUSE (duckdb), CONTRAIL_CONFIG_REPOS, CONTRAIL_EXPERIMENTER_URL or CONTRAIL_EXPERIMENTS_FILE,
 * CONTRAIL_EXPORT_DIR; CLI flags override them in embedded mode.
 */
export function defaultActivityDeps(overrides: DepsOverrides = {}, env = process.env): ActivityDeps {
  const warehouseKind = env.CONTRAIL_WAREHOUSE ?? 'duckdb';
  if (warehouseKind !== 'duckdb') {
    throw new CliError(
      `CONTRAIL_WAREHOUSE=${warehouseKind}: this build of contrail analyses on the embedded DuckDB warehouse only (valid: duckdb)`,
    );
  }
  return {
    // Loaded on first use so commands that never touch the warehouse don't load DuckDB.
    warehouse: async () => (await import('../warehouse/duckdb.js')).embeddedWarehouse(),
    toolVersion: currentToolVersion(env),
    deployment: overrides.deployment ?? null,
    releaseManifest: () => loadReleaseManifest(),
    configRepos: overrides.configRepos ?? defaultConfigRepos(env),
    experiments: experimentSourceFromSettings(overrides, env),
    exportDir:
      overrides.exportDir === undefined
        ? (env.CONTRAIL_EXPORT_DIR ?? join(dataDir(env), 'exports'))
        : overrides.exportDir,
    now: () => new Date(),
  };
}
