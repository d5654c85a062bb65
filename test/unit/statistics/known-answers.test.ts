import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import {
  computeStatistic,
  QUANTIZATION,
  quantize,
  requiredInput,
  sampleRatioMismatch,
} from '../../../src/statistics/index.js';
import type { StatisticResultRow } from '../../../src/statistics/results.js';
import { binsInput, CTX, npQuantile, type RawRow, rng, toInput } from './helpers.js';

const close = (a: number | null, b: number, tol = 1e-9, what = '') => {
  assert.ok(a !== null, `${what}: null`);
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
};
const find = (
  rows: StatisticResultRow[],
  branch: string,
  comparison: string | null = null,
  to: string | null = null,
) => {
  const r = rows.find(
    (x) =>
      x.branch === branch && x.comparison === comparison && (to === null || x.comparison_to_branch === to),
  );
  assert.ok(r, `row ${branch} ${comparison} ${to}`);
  return r;
};
const spec = (
  name: string,
  params: Record<string, unknown> = {},
  preTreatments: { name: string; args: Record<string, unknown> }[] = [],
) => ({ name, params, preTreatments }) as never;

describe('binomial', () => {
  it('per-branch interval is the Beta(k+1, n−k+1) quantiles (checked via the binomial CDF identity)', () => {
    const input = binsInput({
      control: [
        { y: 1, count: 37 },
        { y: 0, count: 163 },
      ],
      treatment: [
        { y: 1, count: 0 },
        { y: 0, count: 50 },
      ],
    });
    const { rows } = computeStatistic(spec('binomial'), input, CTX);
    for (const [branch, k, n] of [
      ['control', 37, 200],
      ['treatment', 0, 50],
    ] as const) {
      const r = find(rows, branch);
      close(r.point, (k + 1) / (n + 2), 1e-12, 'point');
      // I_x(k+1, n−k+1) = P(Binomial(n+1, x) ≥ k+1) = 1 − F(k; n+1, x).
      close(1 - binomialCdf(k, n + 1, r.lower as number), 0.025, 1e-9, 'lower');
      close(1 - binomialCdf(k, n + 1, r.upper as number), 0.975, 1e-9, 'upper');
      assert.equal(r.statistic, 'binomial');
      assert.equal(r.ci_width, 0.95);
    }
    assert.equal(rows.length, 2 + 4);
  });

  it('compares no branches when every client has the same value (only the prior would differ)', () => {
    // 0 of 10 against 0 of 990: the posteriors' means are 1/12 and 1/992, so the draws would
    // publish a "significant" rise of several thousand percent from data without a single 1.
    for (const value of [0, 1]) {
      const input = binsInput({
        control: [{ y: value, count: 990 }],
        treatment: [{ y: value, count: 10 }],
      });
      const { rows, warnings } = computeStatistic(spec('binomial'), input, CTX);
      const treatment = find(rows, 'treatment');
      close(treatment.point, value === 0 ? 1 / 12 : 11 / 12, 1e-12, 'per-branch posterior mean kept');
      const comparisons = rows.filter((r) => r.comparison !== null);
      assert.equal(comparisons.length, 4);
      for (const r of comparisons) assert.deepEqual([r.point, r.lower, r.upper], [null, null, null]);
      assert.match(warnings.join('\n'), new RegExp(`every client of every branch has the value ${value}`));
    }
    // One branch with a 1 is data: the comparisons stay.
    const some = binsInput({
      control: [{ y: 0, count: 990 }],
      treatment: [
        { y: 0, count: 9 },
        { y: 1, count: 1 },
      ],
    });
    const out = computeStatistic(spec('binomial'), some, CTX);
    assert.ok(out.rows.filter((r) => r.comparison !== null).every((r) => r.point !== null));
  });

  it('non-binary values give no rows and a computation error, as jetstream raises', () => {
    const input = {
      metric: 'm',
      windowDays: 1,
      branches: [{ branch: 'control', bins: [{ y: 2, count: 3 }] }],
    };
    const out = computeStatistic(spec('binomial'), input, CTX);
    assert.equal(out.rows.length, 0);
    assert.match((out.computationErrors ?? []).join('\n'), /must be 0 or 1/);
    assert.doesNotMatch(out.warnings.join('\n'), /must be 0 or 1/);
  });
});

