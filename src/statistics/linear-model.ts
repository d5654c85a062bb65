import { z } from 'zod';
import type { ComputeContext, StatisticOutput } from './context.js';
import { normalQuantile, tQuantile } from './distributions.js';
import { allIntegers, histogramOf, histogramQuantile, Sum } from './histogram.js';
import type { StatisticInput, ValueBin } from './inputs.js';
import { dropHighest } from './params.js';
import { makeRow, type StatisticResultRow } from './results.js';

/**
 * linear_model_mean → `mean_lm` and per_client_dau_impact, from sufficient statistics of the
 * bins (no per-client rows), reproducing mozanalysis' compare_branches_lm:
 * - pooled clip of the metric (and the covariate) at the (1 − drop_highest) quantile over all
 *   branches, rounded up when every value is an integer (as for integer columns);
 * - per branch: mean with a Student-t interval (df n − 1);
 * - comparisons from one OLS fit y ~ branch [+ covariate] (CUPED when a pre-period covariate
 *   is given): difference = branch coefficient with its t interval (df N − p); relative uplift
 *   = ratio of average predictions over the covariate grid (10,000 quantiles, as
 *   marginaleffects' balanced datagrid) with a delta-method normal interval on the log ratio.
 * The fit uses the cell-means form: per-branch intercepts αᵦ and a common slope γ, so every
 * quantity comes from within-branch centred sums, which keeps the arithmetic stable.
 */
export const COVARIATE_PERIODS = ['preenrollment_week', 'preenrollment_days28'] as const;

export const covariateAdjustment = z
  .object({
    period: z.enum(COVARIATE_PERIODS, {
      error: `period must be one of ${COVARIATE_PERIODS.join(', ')}`,
    }),
    metric: z.string().optional(),
  })
  .strict();

export const linearModelMeanParams = z.object({
  drop_highest: dropHighest.default(0.005),
  covariate_adjustment: covariateAdjustment.nullable().default(null),
});
export const perClientDauImpactParams = z.object({
  drop_highest: dropHighest.default(0),
  covariate_adjustment: covariateAdjustment.nullable().default(null),
});
type Params = z.infer<typeof linearModelMeanParams>;

/** jetstream fixes the linear models' interval width. */
const CI = 0.95;
const GRID_POINTS = 10_000;

interface BranchFit {
  branch: string;
  n: number;
  yMean: number;
  xMean: number;
  syy: number;
  sxx: number;
  sxy: number;
}

function pooledCap(bins: ValueBin[], pick: (b: ValueBin) => number | null | undefined, q: number): number {
  const { histogram } = histogramOf(bins, pick);
  if (histogram.n === 0) return Number.POSITIVE_INFINITY;
  const cap = histogramQuantile(histogram, q);
  return allIntegers(histogram) ? Math.ceil(cap) : cap;
}

function sampleStd(bins: ValueBin[]): number {
  const s = new Sum();
  let n = 0;
  for (const b of bins)
    if (b.y !== null && Number.isFinite(b.y)) {
      s.add(b.y * b.count);
      n += b.count;
    }
  if (n < 2) return 0;
  const m = s.value / n;
  const ss = new Sum();
  for (const b of bins) if (b.y !== null && Number.isFinite(b.y)) ss.add((b.y - m) * (b.y - m) * b.count);
  return Math.sqrt(ss.value / (n - 1));
}

/** Mean of the covariate's quantiles at 0, 1/GRID_POINTS, …: where predictions are averaged. */
function gridMean(bins: { x: number; count: number }[]): number {
  const { histogram } = histogramOf(bins.map((b) => ({ y: b.x, count: b.count })));
  const s = new Sum();
  for (let i = 0; i < GRID_POINTS; i++) s.add(histogramQuantile(histogram, i / GRID_POINTS));
  return s.value / GRID_POINTS;
}

