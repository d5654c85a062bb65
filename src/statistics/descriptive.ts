import { z } from 'zod';
import { branchHistogram } from './branch-data.js';
import type { ComputeContext, StatisticOutput } from './context.js';
import { ecdfAt, type Histogram, Sum } from './histogram.js';
import type { StatisticInput } from './inputs.js';
import { makeRow, type StatisticResultRow } from './results.js';

export const noParams = z.object({});

/**
 * count → per-branch number of clients with a value, no comparisons. jetstream reads a metric's
 * statistic input `WHERE metric IS NOT NULL` and counts its rows, so a missing value is not
 * counted; NaN and ±Infinity are values there (NaN IS NOT NULL), so they are.
 */
export function count(_p: unknown, input: StatisticInput, ctx: ComputeContext): StatisticOutput {
  const rows = input.branches.map((b) => {
    let n = 0;
    for (const bin of b.bins) if (bin.count > 0 && bin.y !== null) n += bin.count;
    return makeRow(ctx, { statistic: 'count', branch: b.branch, point: n });
  });
  return { rows, warnings: [] };
}

/** sum → per-branch sum of the values (missing values skipped, as pandas does), no comparisons. */
export function sum(_p: unknown, input: StatisticInput, ctx: ComputeContext): StatisticOutput {
  const warnings: string[] = [];
  const rows = input.branches.map((b) => {
    const s = new Sum();
    let nonFinite = 0;
    let values = 0;
    let missing = 0;
    for (const bin of b.bins) {
      if (bin.count <= 0) continue;
      if (bin.y === null) missing += bin.count;
      else if (!Number.isFinite(bin.y)) nonFinite += bin.count;
      else {
        s.add(bin.y * bin.count);
        values += bin.count;
      }
    }
    if (values === 0 && missing > 0 && nonFinite === 0) {
      // pandas (and so jetstream) sums nothing to 0: keep it, but a 0 from no data must be said.
      warnings.push(
        `${ctx.metric}/sum: every one of the ${missing} client(s) of branch '${b.branch}' has a missing value; its sum is 0 by convention, not from data`,
      );
    }
    if (nonFinite > 0) {
      warnings.push(
        `${ctx.metric}/sum: branch '${b.branch}' has ${nonFinite} non-finite value(s); its sum is null`,
      );
    }
    return makeRow(ctx, { statistic: 'sum', branch: b.branch, point: nonFinite > 0 ? null : s.value });
  });
  return { rows, warnings };
}

export const gridParams = {
  grid_size: z.number().int('must be a whole number').min(2, 'must be at least 2').max(100_000).default(256),
  log_space: z.boolean().default(false),
};

interface Grid {
  points: number[];
  geometric: boolean;
}

/** numpy linspace / geomspace between the smallest and largest value (jetstream's _make_grid). */
function makeGrid(h: Histogram, size: number, geometric: boolean, warn: (m: string) => void): Grid {
  let start = h.values[0] as number;
  const stop = h.values[h.values.length - 1] as number;
  let geo = geometric;
  if (geo && (start < 0 || stop <= 0)) {
    warn('refusing to create a geometric grid for negative or all-zero values; using a linear grid');
    geo = false;
  }
  if (geo && start === 0) start = h.values[1] as number;
  const points: number[] = [];
  if (geo) {
    const a = Math.log10(start);
    const b = Math.log10(stop);
    const step = (b - a) / (size - 1);
    for (let i = 0; i < size; i++) points.push(10 ** (a + i * step));
    points[0] = start;
    points[size - 1] = stop;
  } else {
    const step = (stop - start) / (size - 1);
    for (let i = 0; i < size; i++) points.push(start + i * step);
    points[size - 1] = stop;
  }
  return { points, geometric: geo };
}

/** One row per distinct parameter (jetstream keys results by parameter, keeping the last). */
function dedupe(rows: StatisticResultRow[]): StatisticResultRow[] {
  const byKey = new Map<string, StatisticResultRow>();
  for (const r of rows) byKey.set(`${r.branch}\u0000${r.parameter}`, r);
  return [...byKey.values()];
}

