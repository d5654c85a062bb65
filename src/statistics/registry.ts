import type { z } from 'zod';
import type { ComputeContext, StatisticOutput } from './context.js';
import {
  count,
  empiricalCdf,
  empiricalCdfParams,
  kdeParams,
  kernelDensityEstimate,
  noParams,
  sum,
} from './descriptive.js';
import type { StatisticInput } from './inputs.js';
import { linearModel, linearModelMeanParams, perClientDauImpactParams } from './linear-model.js';
import { parseParams, StatisticConfigError } from './params.js';
import {
  type BootstrapPlan,
  type BootstrapState,
  binomial,
  binomialParams,
  bootstrapMeanParams,
  deciles,
  decilesParams,
  planBootstrapMean,
  planPopulationRatio,
  populationRatioParams,
  summarizeBootstrapMean,
  summarizePopulationRatio,
} from './sampled.js';
import type { StatisticSpec } from './spec.js';

/** Which bins the warehouse must build for a statistic. */
export type RequiredInput =
  | { kind: 'values' }
  | { kind: 'covariate'; period: 'preenrollment_week' | 'preenrollment_days28' }
  | { kind: 'ratio'; numerator: string; denominator: string };

interface StatisticBase<S extends z.ZodObject> {
  params: S;
  /** Output `statistic` names this config statistic writes. */
  outputs: readonly string[];
  input: (p: z.infer<S>) => RequiredInput;
}

/**
 * A statistic computes in one go (`compute`), or, for the Dirichlet bootstraps, as plan →
 * replicates → summary (`bootstrap`), so that the replicates can be drawn on several threads
 * (see sampled.ts).
 */
type StatisticDef<S extends z.ZodObject> = StatisticBase<S> &
  (
    | {
        compute: (p: z.infer<S>, input: StatisticInput, ctx: ComputeContext) => StatisticOutput;
        bootstrap?: never;
      }
    | {
        bootstrap: {
          plan: (p: z.infer<S>, input: StatisticInput, ctx: ComputeContext) => BootstrapPlan;
          summarize: (
            p: z.infer<S>,
            state: BootstrapState,
            replicates: (Float64Array | null)[],
            ctx: ComputeContext,
          ) => StatisticOutput;
        };
        compute?: never;
      }
  );

const values = (): RequiredInput => ({ kind: 'values' });
const covariateOrValues = (p: z.infer<typeof linearModelMeanParams>): RequiredInput =>
  p.covariate_adjustment ? { kind: 'covariate', period: p.covariate_adjustment.period } : { kind: 'values' };

function def<S extends z.ZodObject>(d: StatisticDef<S>): StatisticDef<z.ZodObject> {
  return d as unknown as StatisticDef<z.ZodObject>;
}

/** The single place where statistic implementations are looked up by their config name. */
export const STATISTICS = {
  bootstrap_mean: def({
    params: bootstrapMeanParams,
    outputs: ['mean'],
    input: values,
    bootstrap: { plan: planBootstrapMean, summarize: summarizeBootstrapMean },
  }),
  binomial: def({ params: binomialParams, outputs: ['binomial'], input: values, compute: binomial }),
  deciles: def({ params: decilesParams, outputs: ['deciles'], input: values, compute: deciles }),
  count: def({ params: noParams, outputs: ['count'], input: values, compute: count }),
  sum: def({ params: noParams, outputs: ['sum'], input: values, compute: sum }),
  linear_model_mean: def({
    params: linearModelMeanParams,
    outputs: ['mean_lm'],
    input: covariateOrValues,
    compute: (p, input, ctx) => linearModel('mean_lm', p, input, ctx),
  }),
  per_client_dau_impact: def({
    params: perClientDauImpactParams,
    outputs: ['per_client_dau_impact'],
    input: covariateOrValues,
    compute: (p, input, ctx) => linearModel('per_client_dau_impact', p, input, ctx),
  }),
  population_ratio: def({
    params: populationRatioParams,
    outputs: ['population_ratio'],
    input: (p) => ({ kind: 'ratio', numerator: p.numerator, denominator: p.denominator }),
    bootstrap: { plan: planPopulationRatio, summarize: summarizePopulationRatio },
  }),
  kernel_density_estimate: def({
    params: kdeParams,
    outputs: ['kernel_density_estimate'],
    input: values,
    compute: kernelDensityEstimate,
  }),
  empirical_cdf: def({
    params: empiricalCdfParams,
    outputs: ['empirical_cdf'],
    input: values,
    compute: empiricalCdf,
  }),
} as const;

export type StatisticName = keyof typeof STATISTICS;
export const STATISTIC_NAMES = Object.keys(STATISTICS) as StatisticName[];

/** Looks up a statistic and validates its parameters (jetstream defaults applied). */
export function resolveStatistic(spec: Pick<StatisticSpec, 'name' | 'params'>): {
  def: StatisticDef<z.ZodObject>;
  params: Record<string, unknown>;
} {
  if (!Object.hasOwn(STATISTICS, spec.name)) {
    throw new StatisticConfigError(
      `unknown statistic '${spec.name}'; valid statistics: ${STATISTIC_NAMES.join(', ')}`,
    );
  }
  const d = STATISTICS[spec.name as StatisticName];
  return { def: d, params: parseParams('statistic', spec.name, d.params, spec.params ?? {}) };
}
