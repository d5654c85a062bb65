import { analysisActivities } from './analysis.js';
import { datasetActivities } from './datasets.js';
import type { ActivityDeps } from './deps.js';
import { withFailureMapping } from './failures.js';
import { healthActivities } from './health.js';

/**
 * Every activity the contrail worker serves, built from its dependencies. Each leaves through
 * the one mapping from contrail's errors to Temporal failures.
 */
export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    ...healthActivities(deps),
    ...datasetActivities(deps),
    ...analysisActivities(deps),
  });
}

export type ContrailActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
