import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeStatistic } from '../../../src/statistics/index.js';
import { CTX, npQuantile, poisson, rng } from './helpers.js';

/**
 * The Dirichlet bootstrap over a histogram is the same estimator as over raw rows. The raw-row
 * version here is written independently: Exp(1) weights per row (Dirichlet(1, …, 1)),
 * replicate = Σ w·y / Σ w. Over 200 repetitions each, the mean point, lower and upper bounds of
 * the two agree within Monte Carlo error (|z| < 4).
 */
describe('histogram input and raw-row input', () => {
  it('give the same distribution of bootstrap_mean results', () => {
    const r = rng(21, 'equiv');
    const ys = Array.from({ length: 300 }, () => poisson(r, 4));
    const bins = new Map<number, number>();
    for (const y of ys) bins.set(y, (bins.get(y) ?? 0) + 1);
    const input = {
      metric: 'm',
      windowDays: 1,
      branches: [{ branch: 'control', bins: [...bins].map(([y, count]) => ({ y, count })) }],
    };
    const REPS = 200;
    const SAMPLES = 400;
    const hist = { point: [] as number[], lower: [] as number[], upper: [] as number[] };
    const rawr = { point: [] as number[], lower: [] as number[], upper: [] as number[] };
    const rawRng = rng(22, 'raw');
    for (let rep = 0; rep < REPS; rep++) {
      const row = computeStatistic(
        { name: 'bootstrap_mean', params: { num_samples: SAMPLES, drop_highest: 0 }, preTreatments: [] },
        input,
        { ...CTX, seed: rep },
      ).rows[0];
      hist.point.push(row?.point as number);
      hist.lower.push(row?.lower as number);
      hist.upper.push(row?.upper as number);
      const reps: number[] = [];
      for (let s = 0; s < SAMPLES; s++) {
        let num = 0;
        let den = 0;
        for (const y of ys) {
          const w = -Math.log(rawRng.uniform32());
          num += w * y;
          den += w;
        }
        reps.push(num / den);
      }
      rawr.point.push(reps.reduce((a, b) => a + b) / SAMPLES);
      rawr.lower.push(npQuantile(reps, 0.025));
      rawr.upper.push(npQuantile(reps, 0.975));
    }
    for (const k of ['point', 'lower', 'upper'] as const) {
      const m = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
      const v = (xs: number[]) => xs.reduce((a, b) => a + (b - m(xs)) ** 2, 0) / (xs.length - 1);
      const z = (m(hist[k]) - m(rawr[k])) / Math.sqrt(v(hist[k]) / REPS + v(rawr[k]) / REPS);
      assert.ok(Math.abs(z) < 4, `${k}: z = ${z}`);
      // And the spread across repetitions (Monte Carlo noise) is alike too.
      const ratio = v(hist[k]) / v(rawr[k]);
      assert.ok(ratio > 0.6 && ratio < 1.67, `${k}: variance ratio ${ratio}`);
    }
  });
});