describe('count and sum', () => {
  it('count counts the clients with a value (jetstream reads WHERE metric IS NOT NULL), sum skips missing values', () => {
    const raw: RawRow[] = [];
    const r = rng(1, 'cs');
    const expected = { control: { n: 0, s: 0 }, treatment: { n: 0, s: 0 } };
    for (let i = 0; i < 5000; i++) {
      const branch = i % 3 === 0 ? 'treatment' : 'control';
      const y = i % 17 === 0 ? null : Math.round(r.uniform() * 1e6) / 1000;
      raw.push({ branch, y });
      if (y !== null) {
        expected[branch].n += 1;
        expected[branch].s += y;
      }
    }
    const input = toInput('m', raw);
    const count = computeStatistic(spec('count'), input, CTX).rows;
    const sum = computeStatistic(spec('sum'), input, CTX).rows;
    for (const b of ['control', 'treatment'] as const) {
      assert.equal(find(count, b).point, expected[b].n);
      close(find(sum, b).point, expected[b].s, 1e-12, 'sum');
    }
    assert.equal(count.length, 2);
    const identity = computeStatistic(spec('count'), { ...input, metric: 'identity' }, CTX).rows;
    assert.equal(identity[0]?.metric, 'identity');
  });

  it('count counts NaN and infinite values, which are not NULL in the warehouse', () => {
    const input = binsInput({
      control: [
        { y: null, count: 2 },
        { y: Number.NaN, count: 3 },
        { y: Number.NEGATIVE_INFINITY, count: 1 },
        { y: 1, count: 4 },
      ],
    });
    assert.deepEqual(
      computeStatistic(spec('count'), input, CTX).rows.map((r) => r.point),
      [8],
    );
  });

  it('sum of a branch whose every value is missing is 0, as jetstream writes it, and says so', () => {
    const input = binsInput({ control: [{ y: null, count: 200 }], treatment: [{ y: 2, count: 3 }] });
    const { rows, warnings } = computeStatistic(spec('sum'), input, CTX);
    assert.equal(find(rows, 'control').point, 0);
    assert.equal(find(rows, 'treatment').point, 6);
    assert.deepEqual(warnings, [
      "m/sum: every one of the 200 client(s) of branch 'control' has a missing value; its sum is 0 by convention, not from data",
    ]);
  });
});

/** OLS on raw rows by Gauss–Jordan inversion of X'X: an independent route to the answers. */
function ols(X: number[][], y: number[]) {
  const p = X[0]?.length ?? 0;
  const A = Array.from({ length: p }, (_, i) =>
    Array.from({ length: 2 * p }, (_, j) => (j === p + i ? 1 : 0)),
  );
  const Xty = new Array<number>(p).fill(0);
  X.forEach((row, r) => {
    for (let i = 0; i < p; i++) {
      Xty[i] = (Xty[i] as number) + (row[i] as number) * (y[r] as number);
      for (let j = 0; j < p; j++) {
        const Ai = A[i] as number[];
        Ai[j] = (Ai[j] as number) + (row[i] as number) * (row[j] as number);
      }
    }
  });
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    const d = A[c]![c]!;
    for (let j = 0; j < 2 * p; j++) A[c]![j]! /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r]![c]!;
      for (let j = 0; j < 2 * p; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  const inv = A.map((row) => row.slice(p));
  const beta = inv.map((row) => row.reduce((s: number, v, j) => s + v * (Xty[j] as number), 0));
  const rss = X.reduce(
    (s: number, row, r) => s + (y[r]! - row.reduce((t, v, j) => t + v * beta[j]!, 0)) ** 2,
    0,
  );
  const dof = X.length - p;
  const s2 = rss / dof;
  return { beta, cov: inv.map((row) => row.map((v) => v * s2)), dof };
}

