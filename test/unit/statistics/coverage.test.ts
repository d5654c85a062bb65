import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeStatistic } from '../../../src/statistics/index.js';
import type { StatisticResultRow } from '../../../src/statistics/results.js';
import { binsInput, CTX, poisson, type RawRow, rng, toInput } from './helpers.js';

/**
 * Coverage over 1,000 simulated experiments with known truth (500 A/A + 500 A/B). The band
 * 93.5%–96.5% is about ±2.2 standard errors of a 95% rate over 1,000 trials. Runtime is kept
 * small: 200 clients per branch for binomial and the linear models (exact or near-exact
 * intervals); for bootstrap_mean 1,000 clients (its cost depends on distinct values, not
 * clients, and the percentile interval's small-sample undercoverage fades with n) and 2,000
 * bootstrap samples — enough for the 2.5%/97.5% quantiles (their Monte Carlo error is a few %
 * of the half-width, moving coverage by a fraction of a percent).
 */
const EXPERIMENTS = 1000;
const N = 200;

import type { StatisticSpec } from '../../../src/statistics/spec.js';

const spec = (name: string, params: StatisticSpec['params'] = {}): StatisticSpec => ({
  name,
  params,
  preTreatments: [],
});
const covers = (r: StatisticResultRow | undefined, truth: number) =>
  r !== undefined && r.lower !== null && r.upper !== null && r.lower <= truth && truth <= r.upper;
const get = (rows: StatisticResultRow[], branch: string, comparison: string | null) =>
  rows.find(
    (r) =>
      r.branch === branch &&
      r.comparison === comparison &&
      (comparison === null || r.comparison_to_branch === 'control'),
  );

function assertRate(name: string, hits: number) {
  const rate = hits / EXPERIMENTS;
  assert.ok(rate >= 0.935 && rate <= 0.965, `${name}: coverage ${rate}`);
}

describe('95% intervals cover the truth 93.5%–96.5% of the time', () => {
  it('bootstrap_mean (Poisson data)', () => {
    const r = rng(11, 'cov-bs');
    let branchHits = 0;
    let diffHits = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      const lift = e % 2 === 0 ? 0 : 0.5;
      const raw: RawRow[] = [];
      for (let i = 0; i < 5 * N; i++) raw.push({ branch: 'control', y: poisson(r, 3) });
      for (let i = 0; i < 5 * N; i++) raw.push({ branch: 'treatment', y: poisson(r, 3 + lift) });
      // drop_highest 0: the clip is a deliberate bias that would blur what is tested here.
      const { rows } = computeStatistic(
        spec('bootstrap_mean', { num_samples: 2000, drop_highest: 0 }),
        toInput('m', raw),
        { ...CTX, seed: e },
      );
      if (covers(get(rows, 'control', null), 3)) branchHits++;
      if (covers(get(rows, 'treatment', 'difference'), lift)) diffHits++;
    }
    assertRate('per-branch', branchHits);
    assertRate('difference', diffHits);
  });

  it('binomial (p = 0.3)', () => {
    const r = rng(12, 'cov-bin');
    let hits = 0;
    for (let e = 0; e < EXPERIMENTS; e++) {
      let k = 0;
      for (let i = 0; i < N; i++) if (r.uniform() < 0.3) k++;
      const input = binsInput({
        control: [
          { y: 1, count: k },
          { y: 0, count: N - k },
        ],
      });
      if (covers(computeStatistic(spec('binomial'), input, CTX).rows[0], 0.3)) hits++;
    }
    assertRate('binomial', hits);
  });

  for (const adjust of [false, true]) {
    it(`linear_model_mean ${adjust ? 'with' : 'without'} covariate (normal errors)`, () => {
      const r = rng(13, `cov-lm-${adjust}`);
      let branchHits = 0;
      let diffHits = 0;
      for (let e = 0; e < EXPERIMENTS; e++) {
        const lift = e % 2 === 0 ? 0 : 1;
        const raw: RawRow[] = [];
        for (const branch of ['control', 'treatment']) {
          for (let i = 0; i < N; i++) {
            const x = Math.round((5 + 2 * r.normal()) * 100) / 100;
            const y = 10 + 2 * (x - 5) + 3 * r.normal() + (branch === 'treatment' ? lift : 0);
            raw.push({ branch, y, x });
          }
        }
        const params = {
          drop_highest: 0,
          ...(adjust ? { covariate_adjustment: { period: 'preenrollment_week' } } : {}),
        };
        const { rows } = computeStatistic(spec('linear_model_mean', params), toInput('m', raw), CTX);
        if (covers(get(rows, 'control', null), 10)) branchHits++;
        if (covers(get(rows, 'treatment', 'difference'), lift)) diffHits++;
      }
      assertRate('per-branch', branchHits);
      assertRate('difference', diffHits);
    });
  }
});
