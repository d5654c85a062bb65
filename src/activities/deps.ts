import type { ExperimentSource } from '../experiments/source.js';
import type { ManifestRelease } from '../versions/manifest.js';
import type { ToolVersion } from '../versions/tool-version.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/**
 * What activities are built from. Activities are thin: they compose these domain pieces and
 * pass table names and small summaries back to workflows.
 */
export interface ActivityDeps {
  /** The warehouse, opened on first use (one per worker process). */
  warehouse: () => Promise<Warehouse>;
  /** Which warehouse that is, in words (`BigQuery project p`, `DuckDB <file>`): what `contrail doctor` says it reached. */
  warehouseName: string;
  /** The build this worker runs: what result tables and exports record as having computed them. */
  toolVersion: ToolVersion;
  /**
   * The Temporal Worker Deployment this worker joined (its build id is `toolVersion.buildId`):
   * releases are then the deployment's versions and analyses run on their pinned builds. Null
   * for an unversioned worker (embedded mode): releases come from the manifest and only this
   * build computes.
   */
  deployment: string | null;
  /** The release manifest shipped with this build (releases.json). */
  releaseManifest: () => ManifestRelease[];
  /** Config repos (directories or git repos), merged in order. */
  configRepos: string[];
  experiments: ExperimentSource;
  /** Where JSON exports go: a directory or gs://bucket/prefix; null = no exports. */
  exportDir: string | null;
  /**
   * The dataset whose exports go at the top of `exportDir`, in jetstream's layout: the one this
   * worker's daily runs write to (CONTRAIL_BIGQUERY_DATASET on BigQuery); absent: `contrail`.
   */
  productionDataset?: string;
  /** Wall clock, injectable for tests. */
  now: () => Date;
  /**
   * Closes what the deps opened (the warehouse), once the worker has stopped: an embedded
   * DuckDB file left open at exit keeps its holder's note and its unwritten log for the next command.
   */
  close?: () => Promise<void>;
}
