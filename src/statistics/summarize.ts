import type { ComputeContext } from './context.js';
import { mean } from './histogram.js';
import { makeRow, type StatisticResultRow } from './results.js';
import { quantilesOf } from './select.js';

/**
 * Per-branch samples of a quantity (bootstrap replicates or posterior draws) → jetstream rows:
 * per branch point = mean of samples, bounds = sample quantiles at (1 ± ci)/2; comparisons of
 * every branch against every other branch pair samples by index (relative_uplift = b/ref − 1,
 * difference = b − ref).
 */
export interface BranchSamples {
  branch: string;
  /** null when the branch had no usable data (its rows get null values). */
  samples: Float64Array | null;
  /** True when the samples carry no uncertainty (one client or one distinct value). */
  degenerate: boolean;
  /**
   * Clients behind the samples, when known. A resample of one client is that client every
   * time: the samples show none of the spread its branch has, so an interval comparing it with
   * another branch would only carry the other's uncertainty.
   */
  clients?: number;
}

export function summarizeSamples(
  ctx: ComputeContext,
  statistic: string,
  ciWidth: number,
  branches: readonly BranchSamples[],
  warnings: string[],
): StatisticResultRow[] {
  return summarizeParameterized(ctx, statistic, ciWidth, [{ parameter: null, branches }], warnings);
}

/**
 * summarizeSamples for a statistic with one set of samples per parameter (deciles). Comparisons
 * whose relative uplift is undefined (the reference is zero in some samples) are written as null
 * and reported in one warning for the statistic, naming the branch pairs and parameters.
 */
export function summarizeParameterized(
  ctx: ComputeContext,
  statistic: string,
  ciWidth: number,
  groups: readonly { parameter: number | null; branches: readonly BranchSamples[] }[],
  warnings: string[],
): StatisticResultRow[] {
  const lo = (1 - ciWidth) / 2;
  const hi = 1 - lo;
  const bounds = (samples: Float64Array, noSpread: boolean) => {
    if (noSpread) return { lower: null, upper: null };
    const [lower, upper] = quantilesOf(samples, [lo, hi]);
    return { lower: lower ?? null, upper: upper ?? null };
  };
  const rows: StatisticResultRow[] = [];
  const undefinedPairs = new Set<string>();
  const undefinedAt = new Set<number>();
  const single = new Set<string>();
  /** Whether some undefined uplift had a reference of zero in only some samples (else: in all). */
  let zeroInSomeOnly = false;
  for (const { parameter, branches } of groups) {
    const base = { statistic, parameter, ciWidth };
    for (const b of branches) {
      if (b.samples === null) {
        rows.push(makeRow(ctx, { ...base, branch: b.branch, point: null }));
        continue;
      }
      rows.push(
        makeRow(ctx, {
          ...base,
          branch: b.branch,
          point: mean(b.samples),
          ...bounds(b.samples, b.degenerate),
        }),
      );
    }
    for (const ref of branches) {
      for (const b of branches) {
        if (b === ref) continue;
        const common = { ...base, branch: b.branch, comparisonToBranch: ref.branch };
        if (b.samples === null || ref.samples === null) {
          rows.push(makeRow(ctx, { ...common, comparison: 'difference', point: null }));
          rows.push(makeRow(ctx, { ...common, comparison: 'relative_uplift', point: null }));
          continue;
        }
        const n = Math.min(b.samples.length, ref.samples.length);
        const diff = new Float64Array(n);
        const rel = new Float64Array(n);
        let relFinite = true;
        let zeroReference = 0;
        for (let i = 0; i < n; i++) {
          const r = ref.samples[i] as number;
          const f = b.samples[i] as number;
          diff[i] = f - r;
          const u = f / r - 1;
          rel[i] = u;
          if (!Number.isFinite(u)) relFinite = false;
          if (r === 0) zeroReference++;
        }
        if (!relFinite && zeroReference < n) zeroInSomeOnly = true;
        const oneClient = b.clients === 1 || ref.clients === 1;
        if (b.clients === 1) single.add(b.branch);
        if (ref.clients === 1) single.add(ref.branch);
        const noSpread = (b.degenerate && ref.degenerate) || oneClient;
        rows.push(
          makeRow(ctx, { ...common, comparison: 'difference', point: mean(diff), ...bounds(diff, noSpread) }),
        );
        if (!relFinite) {
          undefinedPairs.add(`'${b.branch}' over '${ref.branch}'`);
          if (parameter !== null) undefinedAt.add(parameter);
          rows.push(makeRow(ctx, { ...common, comparison: 'relative_uplift', point: null }));
          continue;
        }
        rows.push(
          makeRow(ctx, {
            ...common,
            comparison: 'relative_uplift',
            point: mean(rel),
            ...bounds(rel, noSpread),
          }),
        );
      }
    }
  }
  if (single.size > 0) {
    const names = [...single].map((b) => `'${b}'`).join(', ');
    warnings.push(
      `${ctx.metric}/${ctx.statisticName}: ${single.size > 1 ? 'branches' : 'branch'} ${names} ${single.size > 1 ? 'have' : 'has'} a single client, whose resamples are always that client, so the intervals of ${single.size > 1 ? 'their' : 'its'} comparisons would ignore ${single.size > 1 ? 'their' : 'its'} spread; they are null`,
    );
  }
  if (undefinedPairs.size > 0) {
    const at = undefinedAt.size > 0 ? ` at parameters ${[...undefinedAt].join(', ')}` : '';
    warnings.push(
      `${ctx.metric}/${ctx.statisticName}: relative uplift is undefined${at} for ${[...undefinedPairs].join(', ')} (the reference value is zero in ${zeroInSomeOnly ? 'some samples' : 'every sample'}); written as null`,
    );
  }
  return rows;
}
