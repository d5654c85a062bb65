import { z } from 'zod';
import { branchHistogram, clipHistogram, quantizeIfNeeded } from './branch-data.js';
import { type ComputeContext, type StatisticOutput, streamLabels } from './context.js';
import type { DirichletDraw, DirichletProblem } from './dirichlet.js';
import { betaQuantile } from './distributions.js';
import { histogramQuantile, indexOfRank } from './histogram.js';
import type { StatisticInput } from './inputs.js';
import { confidenceInterval, dropHighest, numSamples } from './params.js';
import { QUANTIZATION, quantize } from './quantize.js';
import { RandomStream } from './random.js';
import { makeRow } from './results.js';
import { type BranchSamples, summarizeParameterized, summarizeSamples } from './summarize.js';

export const bootstrapMeanParams = z.object({
  num_samples: numSamples.default(10_000),
  drop_highest: dropHighest.default(0.005),
  confidence_interval: confidenceInterval.default(0.95),
});

/**
 * The work of a bootstrap statistic split in three, so that the middle step (the replicates,
 * nearly all of the time) can be spread over threads: `plan` reads the input and says which
 * Dirichlet bootstraps to draw (one per branch, null for a branch without data); the draws
 * are run; `summarize` turns the replicates into rows. What `plan` returns besides the draws
 * travels between threads, so it is plain data.
 */
export interface BootstrapPlan {
  draws: (DirichletDraw | null)[];
  state: BootstrapState;
}

export interface BootstrapState {
  /** Per branch: no spread in its replicates; and how many clients it has (1 makes its comparisons' intervals null). */
  branches: { branch: string; degenerate: boolean; clients?: number; constant?: number }[];
  warnings: string[];
}

/** The draw of one branch: its stream is labelled by the statistic, the metric and the branch. */
function branchDraw(ctx: ComputeContext, branch: string, problem: DirichletProblem, numSamples: number) {
  return { problem, stream: RandomStream.of(ctx.seed, ...streamLabels(ctx, branch)).state, numSamples };
}

/**
 * bootstrap_mean → `mean`: per branch, clip at the (1 − drop_highest) quantile, then the
 * Bayesian bootstrap of the mean with Dirichlet weights over distinct values.
 */
export function planBootstrapMean(
  params: z.infer<typeof bootstrapMeanParams>,
  input: StatisticInput,
  ctx: ComputeContext,
): BootstrapPlan {
  const warnings: string[] = [];
  const draws: (DirichletDraw | null)[] = [];
  const branches = input.branches.map((b) => {
    let h = branchHistogram(ctx, b, warnings);
    if (h.n === 0) {
      draws.push(null);
      return { branch: b.branch, degenerate: true };
    }
    h = clipHistogram(h, histogramQuantile(h, 1 - params.drop_highest));
    h = quantizeIfNeeded(ctx, b.branch, h, warnings);
    const degenerate = h.values.length < 2;
    if (degenerate) {
      warnings.push(
        `${ctx.metric}/${ctx.statisticName}: branch '${b.branch}' has no variation; its interval is null`,
      );
      // Every replicate is that one value. Drawn, each would be Σw·v / Σw, off by a rounding
      // error, and two equal branches would differ by 1e-18 (a "-0.0 %" in the headline).
      draws.push(null);
      return { branch: b.branch, degenerate, clients: h.n, constant: h.values[0] as number };
    }
    draws.push(branchDraw(ctx, b.branch, { y: h.values, x: null, counts: h.counts }, params.num_samples));
    return { branch: b.branch, degenerate, clients: h.n };
  });
  return { draws, state: { branches, warnings } };
}

export function summarizeBootstrapMean(
  params: z.infer<typeof bootstrapMeanParams>,
  state: BootstrapState,
  replicates: (Float64Array | null)[],
  ctx: ComputeContext,
): StatisticOutput {
  const warnings = [...state.warnings];
  const branches: BranchSamples[] = state.branches.map(({ constant, ...b }, i) => ({
    ...b,
    samples:
      replicates[i] ?? (constant === undefined ? null : new Float64Array(params.num_samples).fill(constant)),
  }));
  return { rows: summarizeSamples(ctx, 'mean', params.confidence_interval, branches, warnings), warnings };
}

export const binomialParams = z.object({ confidence_interval: confidenceInterval.default(0.95) });

/** Posterior draws for comparisons (mozanalysis draws 10,000 per branch). */
const BINOMIAL_SAMPLES = 10_000;

/**
 * binomial → `binomial`: posterior Beta(k+1, n−k+1) per branch; per-branch point is its mean
 * and bounds its quantiles (exact, no sampling); comparisons from posterior draws.
 */