function perBranchCurve(
  statistic: string,
  input: StatisticInput,
  ctx: ComputeContext,
  size: number,
  logSpace: boolean,
  f: (h: Histogram, x: number) => number,
): StatisticOutput {
  const warnings: string[] = [];
  const rows: StatisticResultRow[] = [];
  for (const b of input.branches) {
    const h = branchHistogram(ctx, b, warnings);
    if (h.n === 0) continue;
    const grid = makeGrid(h, size, logSpace, (m) =>
      warnings.push(`${ctx.metric}/${statistic}, branch '${b.branch}': ${m}`),
    );
    if (grid.geometric && h.values[0] === 0) {
      rows.push(makeRow(ctx, { statistic, branch: b.branch, parameter: 0, point: f(h, 0) }));
    }
    for (const x of grid.points)
      rows.push(makeRow(ctx, { statistic, branch: b.branch, parameter: x, point: f(h, x) }));
  }
  return { rows: dedupe(rows), warnings };
}

export const empiricalCdfParams = z.object(gridParams);

/** empirical_cdf → F(x) = #{values ≤ x}/n on a grid of grid_size points per branch. */
export function empiricalCdf(
  p: z.infer<typeof empiricalCdfParams>,
  input: StatisticInput,
  ctx: ComputeContext,
): StatisticOutput {
  return perBranchCurve('empirical_cdf', input, ctx, p.grid_size, p.log_space, ecdfAt);
}

const KERNELS = ['gaussian', 'tophat', 'epanechnikov', 'exponential', 'linear', 'cosine'] as const;

export const kdeParams = z.object({
  bandwidth: z
    .union([z.enum(['scott', 'silverman']), z.number().positive()], {
      error: "must be 'scott', 'silverman' or a positive number",
    })
    .default('scott'),
  adjust: z.literal(1, { error: 'is no longer supported (only 1.0)' }).default(1),
  kernel: z.enum(KERNELS, { error: `must be one of ${KERNELS.join(', ')}` }).default('gaussian'),
  ...gridParams,
});

/** Normalised 1-D kernels as scikit-learn defines them, for u = (x − v)/h. */
const kernelFns: Record<(typeof KERNELS)[number], (u: number) => number> = {
  gaussian: (u) => Math.exp(-0.5 * u * u) / Math.sqrt(2 * Math.PI),
  tophat: (u) => (Math.abs(u) < 1 ? 0.5 : 0),
  epanechnikov: (u) => (Math.abs(u) < 1 ? 0.75 * (1 - u * u) : 0),
  exponential: (u) => 0.5 * Math.exp(-Math.abs(u)),
  linear: (u) => (Math.abs(u) < 1 ? 1 - Math.abs(u) : 0),
  cosine: (u) => (Math.abs(u) < 1 ? (Math.PI / 4) * Math.cos((Math.PI * u) / 2) : 0),
};

/**
 * kernel_density_estimate → density on a grid per branch. 'scott' and 'silverman' follow
 * scikit-learn's KernelDensity (which jetstream uses): n^(−1/5) and (3n/4)^(−1/5), not scaled
 * by the data's spread — a quirk kept so results match jetstream's.
 */
export function kernelDensityEstimate(
  p: z.infer<typeof kdeParams>,
  input: StatisticInput,
  ctx: ComputeContext,
): StatisticOutput {
  const k = kernelFns[p.kernel];
  return perBranchCurve('kernel_density_estimate', input, ctx, p.grid_size, p.log_space, (h, x) => {
    const bw =
      p.bandwidth === 'scott'
        ? h.n ** -0.2
        : p.bandwidth === 'silverman'
          ? (0.75 * h.n) ** -0.2
          : p.bandwidth;
    const s = new Sum();
    for (let i = 0; i < h.values.length; i++)
      s.add((h.counts[i] as number) * k((x - (h.values[i] as number)) / bw));
    return s.value / (h.n * bw);
  });
}
