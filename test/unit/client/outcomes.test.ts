import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../../src/client/errors.js';
import { inputDifferences, outcomeOf } from '../../../src/client/outcomes.js';
import { printOutcome } from '../../../src/client/workflow-command.js';

describe('inputDifferences', () => {
  it('names the fields that change results, with both values', () => {
    assert.deepEqual(
      inputDifferences('preview', { slug: 'x', sampleSize: 5 }, { slug: 'x', sampleSize: 50 }),
      ['sampleSize: 5 there, 50 here'],
    );
  });

  it('an input that spells out the defaults equals one that leaves them out', () => {
    assert.deepEqual(
      inputDifferences(
        'preview',
        { slug: 'x' },
        { slug: 'x', sampleSize: 1, periods: ['day', 'week'], dataset: 'tmp', numDays: 3, lenient: false },
      ),
      [],
    );
  });

  it('how fast a backfill runs and the order of its experiments do not change its results', () => {
    const base = { startDate: '2026-03-09', endDate: '2026-03-15' };
    assert.deepEqual(
      inputDifferences(
        'backfill',
        { ...base, slugs: ['a', 'b'], concurrency: 3 },
        { ...base, slugs: ['b', 'a'], concurrency: 8, continueAsNewAfter: 10 },
      ),
      [],
    );
    assert.deepEqual(
      inputDifferences('backfill', { ...base, slugs: ['a'] }, { ...base, slugs: ['a'], periods: ['week'] }),
      ['periods: null there, ["week"] here'],
    );
  });
});

describe('outcomes', () => {
  const daily = (failed: number) => ({
    date: '2026-03-15',
    analyzed: [{ slug: 'ok', status: 'analyzed', statisticsTables: 2, toolVersion: '0.1.0+dev' }],
    reran: [],
    waited: [],
    failed: Array.from({ length: failed }, (_, i) => ({
      slug: `bad-${i}`,
      errorType: 'ConfigError',
      message: 'm',
    })),
  });

  it('counts failed units of work and puts the summary first', () => {
    const outcome = outcomeOf('dailyAnalysis', daily(1));
    assert.equal(outcome.failed, 1);
    assert.equal(outcome.report.split('\n')[0], 'daily analysis 2026-03-15: 1 analysed, 1 failed');
  });

  it('a result with failures fails the command with its summary line (exit 1)', () => {
    const write = process.stdout.write;
    process.stdout.write = ((chunk: unknown) =>
      typeof chunk !== 'string' && write.call(process.stdout, chunk as string)) as typeof write;
    try {
      assert.throws(
        () => printOutcome('dailyAnalysis', daily(2), false),
        (error: unknown) =>
          error instanceof CliError &&
          error.exitCode === 1 &&
          error.message === 'daily analysis 2026-03-15: 1 analysed, 2 failed',
      );
      assert.doesNotThrow(() => printOutcome('dailyAnalysis', daily(0), false));
    } finally {
      process.stdout.write = write;
    }
  });
});