/** Solves P(T_dof ≤ t) = p by bisection on @stdlib's t CDF (independent of t-quantile). */
function tInv(p: number, dof: number): number {
  let lo = 0;
  let hi = 50;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, dof) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
function zInv(p: number): number {
  let lo = 0;
  let hi = 20;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid, 0, 1) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

describe('linear_model_mean', () => {
  const branches = ['control', 'treatment', 'other'];
  const r = rng(2, 'lm');
  const raw: RawRow[] = [];
  for (let i = 0; i < 900; i++) {
    const branch = branches[i % 3] as string;
    const x = Math.floor(r.uniform() * 12);
    const y = Math.floor(
      2 + 0.8 * x + 4 * r.uniform() + (branch === 'treatment' ? 1 : 0) + (i % 97 === 0 ? 60 : 0),
    );
    raw.push({ branch, y, x: i % 50 === 0 ? null : x });
  }
  const input = toInput('m', raw);

  for (const adjust of [false, true]) {
    it(`intervals and coefficients match a raw-row OLS to 1e-9 (${adjust ? 'with' : 'without'} covariate)`, () => {
      const params = adjust ? { covariate_adjustment: { period: 'preenrollment_week' } } : {};
      const { rows } = computeStatistic(spec('linear_model_mean', params), input, CTX);
      // Independent pipeline on raw rows: pooled clip at the 0.995 quantile (ceil: integer data).
      const capY = Math.ceil(
        npQuantile(
          raw.map((q) => q.y as number),
          0.995,
        ),
      );
      const xs = raw.filter((q) => q.x !== null).map((q) => q.x as number);
      const capX = Math.ceil(npQuantile(xs, 0.995));
      const model = raw
        .filter((q) => !adjust || q.x !== null)
        .map((q) => ({
          branch: q.branch,
          y: Math.min(q.y as number, capY),
          x: Math.min((q.x ?? 0) as number, capX),
        }));
      for (const b of branches) {
        const ys = model.filter((q) => q.branch === b).map((q) => q.y);
        const n = ys.length;
        const m = ys.reduce((s, v) => s + v, 0) / n;
        const sd = Math.sqrt(ys.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1));
        const half = tInv(0.975, n - 1) * (sd / Math.sqrt(n));
        const row = find(rows, b);
        close(row.point, m, 1e-9, 'mean');
        close(row.lower, m - half, 1e-9, 'lower');
        close(row.upper, m + half, 1e-9, 'upper');
        assert.equal(row.statistic, 'mean_lm');
      }
      for (const ref of branches) {
        const others = branches.filter((b) => b !== ref);
        const X = model.map((q) => [
          1,
          ...others.map((o) => (q.branch === o ? 1 : 0)),
          ...(adjust ? [q.x] : []),
        ]);
        const fit = ols(
          X,
          model.map((q) => q.y),
        );
        const t = tInv(0.975, fit.dof);
        // Grid mean of the covariate: mean of its quantiles at 0, 0.0001, …, 0.9999.
        let xg = 0;
        if (adjust) {
          const mx = model.map((q) => q.x).sort((a, b) => a - b);
          for (let i = 0; i < 10_000; i++) {
            const pos = (mx.length - 1) * (i / 10_000);
            const k = Math.floor(pos);
            xg += mx[k]! + (mx[Math.min(k + 1, mx.length - 1)]! - mx[k]!) * (pos - k);
          }
          xg /= 10_000;
        }
        others.forEach((b, j) => {
          const k = j + 1;
          const d = find(rows, b, 'difference', ref);
          const se = Math.sqrt(fit.cov[k]![k]!);
          close(d.point, fit.beta[k]!, 1e-9, 'coef');
          close(d.lower, fit.beta[k]! - t * se, 1e-9, 'coef lower');
          close(d.upper, fit.beta[k]! + t * se, 1e-9, 'coef upper');
          const g0 = fit.beta[0]! + (adjust ? fit.beta[fit.beta.length - 1]! * xg : 0);
          const pb = g0 + fit.beta[k]!;
          const pr = g0;
          const grad = new Array<number>(fit.beta.length).fill(0);
          grad[0] = 1 / pb - 1 / pr;
          grad[k] = 1 / pb;
          if (adjust) grad[fit.beta.length - 1] = xg * (1 / pb - 1 / pr);
          const v = grad.reduce(
            (s, gi, i) => s + gi * grad.reduce((t2, gj, jj) => t2 + fit.cov[i]![jj]! * gj, 0),
            0,
          );
          const z = zInv(0.975);
          const rel = find(rows, b, 'relative_uplift', ref);
          close(rel.point, pb / pr - 1, 1e-9, 'rel');
          close(rel.lower, Math.exp(Math.log(pb / pr) - z * Math.sqrt(v)) - 1, 1e-9, 'rel lower');
          close(rel.upper, Math.exp(Math.log(pb / pr) + z * Math.sqrt(v)) - 1, 1e-9, 'rel upper');
        });
      }
      assert.equal(rows.length, 3 + 12);
    });
  }

  it('requiredInput asks for the covariate only outside pre-enrolment periods', () => {
    const s = {
      name: 'linear_model_mean',
      params: { covariate_adjustment: { period: 'preenrollment_days28' } },
    };
    assert.deepEqual(requiredInput(s), { kind: 'covariate', period: 'preenrollment_days28' });
    assert.deepEqual(requiredInput(s, 'week'), { kind: 'covariate', period: 'preenrollment_days28' });
    assert.deepEqual(requiredInput(s, 'preenrollment_week'), { kind: 'values' });
    assert.deepEqual(
      requiredInput({ name: 'population_ratio', params: { numerator: 'a', denominator: 'b' } }),
      {
        kind: 'ratio',
        numerator: 'a',
        denominator: 'b',
      },
    );
    assert.deepEqual(requiredInput({ name: 'deciles', params: {} }), { kind: 'values' });
  });

  it('says why each relative uplift it cannot compute is null, naming the branch whose mean breaks it', () => {
    // control's mean is 0, treatment's 1/3, other's −2: every ratio involving control or other
    // has no log.
    const mixed = binsInput({
      control: [
        { y: -1, count: 1 },
        { y: 0, count: 1 },
        { y: 1, count: 1 },
      ],
      treatment: [
        { y: -1, count: 1 },
        { y: 0, count: 1 },
        { y: 2, count: 1 },
      ],
      other: [
        { y: -3, count: 1 },
        { y: -1, count: 1 },
      ],
    });
    const { rows, warnings } = computeStatistic(spec('linear_model_mean', { drop_highest: 0 }), mixed, CTX);
    const text = warnings.join('\n');
    for (const [b, ref, why] of [
      ['treatment', 'control', "the mean of 'control' is 0"],
      ['other', 'control', "the mean of 'control' is 0"],
      [
        'control',
        'treatment',
        "the mean of 'control' is 0, and the interval is built on the log of the ratio",
      ],
      [
        'other',
        'treatment',
        "the means of 'other' (-2) and 'treatment' (0.3333333333333333) have opposite signs",
      ],
    ] as const) {
      assert.equal(find(rows, b, 'relative_uplift', ref).point, null, `${b} over ${ref}`);
      assert.ok(
        text.includes(`relative uplift of '${b}' over '${ref}' is undefined (${why}); written as null`),
        `${b} over ${ref}: ${text}`,
      );
    }
    // The differences need no ratio.
    close(find(rows, 'treatment', 'difference', 'control').point, 1 / 3, 1e-12);
  });

  it('falls back to unadjusted inferences when no client has a covariate value, instead of leaving everyone out', () => {
    const values = {
      control: [
        { y: 1, count: 1 },
        { y: 2, count: 1 },
        { y: 3, count: 1 },
      ],
      treatment: [
        { y: 2, count: 1 },
        { y: 4, count: 1 },
        { y: 5, count: 1 },
      ],
    };
    const withoutCovariate = Object.fromEntries(
      Object.entries(values).map(([b, bins]) => [b, bins.map((bin) => ({ ...bin, x: null }))]),
    );
    const adjusted = computeStatistic(
      spec('linear_model_mean', { covariate_adjustment: { period: 'preenrollment_week' } }),
      binsInput(withoutCovariate),
      CTX,
    );
    const plain = computeStatistic(spec('linear_model_mean'), binsInput(values), CTX);
    assert.deepEqual(adjusted.rows, plain.rows);
    assert.deepEqual(adjusted.warnings, [
      'm/linear_model_mean: no client has a value of the pre-period covariate; falling back to unadjusted inferences',
    ]);
  });

  it('writes no zero-width interval when no branch varies within itself (often only once clipped)', () => {
    // Mostly zeros: clipped at the median (drop_highest 0.5) every value is 0, and the model's
    // residual variance with it; the difference was published as 0 [0, 0].
    const clipped = binsInput({
      control: [
        { y: 0, count: 4 },
        { y: 5, count: 1 },
      ],
      treatment: [
        { y: 0, count: 4 },
        { y: 6, count: 1 },
      ],
    });
    const out = computeStatistic(spec('linear_model_mean', { drop_highest: 0.5 }), clipped, CTX);
    const diff = find(out.rows, 'treatment', 'difference', 'control');
    assert.deepEqual([diff.point, diff.lower, diff.upper], [0, null, null]);
    assert.ok(
      out.warnings.includes(
        "m/linear_model_mean: no branch varies within itself once clipped at 0 (the 0.5 quantile), so the comparisons' intervals would have zero width; they are null",
      ),
      out.warnings.join('\n'),
    );
    // Constant branches whose mean rounds (0.1 three times) are constant, not 1e-17 apart.
    const constant = binsInput({ control: [{ y: 0.1, count: 3 }], treatment: [{ y: 0.2, count: 3 }] });
    const rows = computeStatistic(spec('linear_model_mean'), constant, CTX).rows;
    for (const r of rows) {
      assert.ok(r.point !== null, `${r.branch} ${r.comparison}: a point`);
      assert.deepEqual([r.lower, r.upper], [null, null], `${r.branch} ${r.comparison}`);
    }
    close(find(rows, 'treatment', 'relative_uplift', 'control').point, 1, 1e-12);
  });

  it('per_client_dau_impact scales by the clients with a value, as jetstream counts the rows it is given', () => {
    const withMissing = binsInput({
      control: [
        { y: 1, count: 4 },
        { y: 2, count: 4 },
        { y: null, count: 10 },
      ],
      treatment: [
        { y: 2, count: 4 },
        { y: 4, count: 4 },
        { y: null, count: 10 },
      ],
    });
    const lm = computeStatistic(spec('linear_model_mean', { drop_highest: 0 }), withMissing, CTX).rows;
    const dau = computeStatistic(spec('per_client_dau_impact'), withMissing, CTX).rows;
    close(
      find(dau, 'treatment', 'difference', 'control').point,
      (find(lm, 'treatment', 'difference', 'control').point as number) * 16,
      1e-12,
      '16 clients with a value, not 36 enrolled',
    );
  });

  it('per_client_dau_impact scales differences by the number of clients and has no per-branch rows', () => {
    const lm = computeStatistic(spec('linear_model_mean', { drop_highest: 0 }), input, CTX).rows;
    const dau = computeStatistic(spec('per_client_dau_impact'), input, CTX).rows;
    assert.ok(dau.every((r) => r.comparison !== null && r.statistic === 'per_client_dau_impact'));
    const a = find(lm, 'treatment', 'difference', 'control');
    const b = find(dau, 'treatment', 'difference', 'control');
    close(b.point, (a.point as number) * raw.length, 1e-9, 'scaled');
    close(
      find(dau, 'treatment', 'relative_uplift', 'control').point,
      find(lm, 'treatment', 'relative_uplift', 'control').point as number,
      1e-12,
    );
  });
});

