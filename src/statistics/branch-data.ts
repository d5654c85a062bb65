import type { ComputeContext } from './context.js';
import { fromPairs, type Histogram, histogramOf } from './histogram.js';
import type { BranchBins } from './inputs.js';
import { QUANTIZATION, quantize } from './quantize.js';

/**
 * The finite values of one branch as a histogram. Missing values are left out, as jetstream's
 * statistic query leaves them out (`WHERE metric IS NOT NULL`), but with a warning; non-finite
 * values, which jetstream would fail the statistic on, too. remove_nulls and remove_indefinites
 * leave them out explicitly; counting a missing value as 0 is the metric's SQL's to say (no
 * pre-treatment does it in jetstream: its zero_fill never sees a NULL).
 */
const MISSING_ADVICE =
  "COALESCE(…, 0) in the metric's select_expression counts them as 0; the remove_nulls pre-treatment leaves them out without this warning";

export function branchHistogram(ctx: ComputeContext, branch: BranchBins, warnings: string[]): Histogram {
  const { histogram, nulls, nonFinite } = histogramOf(branch.bins);
  if (histogram.n === 0 && nulls > 0 && nonFinite === 0) {
    // One warning for one fact: no client of the branch has a value.
    warnings.push(
      `${ctx.metric}/${ctx.statisticName}: every one of the ${nulls} client(s) of branch '${branch.branch}' has a missing value; its results are null (${MISSING_ADVICE})`,
    );
    return histogram;
  }
  if (nulls > 0) {
    warnings.push(
      `${ctx.metric}/${ctx.statisticName}: left out ${nulls} client(s) of branch '${branch.branch}' with a missing value, as jetstream does (${MISSING_ADVICE})`,
    );
  }
  if (nonFinite > 0) {
    warnings.push(
      `${ctx.metric}/${ctx.statisticName}: left out ${nonFinite} client(s) of branch '${branch.branch}' with a non-finite value`,
    );
  }
  if (histogram.n === 0) {
    warnings.push(
      `${ctx.metric}/${ctx.statisticName}: branch '${branch.branch}' has no data; its results are null`,
    );
  }
  return histogram;
}

/** Values above `threshold` set to it (jetstream's "drop_highest" is a clip, not a drop). */
export function clipHistogram(h: Histogram, threshold: number): Histogram {
  if (h.n === 0 || (h.values[h.values.length - 1] as number) <= threshold) return h;
  const pairs = new Map<number, number>();
  for (let i = 0; i < h.values.length; i++) {
    const v = Math.min(h.values[i] as number, threshold);
    pairs.set(v, (pairs.get(v) ?? 0) + (h.counts[i] as number));
  }
  return fromPairs(pairs);
}

/** Applies the QUANTIZATION rule when the histogram has too many distinct values. */
export function quantizeIfNeeded(
  ctx: ComputeContext,
  branch: string,
  h: Histogram,
  warnings: string[],
): Histogram {
  if (h.values.length <= QUANTIZATION.maxDistinct) return h;
  const pairs = new Map<number, number>();
  for (let i = 0; i < h.values.length; i++) {
    const v = quantize(h.values[i] as number);
    pairs.set(v, (pairs.get(v) ?? 0) + (h.counts[i] as number));
  }
  warnings.push(
    `${ctx.metric}/${ctx.statisticName}: branch '${branch}' has ${h.values.length} distinct values; rounded to ${QUANTIZATION.significantDigits} significant digits (relative error ≤ ${0.5 * 10 ** (1 - QUANTIZATION.significantDigits)})`,
  );
  return fromPairs(pairs);
}