export function binomial(
  params: z.infer<typeof binomialParams>,
  input: StatisticInput,
  ctx: ComputeContext,
): StatisticOutput {
  const warnings: string[] = [];
  const ci = params.confidence_interval;
  const lo = (1 - ci) / 2;
  const perBranch = input.branches.map((b) => {
    const h = branchHistogram(ctx, b, warnings);
    let k = 0;
    for (let i = 0; i < h.values.length; i++) {
      const v = h.values[i] as number;
      if (v !== 0 && v !== 1) return { branch: b.branch, bad: v, n: h.n, k };
      if (v === 1) k += h.counts[i] as number;
    }
    return { branch: b.branch, bad: null, n: h.n, k };
  });
  const bad = perBranch.find((b) => b.bad !== null);
  if (bad) {
    // jetstream's binomial raises here (mozanalysis: "All values in column … must be 0 or 1"),
    // which it logs as a StatisticComputationException: a config to fix, not a fact to note.
    return {
      rows: [],
      warnings,
      computationErrors: [
        `${ctx.metric}/binomial: values must be 0 or 1 (or booleans), but branch '${bad.branch}' has ${bad.bad}; no results`,
      ],
    };
  }
  const rows = perBranch.map((b) => {
    const a = b.k + 1;
    const c = b.n - b.k + 1;
    return makeRow(ctx, {
      statistic: 'binomial',
      branch: b.branch,
      ciWidth: ci,
      point: b.n === 0 ? null : a / (a + c),
      lower: b.n === 0 ? null : betaQuantile(lo, a, c),
      upper: b.n === 0 ? null : betaQuantile(1 - lo, a, c),
    });
  });
  // Every client of every branch with data has the same value (all 0, or all 1): the data says
  // nothing about a difference, and the posterior draws would compare only the Beta(1, 1) prior
  // as weighed by each branch's size (0 of 10 against 0 of 990 reads as a "significant" rise of
  // thousands of percent). jetstream publishes those draws; contrail writes the comparisons as
  // null and says why, as it does for a linear model of a metric without variation.
  const withData = perBranch.filter((b) => b.n > 0);
  const sameValue =
    withData.length > 1 && (withData.every((b) => b.k === 0) || withData.every((b) => b.k === b.n));
  if (sameValue) {
    const value = withData[0]?.k === 0 ? 0 : 1;
    warnings.push(
      `${ctx.metric}/binomial: every client of every branch has the value ${value}, so the branches cannot be compared; comparisons are null`,
    );
  }
  const samples: BranchSamples[] = perBranch.map((b) => {
    if (b.n === 0 || sameValue) return { branch: b.branch, samples: null, degenerate: true };
    const stream = RandomStream.of(ctx.seed, ...streamLabels(ctx, b.branch));
    const s = new Float64Array(BINOMIAL_SAMPLES);
    for (let i = 0; i < s.length; i++) s[i] = stream.beta(b.k + 1, b.n - b.k + 1);
    return { branch: b.branch, samples: s, degenerate: false };
  });
  const comparisons = summarizeSamples(ctx, 'binomial', ci, samples, warnings).filter(
    (r) => r.comparison !== null,
  );
  return { rows: [...rows, ...comparisons], warnings };
}

export const decilesParams = z.object({
  confidence_interval: confidenceInterval.default(0.95),
  num_samples: numSamples.default(10_000),
});

export const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

/**
 * deciles → `deciles` with parameter 0.1…0.9: the (frequentist) bootstrap of numpy's linear
 * quantile, drawn exactly without resampling rows. A resample's order statistics are the
 * empirical quantile function at the order statistics of n uniforms, so the k-th one (0-based)
 * is F⁻¹(U₍ₖ₎) with U₍ₖ₎ ~ Beta(k+1, n−k), and the next one uses the next uniform order
 * statistic, U₍ₖ₎ + (1 − U₍ₖ₎)·Beta(1, n−k−1). Same distribution as jetstream's resampling,
 * at O(log distinct) per draw instead of O(n).
 */
export function deciles(
  params: z.infer<typeof decilesParams>,
  input: StatisticInput,
  ctx: ComputeContext,
): StatisticOutput {
  const warnings: string[] = [];
  const perDecile: BranchSamples[][] = DECILES.map(() => []);
  for (const b of input.branches) {
    const h = branchHistogram(ctx, b, warnings);
    const n = h.n;
    if (n === 0) {
      for (const list of perDecile) list.push({ branch: b.branch, samples: null, degenerate: true });
      continue;
    }
    const degenerate = h.values.length < 2;
    const stream = RandomStream.of(ctx.seed, ...streamLabels(ctx, b.branch));
    const at = (u: number) =>
      h.values[indexOfRank(h, Math.min(n - 1, Math.max(0, Math.ceil(n * u) - 1)))] as number;
    DECILES.forEach((q, j) => {
      const pos = (n - 1) * q;
      const k = Math.floor(pos);
      const t = pos - k;
      const s = new Float64Array(params.num_samples);
      for (let i = 0; i < s.length; i++) {
        const uk = stream.beta(k + 1, n - k);
        const a = at(uk);
        if (t === 0) {
          s[i] = a;
          continue;
        }
        const gap = 1 - stream.uniform32() ** (1 / (n - k - 1));
        const bnext = at(uk + (1 - uk) * gap);
        s[i] = a + t * (bnext - a);
      }
      (perDecile[j] as BranchSamples[]).push({ branch: b.branch, samples: s, degenerate, clients: n });
    });
  }
  const rows = summarizeParameterized(
    ctx,
    'deciles',
    params.confidence_interval,
    DECILES.map((q, j) => ({ parameter: q, branches: perDecile[j] as BranchSamples[] })),
    warnings,
  );
  return { rows, warnings: [...new Set(warnings)] };
}