describe('empirical_cdf and kernel_density_estimate', () => {
  const r = rng(3, 'ecdf');
  const raw: RawRow[] = Array.from({ length: 700 }, (_, i) => ({
    branch: i % 2 ? 'control' : 'treatment',
    y: Math.floor(r.uniform() * 40) * 0.25,
  }));
  const input = toInput('m', raw);
  it('ECDF matches a brute-force count on a 256-point grid to 1e-9', () => {
    const { rows } = computeStatistic(spec('empirical_cdf'), input, CTX);
    for (const b of ['control', 'treatment']) {
      const ys = raw.filter((q) => q.branch === b).map((q) => q.y as number);
      const lo = Math.min(...ys);
      const hi = Math.max(...ys);
      const mine = rows.filter((q) => q.branch === b);
      assert.equal(mine.length, 256);
      mine.forEach((row, i) => {
        const x = i === 255 ? hi : lo + (i * (hi - lo)) / 255;
        assert.equal(row.parameter, String(Number(x.toFixed(6))));
        close(row.point, ys.filter((v) => v <= x).length / ys.length, 1e-9, 'F');
      });
    }
  });
  it('log_space adds the 0 point and KDE integrates to about 1', () => {
    const { rows } = computeStatistic(spec('empirical_cdf', { log_space: true }), input, CTX);
    const zero = rows.find((q) => q.branch === 'control' && q.parameter === '0');
    assert.ok(zero);
    const kde = computeStatistic(
      spec('kernel_density_estimate', { bandwidth: 0.5, grid_size: 2000 }),
      input,
      CTX,
    ).rows.filter((q) => q.branch === 'control');
    const xs = kde.map((q) => Number(q.parameter));
    let area = 0;
    for (let i = 1; i < xs.length; i++)
      area += (((kde[i]!.point as number) + (kde[i - 1]!.point as number)) / 2) * (xs[i]! - xs[i - 1]!);
    // The grid stops at the data's range, so a little mass beyond it is missing.
    assert.ok(area > 0.85 && area < 1.0001, `area ${area}`);
  });
});

