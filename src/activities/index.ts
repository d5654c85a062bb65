import { SpecResolver } from '../analysis/spec-resolver.js';
import { analysisActivities } from './analysis.js';
import { datasetActivities } from './datasets.js';
import type { ActivityDeps } from './deps.js';
import { withFailureMapping } from './failures.js';
import { healthActivities } from './health.js';
import { withKeepAlive } from './keep-alive.js';
import { runActivities } from './runs.js';
import { versionActivities } from './versions.js';

/**
 * Every activity the contrail worker serves, built from its dependencies. Each heartbeats while
 * it runs (a lost worker is noticed within the heartbeat timeout) and leaves through the one
 * mapping from contrail's errors to Temporal failures.
 */
export function createActivities(deps: ActivityDeps) {
  // One spec cache for the worker: analyses and pin resolution read the same collections.
  const specs = new SpecResolver(deps.configRepos, deps.experiments);
  return withKeepAlive(
    withFailureMapping({
      ...healthActivities(deps),
      ...datasetActivities(deps),
      ...analysisActivities(deps, specs),
      ...versionActivities(deps, specs),
      ...runActivities(deps.deployment),
    }),
  );
}

export type ContrailActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
