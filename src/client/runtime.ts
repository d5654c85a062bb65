import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivityDeps } from '../activities/index.js';
import { defaultConfigRepos } from '../config/collection.js';
import { notConfigRepo } from '../config/repo-layout.js';
import { experimentSourceFromSettings } from '../experiments/experimenter.js';
import { defaultExperimentsFile } from '../experiments/source.js';
import { dataDir, warehouseFile } from '../paths.js';
import { warehouseKind } from '../settings.js';
import { loadReleaseManifest } from '../versions/manifest.js';
import { currentToolVersion } from '../versions/tool-version.js';
import { bigQuerySettings } from '../warehouse/bigquery-settings.js';
import { type FaultPlan, parseFaults, withFaults } from '../warehouse/faults.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { commandBigQuerySettings } from './bigquery-settings.js';
import { resultsDataset } from './option-values.js';

export interface DepsOverrides {
  configRepos?: string[];
  experimentsFile?: string;
  /** Experimenter's address (`--experimenter-url`), in place of CONTRAIL_EXPERIMENTER_URL. */
  experimenterUrl?: string;
  exportDir?: string | null;
  /** The Worker Deployment a versioned worker joins (`contrail worker` with CONTRAIL_BUILD_ID); default none. */
  deployment?: string | null;
}

/**
 * The warehouse activities use (BigQuery, or the embedded DuckDB file opened for each job and
 * closed after it, so other contrail commands use the file in between), each call retried on a
 * transient failure; with CONTRAIL_FAULTS (tests), faults injected under the retries.
 */
async function activityWarehouse(
  open: () => Promise<Warehouse>,
  faults: FaultPlan | null,
): Promise<Warehouse> {
  const { retryingWarehouse } = await import('../warehouse/retry.js');
  const base = await open();
  if (faults === null) return retryingWarehouse(base);
  const log = (line: string) => process.stderr.write(`contrail fault: ${line}\n`);
  return retryingWarehouse(withFaults(base, faults, { log }), {
    onRetry: ({ method, attempt, error }) =>
      log(`warehouse ${method} failed (attempt ${attempt}), retrying: ${error.message}`),
  });
}

/**
 * The activity dependencies of a worker on this machine, from the environment:
 * CONTRAIL_WAREHOUSE (duckdb or bigquery, with the CONTRAIL_BIGQUERY_* settings),
 * CONTRAIL_CONFIG_REPOS, CONTRAIL_EXPERIMENTER_URL or CONTRAIL_EXPERIMENTS_FILE,
 * CONTRAIL_EXPORT_DIR, CONTRAIL_FAULTS (tests: src/warehouse/faults.ts); CLI flags override them
 * in embedded mode.
 */
export function defaultActivityDeps(overrides: DepsOverrides = {}, env = process.env): ActivityDeps {
  const kind = warehouseKind(env);
  const faults = parseFaults(env.CONTRAIL_FAULTS);
  const open =
    kind === 'bigquery'
      ? bigQueryWarehouseFrom(env)
      : async () => (await import('../warehouse/duckdb-sessions.js')).embeddedWarehouse();
  let warehouse: Promise<Warehouse> | null = null;
  return {
    // Loaded on first use so commands that never touch the warehouse don't load its client.
    warehouse: () => {
      warehouse ??= activityWarehouse(open, faults);
      return warehouse;
    },
    warehouseName: warehouseNamed(env),
    toolVersion: currentToolVersion(env),
    deployment: overrides.deployment ?? null,
    releaseManifest: () => loadReleaseManifest(),
    configRepos: overrides.configRepos ?? defaultConfigRepos(env),
    experiments: experimentSourceFromSettings(overrides, env),
    exportDir: overrides.exportDir === undefined ? defaultExportDir(env) : overrides.exportDir,
    productionDataset: resultsDataset(undefined, env),
    now: () => new Date(),
    close: async () => {
      await (await warehouse?.catch(() => null))?.close();
    },
  };
}

