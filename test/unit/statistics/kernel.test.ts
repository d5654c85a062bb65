import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DirichletProblem,
  dirichletChunk,
  dirichletReplicates,
} from '../../../src/statistics/dirichlet.js';
import { RandomStream } from '../../../src/statistics/random.js';
import { quantilesOf } from '../../../src/statistics/select.js';
import { previousReplicates } from './previous-kernel.js';

/**
 * A skewed histogram like a real metric's: many values seen by one client (gamma shape 1, where
 * the quick-acceptance bound is loosest), a few seen by thousands.
 */
function skewed(distinct: number): DirichletProblem {
  const r = RandomStream.of(5, 'kernel-test');
  const counts = Float64Array.from({ length: distinct }, (_, i) =>
    i % 3 === 0 ? 1 : Math.max(1, Math.round(3000 * Math.exp(-i / 20) * (0.5 + r.uniform()))),
  );
  return { y: Float64Array.from(counts, (_, i) => i * 0.7 + r.uniform()), x: null, counts };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};

describe('Dirichlet kernel', () => {
  it('gives the same numbers as drawing each weight with RandomStream.gammaDC', () => {
    // The hot loop inlines the sampler's common case; every other case goes through
    // gammaFrom. Both must consume the same words and accept the same proposals.
    const problem = skewed(300);
    const a = RandomStream.of(4, 'inline');
    const b = RandomStream.of(4, 'inline');
    const out = new Float64Array(200);
    dirichletChunk(problem, a, out, 0, out.length);
    for (let s = 0; s < out.length; s++) {
      let acc = 0;
      let total = 0;
      for (let i = 0; i < problem.counts.length; i++) {
        const d = (problem.counts[i] as number) - 1 / 3;
        const g = b.gammaDC(d, 1 / Math.sqrt(9 * d));
        acc += g * (problem.y[i] as number);
        total += g;
      }
      assert.equal(out[s], acc / total, `sample ${s}`);
    }
    assert.deepEqual(a.state, b.state);
  });

  /** A small sample: every value seen by one to three clients (gamma shapes 1 to 3). */
  const small: DirichletProblem = {
    y: Float64Array.from({ length: 80 }, (_, i) => (i * 7919) % 101),
    x: null,
    counts: Float64Array.from({ length: 80 }, (_, i) => 1 + (i % 3)),
  };
  for (const [label, problem] of [
    ['a skewed histogram', skewed(120)],
    ['a small sample', small],
  ] as const) {
    it(`draws the same distribution as the previous kernel (${label}; fixed seeds, within Monte Carlo error)`, () => {
      // Per seed, 400 replicates from each kernel → their mean and 2.5%/97.5% quantiles (the
      // interval bootstrap_mean reports). Over 300 seeds, each summary agrees in mean (|z| < 4)
      // and in spread across seeds (variance ratio within what 300 draws allow).
      const SEEDS = 300;
      const SAMPLES = 400;
      const now = { point: [] as number[], lower: [] as number[], upper: [] as number[] };
      const before = { point: [] as number[], lower: [] as number[], upper: [] as number[] };
      for (let seed = 0; seed < SEEDS; seed++) {
        for (const [into, draw] of [
          [now, dirichletReplicates],
          [before, previousReplicates],
        ] as const) {
          const reps = draw(problem, RandomStream.of(seed, 'kernel-compare'), SAMPLES);
          const [lower, upper] = quantilesOf(reps, [0.025, 0.975]);
          into.point.push(reps.reduce((a, b) => a + b) / SAMPLES);
          into.lower.push(lower as number);
          into.upper.push(upper as number);
        }
      }
      for (const k of ['point', 'lower', 'upper'] as const) {
        const z =
          (mean(now[k]) - mean(before[k])) /
          Math.sqrt(variance(now[k]) / SEEDS + variance(before[k]) / SEEDS);
        assert.ok(Math.abs(z) < 4, `${k}: z = ${z}`);
        const ratio = variance(now[k]) / variance(before[k]);
        assert.ok(ratio > 0.6 && ratio < 1.67, `${k}: variance ratio ${ratio}`);
      }
      // The interval itself: the two kernels' average widths agree to Monte Carlo error.
      const width = (s: typeof now) => mean(s.upper) - mean(s.lower);
      assert.ok(Math.abs(width(now) / width(before) - 1) < 0.03, `widths ${width(now)} vs ${width(before)}`);
    });
  }
});
