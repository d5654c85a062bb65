import { analysisActivities } from './analysis.js';
import { datasetActivities } from './datasets.js';
import type { ActivityDeps } from './deps.js';
import { healthActivities } from './health.js';

/** Every activity the contrail worker serves, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...healthActivities(deps),
    ...datasetActivities(deps),
    ...analysisActivities(deps),
  };
}

export type ContrailActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