/**
 * Where this worker's JSON exports go: CONTRAIL_EXPORT_DIR as given (a bucket or directory set
 * for one warehouse, in jetstream's layout), else the data directory's `exports/`. Every
 * warehouse used from this machine shares that default, and a dataset's files are named by
 * dataset and experiment only: a BigQuery project's go under `exports/bigquery-<project>/`, so
 * that two projects (or a project and the embedded warehouse) with a dataset of the same name
 * do not overwrite each other's files. The embedded warehouse's stay at the top (a dataset name
 * has no `-`, so no dataset's directory can be a project's).
 */
export function defaultExportDir(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.CONTRAIL_EXPORT_DIR?.trim();
  if (set) return set;
  const root = join(dataDir(env), 'exports');
  return warehouseKind(env) === 'bigquery' ? join(root, `bigquery-${bigQuerySettings(env).project}`) : root;
}

/**
 * The BigQuery warehouse of this worker process from CONTRAIL_BIGQUERY_* (settings are checked
 * now, so a worker with a bad setting stops at start with a message naming it).
 */
function bigQueryWarehouseFrom(env: NodeJS.ProcessEnv): () => Promise<Warehouse> {
  const settings = commandBigQuerySettings(env);
  let opened: Promise<Warehouse> | null = null;
  return () => {
    opened ??= import('../warehouse/bigquery.js').then(
      ({ BigQueryWarehouse }) => new BigQueryWarehouse(settings),
    );
    return opened;
  };
}

/**
 * The warehouse a worker of these settings reads and writes, in words: `BigQuery project <p>`,
 * with `at <endpoint> (CONTRAIL_BIGQUERY_ENDPOINT)` when one is set in place of Google's, or
 * `DuckDB <file>`. An operator checking a deployment sees which one was reached, not only its kind.
 */
export function warehouseNamed(env: NodeJS.ProcessEnv = process.env): string {
  if (warehouseKind(env) !== 'bigquery') return `DuckDB ${warehouseFile(env)}`;
  const { project, apiEndpoint } = bigQuerySettings(env);
  return `BigQuery project ${project}${apiEndpoint === null ? '' : ` at ${apiEndpoint} (CONTRAIL_BIGQUERY_ENDPOINT)`}`;
}

/**
 * What a worker of these settings reads and writes, for its start line: on a machine with
 * several workers (or several data directories) the operator sees which warehouse, experiments
 * and configs each one serves.
 */
export function workerSources(env: NodeJS.ProcessEnv = process.env): string {
  const warehouse = warehouseNamed(env);
  const url = env.CONTRAIL_EXPERIMENTER_URL?.trim();
  const experiments = url ? `Experimenter ${url}` : defaultExperimentsFile(env);
  return `warehouse ${warehouse}; experiments ${experiments}; config repos ${defaultConfigRepos(env).join(', ')}`;
}

/**
 * What is wrong with the sources a worker of these settings would read: an experiments file or
 * a config repo that is not there. The worker serves every run, and each would fail on it, one
 * at a time, long after the worker said it was ready; so it refuses to start instead.
 */
export function workerSourceProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  if (!env.CONTRAIL_EXPERIMENTER_URL?.trim()) {
    const file = defaultExperimentsFile(env);
    if (!existsSync(file) || !statSync(file).isFile())
      problems.push(
        `experiments file ${file} (CONTRAIL_EXPERIMENTS_FILE) does not exist: name an Experimenter v8 JSON file, or set CONTRAIL_EXPERIMENTER_URL`,
      );
  }
  for (const repo of defaultConfigRepos(env)) {
    // The check --config_repos has: a directory that holds no config fails every analysis alike.
    const problem = notConfigRepo(repo);
    if (problem !== null)
      problems.push(
        `config repo ${repo} (CONTRAIL_CONFIG_REPOS): ${problem}; several are separated by commas`,
      );
  }
  return problems;
}
