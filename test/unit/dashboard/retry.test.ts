import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FIRST_RETRY_MS, LONGEST_RETRY_MS, retryDelayMs } from '../../../src/dashboard/retry.js';

describe('how long the page waits before asking the server again', () => {
  test('soon at first, then twice as long each time, up to a ceiling', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 20].map(retryDelayMs),
      [2000, 4000, 8000, 16_000, 16_000, 16_000, 16_000],
    );
    assert.equal(retryDelayMs(0), FIRST_RETRY_MS);
    assert.equal(retryDelayMs(1000), LONGEST_RETRY_MS);
  });
});