describe('pre-treatments', () => {
  const input = binsInput(
    {
      control: [
        { y: null, count: 2 },
        { y: 1, count: 3 },
        { y: 8, count: 1 },
        { y: Number.POSITIVE_INFINITY, count: 1 },
      ],
      treatment: [
        { y: 2, count: 4 },
        { y: null, count: 1 },
      ],
    },
    4,
  );
  // The clients with a value each pre-treatment leaves (count counts values only).
  const sumOf = (pre: { name: string; args?: Record<string, unknown> }[]) =>
    computeStatistic(
      spec(
        'count',
        {},
        pre.map((p) => ({ args: {}, ...p })),
      ),
      input,
      CTX,
    ).rows.map((q) => q.point);
  it('filter and fill as jetstream does', () => {
    assert.deepEqual(sumOf([]), [5, 4]);
    assert.deepEqual(sumOf([{ name: 'remove_nulls' }]), [5, 4]);
    assert.deepEqual(sumOf([{ name: 'remove_indefinites' }]), [4, 4]);
    assert.deepEqual(sumOf([{ name: 'censor_values_above_threshold', args: { threshold: 8 } }]), [3, 4]);
    assert.deepEqual(sumOf([{ name: 'censor_values_below_threshold', args: { threshold: 1 } }]), [2, 4]);
    const s = computeStatistic(
      spec('sum', {}, [
        { name: 'zero_fill', args: {} },
        { name: 'remove_indefinites', args: {} },
        { name: 'normalize_over_analysis_period', args: {} },
      ]),
      input,
      CTX,
    ).rows;
    assert.deepEqual(
      s.map((q) => q.point),
      [11 / 4, 8 / 4],
    );
    const l = computeStatistic(
      spec('sum', {}, [
        { name: 'remove_indefinites', args: {} },
        { name: 'log', args: { base: 2 } },
      ]),
      input,
      CTX,
    ).rows;
    close(l[0]!.point, 3, 1e-12, 'log2');
  });
  it('take NaN for a missing value in remove_nulls and zero_fill, as pandas does', () => {
    const withNaN = binsInput({
      control: [
        { y: Number.NaN, count: 2 },
        { y: null, count: 1 },
        { y: 3, count: 3 },
      ],
    });
    const run = (name: string, pre: string[]) =>
      computeStatistic(
        spec(
          name,
          {},
          pre.map((n) => ({ name: n, args: {} })),
        ),
        withNaN,
        CTX,
      );
    assert.deepEqual(run('count', []).rows[0]?.point, 5);
    assert.deepEqual(run('count', ['remove_nulls']).rows[0]?.point, 3);
    assert.deepEqual(run('count', ['zero_fill']).rows[0]?.point, 5);
    assert.deepEqual(run('sum', ['zero_fill']).rows[0]?.point, 9);
    assert.deepEqual(run('sum', ['zero_fill']).warnings, []);
  });
  it('zero_fill leaves a missing (NULL) value out, as jetstream, whose input has none', () => {
    // jetstream reads the statistic's input WHERE metric IS NOT NULL: its zero_fill sees only
    // the clients with a value, so the mean is theirs, not one diluted by zeros.
    const input = binsInput({
      control: [
        { y: null, count: 6 },
        { y: 2, count: 2 },
        { y: 4, count: 2 },
      ],
      treatment: [
        { y: null, count: 2 },
        { y: 1, count: 4 },
      ],
    });
    const filled = computeStatistic(spec('count', {}, [{ name: 'zero_fill', args: {} }]), input, CTX);
    assert.deepEqual(
      filled.rows.map((q) => q.point),
      [4, 4],
    );
    const mean = computeStatistic(
      spec('bootstrap_mean', { num_samples: 200 }, [{ name: 'zero_fill', args: {} }]),
      input,
      CTX,
    );
    const point = mean.rows.find((q) => q.branch === 'control' && q.comparison === null)?.point;
    close(point ?? Number.NaN, 3, 0.2, 'mean of the clients with a value');
    assert.ok(
      mean.warnings.some((w) => w.includes("left out 6 client(s) of branch 'control' with a missing value")),
      JSON.stringify(mean.warnings),
    );
  });
  it('reject unknown names and arguments with the valid ones', () => {
    assert.throws(
      () => sumOf([{ name: 'remove_null' }]),
      /unknown pre-treatment 'remove_null'; valid pre-treatments: remove_nulls/,
    );
    assert.throws(
      () => sumOf([{ name: 'log', args: { bas: 2 } }]),
      /unknown parameter 'bas' for pre-treatment 'log'; valid parameters: base/,
    );
    assert.throws(() => sumOf([{ name: 'censor_values_above_threshold' }]), /invalid parameter 'threshold'/);
  });
});

