import type { ActivityDeps } from '../../src/activities/index.js';
import { defaultConfigRepos } from '../../src/config/collection.js';
import { defaultExperimentsFile, localExperimentSource } from '../../src/experiments/source.js';
import { loadReleaseManifest } from '../../src/versions/manifest.js';
import { currentToolVersion } from '../../src/versions/tool-version.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';

/** Activity dependencies for tests: a given warehouse, the demo configs and experiments unless overridden. */
export function testDeps(warehouse: Warehouse, overrides: Partial<ActivityDeps> = {}): ActivityDeps {
  return {
    warehouse: async () => warehouse,
    warehouseName: `${warehouse.dialect} (a test's warehouse)`,
    toolVersion: currentToolVersion(),
    deployment: null,
    releaseManifest: () => loadReleaseManifest(),
    configRepos: defaultConfigRepos({}),
    experiments: localExperimentSource(defaultExperimentsFile({})),
    exportDir: null,
    now: () => new Date(),
    ...overrides,
  };
}
