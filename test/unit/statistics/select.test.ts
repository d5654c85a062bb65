import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sortedQuantile } from '../../../src/statistics/histogram.js';
import { quantilesOf } from '../../../src/statistics/select.js';

test('quantilesOf equals sorting and interpolating, on random, tied and tiny inputs', () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const cases: Float64Array[] = [
    Float64Array.from({ length: 10_000 }, rand),
    Float64Array.from({ length: 997 }, () => Math.floor(rand() * 5)), // many ties
    Float64Array.from({ length: 500 }, (_, i) => i), // already sorted
    Float64Array.from({ length: 500 }, (_, i) => -i), // reversed
    Float64Array.of(3),
    Float64Array.of(2, 1),
  ];
  for (const values of cases) {
    const copy = Float64Array.from(values);
    const sorted = Float64Array.from(values).sort();
    const probs = [0, 0.025, 0.1, 0.5, 0.9, 0.975, 1];
    assert.deepEqual(
      quantilesOf(values, probs),
      probs.map((q) => sortedQuantile(sorted, q)),
    );
    assert.deepEqual(values, copy, 'input unchanged');
  }
  assert.ok(Number.isNaN(quantilesOf(new Float64Array(0), [0.5])[0]));
});
