import type { ExperimentSource } from '../experiments/source.js';
import type { ToolVersion } from '../versions/tool-version.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/**
 * What activities are built from. Activities are thin: they compose these domain pieces and
 * pass table names and small summaries back to workflows.
 */
export interface ActivityDeps {
  /** The warehouse, opened on first use (one per worker process). */
  warehouse: () => Promise<Warehouse>;
  toolVersion: ToolVersion;
  /** Config repos (directories or git repos), merged in order. */
  configRepos: string[];
  experiments: ExperimentSource;
  /** Where JSON exports go: a directory or gs://bucket/prefix; null = no exports. */
  exportDir: string | null;
  /** Wall clock, injectable for tests. */
  now: () => Date;
}
