import { BranchEffects, SAMPLE_METRICS, type SampleExperiment } from './population.js';

/**
 * Applies `experiment:branch:metric=change` overrides (e.g. `contrail-demo-sidebar:treatment-a:active_hours=0.2`)
 * to the sample's experiments. Every part is checked against what exists, so a typo names the
 * valid choices instead of silently generating data without the effect.
 */
export function withEffects(
  experiments: SampleExperiment[],
  overrides: readonly string[],
): SampleExperiment[] {
  const result = experiments.map((e) => ({ ...e, effects: { ...e.effects } }));
  for (const override of overrides) {
    const match = /^([^:=]+):([^:=]+):([^:=]+)=(.+)$/.exec(override);
    if (!match) {
      throw new RangeError(
        `--effect ${override}: expected <experiment>:<branch>:<metric>=<relative change>, e.g. 0.05 for +5%`,
      );
    }
    const [, slug, branch, metric, value] = match as unknown as [string, string, string, string, string];
    const experiment = result.find((e) => e.slug === slug);
    if (!experiment) {
      throw new RangeError(
        `--effect ${override}: no experiment ${slug}; valid: ${result.map((e) => e.slug).join(', ')}`,
      );
    }
    if (!experiment.branches.some((b) => b.slug === branch)) {
      throw new RangeError(
        `--effect ${override}: ${slug} has no branch ${branch}; valid: ${experiment.branches.map((b) => b.slug).join(', ')}`,
      );
    }
    const parsed = BranchEffects.safeParse({ [metric]: Number(value) });
    if (!(SAMPLE_METRICS as readonly string[]).includes(metric) || !parsed.success || value.trim() === '') {
      throw new RangeError(
        `--effect ${override}: expected a metric of ${SAMPLE_METRICS.join(', ')} and a relative change above -1 and below 10`,
      );
    }
    experiment.effects[branch] = { ...experiment.effects[branch], ...parsed.data };
  }
  return result;
}
