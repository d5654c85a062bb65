import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { computeStatistic } from '../../../src/statistics/index.js';
import { StatisticsPool, type StatisticTask } from '../../../src/statistics/pool.js';
import type { StatisticSpec } from '../../../src/statistics/spec.js';
import { binsInput, CTX, poisson, rng } from './helpers.js';

const r = rng(3, 'pool');
const bins = (shift: number) =>
  Array.from({ length: 300 }, (_, i) => ({ y: i * 0.5 + shift, x: 1 + (i % 4), count: 1 + poisson(r, 3) }));
const input = binsInput({ control: bins(0), 'treatment-a': bins(0.2), 'treatment-b': bins(-0.1) });

const spec = (name: string, params: StatisticSpec['params'] = {}): StatisticSpec => ({
  name,
  params,
  preTreatments: [],
});
// A sample count that is not a multiple of the chunk size, so the last chunk is short.
const tasks: StatisticTask[] = [
  spec('bootstrap_mean', { num_samples: 2_345 }),
  spec('population_ratio', { numerator: 'a', denominator: 'b', num_samples: 1_234 }),
  spec('binomial'),
  spec('linear_model_mean'),
].map((statistic) => ({ statistic, input, context: CTX }));

describe('StatisticsPool', () => {
  const pools = [1, 2, 3].map((threads) => new StatisticsPool(threads));
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('gives the same rows as computeStatistic, bit for bit, with 1, 2 or 3 threads', async () => {
    const expected = tasks.map((t) => computeStatistic(t.statistic, t.input, t.context));
    assert.ok(
      expected[0] && expected[0].rows.length === 3 + 2 * 6,
      'three branches, two comparisons per ordered pair',
    );
    for (const pool of pools) {
      assert.deepEqual(await pool.computeAll(tasks), expected, `${pool.threads} thread(s)`);
    }
  });

  it('a cancelled computation stops: no further statistic starts, and it throws the reason', async () => {
    const [pool] = pools;
    const abort = new AbortController();
    const reason = new Error('cancelled by the test');
    // Many long bootstraps on one thread: done in turn, they would take far longer than the test waits.
    const long = Array.from({ length: 40 }, () => ({
      statistic: spec('bootstrap_mean', { num_samples: 20_000 }),
      input,
      context: CTX,
    }));
    const started = Date.now();
    const computing = (pool as StatisticsPool).computeEach(long, abort.signal);
    setTimeout(() => abort.abort(reason), 50);
    await assert.rejects(computing, (error) => error === reason);
    assert.ok(Date.now() - started < 5_000, `stopped after ${Date.now() - started} ms`);
    // The pool still computes afterwards.
    assert.equal((await (pool as StatisticsPool).computeAll(tasks.slice(2))).length, 2);
  });

  it("tells a statistic's own error from the pool's: a task no thread can be sent is not the statistic's fault", async () => {
    const [pool] = pools;
    // Not structured-cloneable: the pool fails it before any thread sees it, as it fails a
    // statistic whose thread crashed or ran out of memory.
    const unsendable = {
      ...input,
      branches: [{ branch: 'control', bins: [{ y: Symbol('y') as unknown as number, count: 1 }] }],
    };
    const [bad, unsent, fine] = await (pool as StatisticsPool).computeEach([
      { statistic: spec('bootstrap'), input, context: CTX },
      { statistic: spec('binomial'), input: unsendable, context: CTX },
      { statistic: spec('binomial'), input, context: CTX },
    ]);
    assert.ok(bad && !bad.ok && bad.byStatistic, JSON.stringify(bad));
    assert.match(bad.error.message, /unknown statistic 'bootstrap'/);
    assert.ok(unsent && !unsent.ok && !unsent.byStatistic, JSON.stringify(unsent));
    assert.ok(fine?.ok);
  });

  it('reports a bad statistic with its message', async () => {
    const [pool] = pools;
    await assert.rejects(
      () => (pool as StatisticsPool).compute({ statistic: spec('bootstrap'), input, context: CTX }),
      /unknown statistic 'bootstrap'/,
    );
  });
});
