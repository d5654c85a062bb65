import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import betaCdf from '@stdlib/stats-base-dists-beta-cdf';
import gammaCdf from '@stdlib/stats-base-dists-gamma-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { CHUNK_SAMPLES, dirichletChunk, dirichletReplicates } from '../../../src/statistics/dirichlet.js';
import { RandomStream } from '../../../src/statistics/random.js';

const N = 5_000;

/**
 * The two-sided Kolmogorov–Smirnov p-value of `xs` against `cdf`: the statistic D exactly, its
 * p-value from Kolmogorov's limiting distribution with Stephens' small-sample correction. On
 * these samples (5,000 and 20,000 draws) it agrees with @stdlib's kstest, whose exact
 * Marsaglia–Tsang–Wang p-value multiplies matrices of a few hundred rows for each sample and
 * took a second or more each, to within 0.3 %.
 */
function ksP(xs: Float64Array, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(xs).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i] as number);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const lambda = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  // Below 0.3 the p-value is 1 to five places, and the alternating series converges slowly.
  if (lambda < 0.3) return 1;
  let p = 0;
  for (let j = 1; j <= 100; j++) {
    const term = 2 * (j % 2 === 1 ? 1 : -1) * Math.exp(-2 * j * j * lambda * lambda);
    p += term;
    if (Math.abs(term) < 1e-16) break;
  }
  return Math.min(1, Math.max(0, p));
}

describe('RandomStream', () => {
  it('steps exactly like pure-rand xoroshiro128+', () => {
    const s = RandomStream.of(123, 'a');
    const lib = xoroshiro128plusFromState(Array.from(s.state));
    for (let i = 0; i < 1000; i++) assert.equal(s.next(), lib.next());
  });

  it('is reproducible and label-sensitive', () => {
    const a = RandomStream.of(5, 'x', 'y');
    const b = RandomStream.of(5, 'x', 'y');
    const c = RandomStream.of(5, 'x', 'z');
    const d = RandomStream.of(6, 'x', 'y');
    const va = Array.from({ length: 8 }, () => a.next());
    assert.deepEqual(
      va,
      Array.from({ length: 8 }, () => b.next()),
    );
    assert.notDeepEqual(
      va,
      Array.from({ length: 8 }, () => c.next()),
    );
    assert.notDeepEqual(
      va,
      Array.from({ length: 8 }, () => d.next()),
    );
    assert.throws(() => RandomStream.of(-1), /seed must be a non-negative integer/);
    assert.throws(() => RandomStream.of(1.5), /seed must be a non-negative integer/);
  });

  it('normal matches the standard normal (KS over 5 streams, moments)', () => {
    // Under a correct sampler the p-values are uniform: demand none tiny and at most one < 1%.
    const ps: number[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const s = RandomStream.of(seed, 'normal-ks');
      const xs = new Float64Array(20_000).map(() => s.normal());
      ps.push(ksP(xs, (x) => normalCdf(x, 0, 1)));
      const m = xs.reduce((a, b) => a + b) / xs.length;
      const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
      assert.ok(Math.abs(m) < 4 / Math.sqrt(xs.length), `mean ${m}`);
      assert.ok(Math.abs(v - 1) < 4 * Math.sqrt(2 / xs.length), `variance ${v}`);
    }
    assert.ok(Math.min(...ps) > 1e-4 && ps.filter((p) => p < 0.01).length <= 1, `KS p-values ${ps}`);
  });

  for (const shape of [0.3, 1, 2.5, 40, 5000]) {
    it(`gamma(${shape}) matches @stdlib's gamma CDF (KS, mean)`, () => {
      const s = RandomStream.of(2, 'gamma', String(shape));
      const xs = new Float64Array(N).map(() => s.gamma(shape));
      assert.ok(ksP(xs, (x) => gammaCdf(x, shape, 1)) > 0.001);
      const m = xs.reduce((a, b) => a + b) / N;
      assert.ok(Math.abs(m - shape) < 5 * Math.sqrt(shape / N), `mean ${m}`);
    });
  }
});

describe('Dirichlet kernel', () => {
  it('two bins give Beta(a, b) replicates (KS against @stdlib beta CDF)', () => {
    for (const [a, b] of [
      [1, 1],
      [3, 7],
      [200, 50],
    ] as const) {
      const problem = { y: Float64Array.of(1, 0), x: null, counts: Float64Array.of(a, b) };
      const out = dirichletReplicates(problem, RandomStream.of(3, 'dir', `${a}`), N);
      assert.ok(ksP(out, (x) => betaCdf(x, a, b)) > 0.001, `Beta(${a}, ${b})`);
    }
  });

  it('chunks use independent jumped streams, so any split of chunks gives the same result', () => {
    const problem = {
      y: Float64Array.of(1, 2, 5, 9),
      x: null,
      counts: Float64Array.of(3, 1, 4, 2),
    };
    const base = RandomStream.of(9, 'chunks');
    const all = dirichletReplicates(problem, base, 3 * CHUNK_SAMPLES + 17);
    // Chunk 2 alone, computed on its own as another thread would.
    const part = new Float64Array(all.length);
    dirichletChunk(problem, base.jumped(2), part, 2 * CHUNK_SAMPLES, 3 * CHUNK_SAMPLES);
    assert.deepEqual(
      part.subarray(2 * CHUNK_SAMPLES, 3 * CHUNK_SAMPLES),
      all.subarray(2 * CHUNK_SAMPLES, 3 * CHUNK_SAMPLES),
    );
    // And the whole is reproducible bit for bit.
    assert.deepEqual(dirichletReplicates(problem, RandomStream.of(9, 'chunks'), all.length), all);
  });

  it('a ratio replicate is Σw·y / Σw·x', () => {
    // With y = x the ratio is exactly 1 whatever the weights.
    const problem = { y: Float64Array.of(2, 3), x: Float64Array.of(2, 3), counts: Float64Array.of(5, 5) };
    const out = dirichletReplicates(problem, RandomStream.of(1, 'r'), 100);
    for (const v of out) assert.ok(Math.abs(v - 1) < 1e-12);
  });
});