export function linearModel(
  statistic: 'mean_lm' | 'per_client_dau_impact',
  params: Params,
  input: StatisticInput,
  ctx: ComputeContext,
): StatisticOutput {
  const warnings: string[] = [];
  const tag = `${ctx.metric}/${ctx.statisticName}`;
  const all = input.branches.flatMap((b) => b.bins.filter((bin) => bin.count > 0));
  // per_client_dau_impact scales by the clients jetstream's statistic sees: its query keeps
  // those with a value (`WHERE metric IS NOT NULL`), whatever their covariate.
  const nClients = all.reduce((s, b) => s + (b.y === null ? 0 : b.count), 0);
  let adjust = params.covariate_adjustment !== null;
  if (adjust && !all.some((b) => b.x !== undefined)) {
    warnings.push(`${tag}: no pre-period covariate in the input; falling back to unadjusted inferences`);
    adjust = false;
  } else if (adjust && !all.some((b) => b.x !== undefined && b.x !== null && Number.isFinite(b.x))) {
    // No client has a pre-period value (new users, or a metric without a default for no
    // activity). Adjusting would leave out every client and null every result.
    warnings.push(
      `${tag}: no client has a value of the pre-period covariate; falling back to unadjusted inferences`,
    );
    adjust = false;
  }
  const nonFinite = all.filter((b) => b.y !== null && !Number.isFinite(b.y)).reduce((s, b) => s + b.count, 0);
  if (nonFinite > 0) warnings.push(`${tag}: left out ${nonFinite} client(s) with a non-finite value`);

  const nullRows = (): StatisticResultRow[] =>
    allNullRows(
      statistic,
      ctx,
      input.branches.map((b) => b.branch),
    );
  // jetstream refuses a reference branch whose values are all 0 (once clipped) before it fits
  // anything, logging a StatisticComputationException: the relative uplift over it is undefined.
  const computationErrors: string[] = [];
  const zeroReference = (branch: string, n: number, clipped: string) =>
    computationErrors.push(
      `${tag}: every one of the ${n} client(s) of reference branch '${branch}' has the value 0${clipped}, so the relative uplift over it is undefined; no relative uplift with it as reference`,
    );
  if (Math.abs(sampleStd(all)) <= 1e-8) {
    const constant = all.find((b) => b.y !== null && Number.isFinite(b.y))?.y;
    if (constant === 0) {
      for (const b of input.branches) {
        const n = b.bins.reduce(
          (s, bin) => s + (bin.y !== null && Number.isFinite(bin.y) ? bin.count : 0),
          0,
        );
        if (n > 0) zeroReference(b.branch, n, '');
      }
      return { rows: nullRows(), warnings, computationErrors };
    }
    warnings.push(`${tag}: metric has no variation; results are null`);
    return { rows: nullRows(), warnings };
  }

  const q = 1 - params.drop_highest;
  const capY = pooledCap(all, (b) => (b.y !== null && Number.isFinite(b.y) ? b.y : null), q);
  const capX = adjust
    ? pooledCap(all, (b) => (b.x !== null && b.x !== undefined && Number.isFinite(b.x) ? b.x : null), q)
    : 0;

  // Model rows: finite y (and finite x when adjusting), clipped.
  const modelBins = input.branches.map((b) => ({
    branch: b.branch,
    bins: b.bins.flatMap((bin) => {
      if (bin.count <= 0 || bin.y === null || !Number.isFinite(bin.y)) return [];
      const x = adjust ? bin.x : 0;
      if (x === null || x === undefined || !Number.isFinite(x)) return [];
      return [{ y: Math.min(bin.y, capY), x: adjust ? Math.min(x, capX) : 0, count: bin.count }];
    }),
  }));
  const dropped =
    all.reduce((s, b) => s + b.count, 0) -
    modelBins.reduce((s, b) => s + b.bins.reduce((t, r) => t + r.count, 0), 0) -
    nonFinite;
  if (dropped > 0) {
    warnings.push(
      `${tag}: left out ${dropped} client(s) with a missing value${adjust ? ' or missing covariate' : ''}`,
    );
  }

  const fits: BranchFit[] = modelBins.map(({ branch, bins }) => {
    let n = 0;
    const sy = new Sum();
    const sx = new Sum();
    for (const r of bins) {
      n += r.count;
      sy.add(r.y * r.count);
      sx.add(r.x * r.count);
    }
    const yMean = n > 0 ? sy.value / n : Number.NaN;
    const xMean = n > 0 ? sx.value / n : Number.NaN;
    const syy = new Sum();
    const sxx = new Sum();
    const sxy = new Sum();
    for (const r of bins) {
      const dy = r.y - yMean;
      const dx = r.x - xMean;
      syy.add(dy * dy * r.count);
      sxx.add(dx * dx * r.count);
      sxy.add(dx * dy * r.count);
    }
    if (n === 0) warnings.push(`${tag}: branch '${branch}' has no data; its results are null`);
    return { branch, n, yMean, xMean, syy: syy.value, sxx: sxx.value, sxy: sxy.value };
  });

  const used = fits.filter((f) => f.n > 0);
  const N = used.reduce((s, f) => s + f.n, 0);
  const sxxW = used.reduce((s, f) => s + f.sxx, 0);
  const sxyW = used.reduce((s, f) => s + f.sxy, 0);
  const syyW = used.reduce((s, f) => s + f.syy, 0);
  if (
    adjust &&
    !(
      sxxW >
      1e-12 *
        Math.max(
          1,
          used.reduce((s, f) => s + f.n * f.xMean * f.xMean, 0),
        )
    )
  ) {
    warnings.push(
      `${tag}: the covariate has no variation within branches; falling back to unadjusted inferences`,
    );
    adjust = false;
  }
  const gamma = adjust ? sxyW / sxxW : 0;
  const rss = adjust ? Math.max(0, syyW - gamma * sxyW) : syyW;
  const dof = N - used.length - (adjust ? 1 : 0);
  const sigma2 = dof > 0 ? rss / dof : Number.NaN;
  const varGamma = adjust ? sigma2 / sxxW : 0;
  const xg = adjust ? gridMean(modelBins.flatMap((b) => b.bins)) : 0;
  const tCrit = dof > 0 ? tQuantile(1 - (1 - CI) / 2, dof) : Number.NaN;
  const zCrit = normalQuantile(1 - (1 - CI) / 2, 0, 1);

  const rows: StatisticResultRow[] = [];
  if (statistic === 'mean_lm') {
    for (const f of fits) {
      if (f.n === 0) {
        rows.push(makeRow(ctx, { statistic, branch: f.branch, ciWidth: CI, point: null }));
        continue;
      }
      const varies = varying(f.syy, f.syy + f.n * f.yMean * f.yMean);
      if (f.n < 2 || !varies) {
        warnings.push(
          `${tag}: branch '${f.branch}' has ${f.n < 2 ? 'fewer than 2 clients' : 'no variation'}; its interval is null`,
        );
      }
      const half =
        f.n >= 2 && varies
          ? tQuantile(1 - (1 - CI) / 2, f.n - 1) * Math.sqrt(f.syy / (f.n - 1) / f.n)
          : Number.NaN;
      rows.push(
        makeRow(ctx, {
          statistic,
          branch: f.branch,
          ciWidth: CI,
          point: f.yMean,
          lower: f.yMean - half,
          upper: f.yMean + half,
        }),
      );
    }
  }
  if (!(dof > 0)) warnings.push(`${tag}: too few clients to fit the model; comparisons are null`);
  // No residual variance (every branch constant, often only once clipped: mostly-zero values
  // clipped at a zero quantile): the model's intervals would have zero width, a certainty the
  // data does not have.
  const squares = syyW + used.reduce((s, f) => s + f.n * f.yMean * f.yMean, 0);
  const noNoise = dof > 0 && !varying(rss, squares);
  if (noNoise) {
    const clipped = all.some((b) => b.y !== null && Number.isFinite(b.y) && b.y > capY)
      ? ` once clipped at ${capY} (the ${q} quantile)`
      : '';
    warnings.push(
      `${tag}: no branch varies within itself${clipped}, so the comparisons' intervals would have zero width; they are null`,
    );
  }

  for (const ref of fits) {
    const refBins = modelBins.find((m) => m.branch === ref.branch)?.bins ?? [];
    const zero = ref.n > 0 && refBins.every((r) => r.y === 0);
    if (zero) {
      const clipped = all.some((b) => b.y !== null && Number.isFinite(b.y) && b.y > capY)
        ? ` once clipped at ${capY} (the ${q} quantile)`
        : '';
      zeroReference(ref.branch, ref.n, clipped);
    }
    for (const b of fits) {
      if (b === ref) continue;
      const common = { statistic, branch: b.branch, comparisonToBranch: ref.branch, ciWidth: CI };
      if (b.n === 0 || ref.n === 0 || !(dof > 0)) {
        rows.push(makeRow(ctx, { ...common, comparison: 'difference', point: null }));
        rows.push(makeRow(ctx, { ...common, comparison: 'relative_uplift', point: null }));
        continue;
      }
      const aB = b.yMean - gamma * b.xMean;
      const aR = ref.yMean - gamma * ref.xMean;
      const diff = aB - aR;
      const dx = b.xMean - ref.xMean;
      const seDiff = noNoise ? Number.NaN : Math.sqrt(sigma2 / b.n + sigma2 / ref.n + dx * dx * varGamma);
      const scale = statistic === 'per_client_dau_impact' ? nClients : 1;
      rows.push(
        makeRow(ctx, {
          ...common,
          comparison: 'difference',
          point: diff * scale,
          lower: (diff - tCrit * seDiff) * scale,
          upper: (diff + tCrit * seDiff) * scale,
        }),
      );
      const pB = aB + gamma * xg;
      const pR = aR + gamma * xg;
      if (zero) {
        rows.push(makeRow(ctx, { ...common, comparison: 'relative_uplift', point: null }));
        continue;
      }
      // The interval is built on ln(pB / pR): it needs both means non-zero and of one sign. A
      // zero reference makes the ratio infinite, which must be said, not silently nulled.
      if (!(pR !== 0 && pB / pR > 0 && Number.isFinite(pB / pR))) {
        const why =
          pR === 0
            ? `the mean of '${ref.branch}' is 0`
            : pB === 0
              ? `the mean of '${b.branch}' is 0, and the interval is built on the log of the ratio`
              : `the means of '${b.branch}' (${pB}) and '${ref.branch}' (${pR}) have opposite signs`;
        warnings.push(
          `${tag}: relative uplift of '${b.branch}' over '${ref.branch}' is undefined (${why}); written as null`,
        );
        rows.push(makeRow(ctx, { ...common, comparison: 'relative_uplift', point: null }));
        continue;
      }
      // Delta method on ln(pB / pR) with respect to (αB, αR, γ).
      const gB = 1 / pB;
      const gR = -1 / pR;
      const gG = xg * (1 / pB - 1 / pR);
      const vBB = sigma2 / b.n + b.xMean * b.xMean * varGamma;
      const vRR = sigma2 / ref.n + ref.xMean * ref.xMean * varGamma;
      const vBR = b.xMean * ref.xMean * varGamma;
      const vBG = -b.xMean * varGamma;
      const vRG = -ref.xMean * varGamma;
      const v =
        gB * gB * vBB +
        gR * gR * vRR +
        gG * gG * varGamma +
        2 * (gB * gR * vBR + gB * gG * vBG + gR * gG * vRG);
      const lr = Math.log(pB / pR);
      const se = noNoise ? Number.NaN : Math.sqrt(Math.max(0, v));
      rows.push(
        makeRow(ctx, {
          ...common,
          comparison: 'relative_uplift',
          point: Math.exp(lr) - 1,
          lower: Math.exp(lr - zCrit * se) - 1,
          upper: Math.exp(lr + zCrit * se) - 1,
        }),
      );
    }
  }
  return { rows, warnings, ...(computationErrors.length > 0 ? { computationErrors } : {}) };
}

/**
 * Whether a sum of squared deviations is more than rounding: constant values whose mean is not
 * exactly representable (0.1 three times) leave deviations of 1e-17, not variation.
 */
function varying(deviations: number, squares: number): boolean {
  return deviations > 1e-20 * squares;
}

/** All rows of the statistic with null values (the model cannot be fitted). */
function allNullRows(
  statistic: 'mean_lm' | 'per_client_dau_impact',
  ctx: ComputeContext,
  branches: string[],
): StatisticResultRow[] {
  const point = null;
  const rows: StatisticResultRow[] = [];
  if (statistic === 'mean_lm') {
    for (const b of branches) rows.push(makeRow(ctx, { statistic, branch: b, ciWidth: CI, point }));
  }
  for (const ref of branches) {
    for (const b of branches) {
      if (b === ref) continue;
      for (const comparison of ['difference', 'relative_uplift'] as const) {
        rows.push(
          makeRow(ctx, { statistic, branch: b, comparison, comparisonToBranch: ref, ciWidth: CI, point }),
        );
      }
    }
  }
  return rows;
}
