import type { RowContext, StatisticResultRow } from './results.js';

/** Everything a statistic implementation needs besides its parameters and input. */
export interface ComputeContext extends RowContext {
  /** Config name of the statistic (bootstrap_mean, …); also labels the random streams. */
  statisticName: string;
  referenceBranch: string | null;
  seed: number;
}

export interface StatisticOutput {
  rows: StatisticResultRow[];
  warnings: string[];
  /**
   * What jetstream logs as an exception where a warning would not do: a statistic it cannot
   * compute (its StatisticComputationException, at level ERROR, which Experimenter shows as an
   * error). Each is said once, and the statistic's rows are what contrail could still compute.
   */
  computationErrors?: string[];
}

/** Labels identifying one random stream: same seed + labels → same numbers. */
export function streamLabels(ctx: ComputeContext, ...more: string[]): string[] {
  return [ctx.statisticName, ctx.metric, ctx.segment, ctx.analysisBasis, ctx.windowIndex, ...more];
}