export const populationRatioParams = z.object({
  numerator: z.string({ error: 'is required: the name of the numerator metric' }),
  denominator: z.string({ error: 'is required: the name of the denominator metric' }),
  confidence_interval: confidenceInterval.default(0.95),
  drop_highest: dropHighest.default(0.005),
  num_samples: numSamples.default(10_000),
});

/**
 * population_ratio → `population_ratio`: mean(numerator) / mean(denominator) per branch with a
 * bootstrap interval. Bins carry the numerator in `y` and the denominator in `x`. Each column is
 * clipped at its own (1 − drop_highest) quantile per branch, as jetstream does. jetstream
 * resamples rows (multinomial weights); contrail uses Dirichlet weights over distinct
 * (numerator, denominator) pairs — the Bayesian bootstrap, whose weights have the same means and
 * covariances up to a factor n/(n+1) — so it runs on the fast sampler.
 */
export function planPopulationRatio(
  params: z.infer<typeof populationRatioParams>,
  input: StatisticInput,
  ctx: ComputeContext,
): BootstrapPlan {
  const warnings: string[] = [];
  const draws: (DirichletDraw | null)[] = [];
  const branches = input.branches.map((b) => {
    const rowsOk = b.bins.filter(
      (bin) => bin.count > 0 && Number.isFinite(bin.y ?? Number.NaN) && Number.isFinite(bin.x ?? Number.NaN),
    );
    const left =
      b.bins.reduce((s, bin) => s + Math.max(bin.count, 0), 0) - rowsOk.reduce((s, bin) => s + bin.count, 0);
    if (left > 0) {
      warnings.push(
        `${ctx.metric}/population_ratio: left out ${left} client(s) of branch '${b.branch}' with a missing or non-finite numerator or denominator`,
      );
    }
    if (rowsOk.length === 0) {
      warnings.push(`${ctx.metric}/population_ratio: branch '${b.branch}' has no data; its results are null`);
      draws.push(null);
      return { branch: b.branch, degenerate: true };
    }
    const num = branchHistogram(ctx, { branch: b.branch, bins: rowsOk }, []);
    const den = branchHistogram(
      ctx,
      { branch: b.branch, bins: rowsOk.map((r) => ({ y: r.x ?? null, count: r.count })) },
      [],
    );
    const q = 1 - params.drop_highest;
    const capY = histogramQuantile(num, q);
    const capX = histogramQuantile(den, q);
    let pairs = new Map<string, { y: number; x: number; c: number }>();
    const add = (y: number, x: number, c: number) => {
      const key = `${y}|${x}`;
      const e = pairs.get(key);
      if (e) e.c += c;
      else pairs.set(key, { y, x, c });
    };
    for (const r of rowsOk) add(Math.min(r.y as number, capY), Math.min(r.x as number, capX), r.count);
    if (pairs.size > QUANTIZATION.maxDistinct) {
      const before = [...pairs.values()];
      pairs = new Map();
      for (const e of before) add(quantize(e.y), quantize(e.x), e.c);
      warnings.push(
        `${ctx.metric}/population_ratio: branch '${b.branch}' has ${before.length} distinct (numerator, denominator) pairs; both rounded to significant digits (see QUANTIZATION)`,
      );
    }
    const entries = [...pairs.values()];
    const problem = {
      y: Float64Array.from(entries, (e) => e.y),
      x: Float64Array.from(entries, (e) => e.x),
      counts: Float64Array.from(entries, (e) => e.c),
    };
    draws.push(branchDraw(ctx, b.branch, problem, params.num_samples));
    return {
      branch: b.branch,
      degenerate: entries.length < 2,
      clients: entries.reduce((n, e) => n + e.c, 0),
    };
  });
  return { draws, state: { branches, warnings } };
}

export function summarizePopulationRatio(
  params: z.infer<typeof populationRatioParams>,
  state: BootstrapState,
  replicates: (Float64Array | null)[],
  ctx: ComputeContext,
): StatisticOutput {
  const warnings = [...state.warnings];
  const branches: BranchSamples[] = state.branches.map((b, i) => {
    const samples = replicates[i] ?? null;
    const undefinedIn = samples === null ? 0 : samples.filter((v) => !Number.isFinite(v)).length;
    if (samples !== null && undefinedIn > 0) {
      const which =
        undefinedIn === samples.length
          ? `in every sample (all ${samples.length})`
          : `in ${undefinedIn} of the ${samples.length} samples`;
      warnings.push(
        `${ctx.metric}/${ctx.statisticName}: the denominator of branch '${b.branch}' sums to zero ${which}; its results are null`,
      );
      return { branch: b.branch, samples: null, degenerate: true };
    }
    return { ...b, samples };
  });
  return {
    rows: summarizeSamples(ctx, 'population_ratio', params.confidence_interval, branches, warnings),
    warnings,
  };
}