describe('quantize', () => {
  it('rounds to significant digits within the stated bound', () => {
    assert.equal(quantize(123456), 123500);
    assert.equal(quantize(-0.000123456), -0.0001235);
    assert.equal(quantize(0), 0);
    assert.equal(quantize(9.99951), 10);
    const r = rng(4, 'q');
    for (let i = 0; i < 10_000; i++) {
      const v = (r.uniform() - 0.5) * 10 ** (r.uniform() * 20 - 10);
      assert.ok(
        Math.abs(quantize(v) - v) <=
          0.5 * 10 ** (1 - QUANTIZATION.significantDigits) * Math.abs(v) * (1 + 1e-12),
      );
    }
  });
});

describe('sampleRatioMismatch', () => {
  it('is Pearson chi-square against the configured ratios', () => {
    const r = sampleRatioMismatch({ control: 5100, treatment: 4900 }, { control: 1, treatment: 1 });
    close(r.chiSquare, (100 ** 2 / 5000) * 2, 1e-12);
    assert.equal(r.degreesOfFreedom, 1);
    close(r.pValue, 1 - chisquareCdf(4, 1), 1e-12);
    const three = sampleRatioMismatch({ a: 300, b: 300 }, { a: 25, b: 25, c: 50 });
    assert.equal(three.degreesOfFreedom, 2);
    close(three.chiSquare, (150 ** 2 / 150) * 2 + 300, 1e-12);
    assert.throws(
      () => sampleRatioMismatch({ x: 1 }, { a: 1, b: 1 }),
      /branch 'x' has enrolments but no ratio/,
    );
  });
});
