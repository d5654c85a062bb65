import type { IsoDate } from '../dates.js';
import { eligibleForDailyRun } from '../experiments/source.js';
import type { EligibleExperiment } from './results.js';
import type { SpecResolver } from './spec-resolver.js';

/**
 * Experiments the daily run analyses on `date` (live or ended within 90 days, not skipped, not
 * rollouts). Only a config that resolves and says `skip = true` skips: a broken config still
 * runs, so that the analysis reports the config's error.
 */
export async function eligibleExperiments(specs: SpecResolver, date: IsoDate): Promise<EligibleExperiment[]> {
  const eligible: EligibleExperiment[] = [];
  for (const experiment of await specs.experiments.list()) {
    if (!eligibleForDailyRun(experiment, date) || experiment.status === 'draft') continue;
    const skip = await specs
      .resolveLatest(experiment)
      .then((r) => r.spec.skip)
      .catch(() => false);
    if (skip) continue;
    eligible.push({ slug: experiment.slug, appName: experiment.appName, status: experiment.status });
  }
  return eligible;
}
