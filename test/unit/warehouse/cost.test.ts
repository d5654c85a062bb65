import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BILLED_MINIMUM_BYTES,
  billedBytes,
  billedText,
  describeCost,
  onDemandCostUsd,
} from '../../../src/warehouse/cost.js';

/**
 * What BigQuery's on-demand pricing bills for a query, from what a dry run reports: the bytes
 * rounded up to the MB (2^20 bytes), at least 10 MB for the query and for each table it
 * references. Dollars are of those bytes, not of the bytes scanned.
 */
const MiB = 2 ** 20;

describe("BigQuery's on-demand bill of a query", () => {
  test('is at least 10 MB (of 2^20 bytes) for the query, and 10 MB for each table it references', () => {
    assert.equal(BILLED_MINIMUM_BYTES, 10_485_760);
    assert.equal(billedBytes(1, 0), 10 * MiB, 'a query whose tables are not known: its own minimum');
    assert.equal(billedBytes(1, 1), 10 * MiB);
    assert.equal(billedBytes(2048, 3), 30 * MiB);
    // Ten million bytes is under 10 MB: BigQuery asks for "10485760 or higher" of such a query.
    assert.equal(billedBytes(10_000_000, 1), 10_485_760);
  });

  test('is the bytes rounded up to the MB above the minimums', () => {
    assert.equal(billedBytes(30 * MiB + 1, 2), 31 * MiB);
    assert.equal(billedBytes(30 * MiB, 2), 30 * MiB);
    assert.equal(billedBytes(3 * 2 ** 40, 1), 3 * 2 ** 40);
    // Over several tables only the total is known: the bill counted is the least it can be.
    assert.equal(billedBytes(25 * MiB, 3), 30 * MiB);
  });

  test('is nothing for a query that scans nothing (a count from table metadata)', () => {
    assert.equal(billedBytes(0, 2), 0);
  });

  test('refuses bytes or table counts no query has', () => {
    assert.throws(() => billedBytes(-1, 1), RangeError);
    assert.throws(() => billedBytes(Number.NaN, 1), RangeError);
    assert.throws(() => billedBytes(1, -1), RangeError);
    assert.throws(() => billedBytes(1, 1.5), RangeError);
  });

  test('costs its billed bytes at the price per TiB', () => {
    assert.equal(onDemandCostUsd(2 ** 40), 6.25);
    assert.equal(onDemandCostUsd(billedBytes(2048, 1)), (10 / 2 ** 20) * 6.25);
  });

  test('reads as bytes billed, with the bytes scanned beside them where the two differ', () => {
    assert.equal(billedText(3 * 2 ** 40, 3 * 2 ** 40 - 5), '3.00 TiB billed');
    assert.equal(billedText(20 * MiB, 1_536_000), '20.00 MiB billed (1.46 MiB scanned)');
    // An answer from BigQuery's cache: billed nothing, whatever it scanned.
    assert.equal(billedText(0, 50 * MiB), '0 B billed (50.00 MiB scanned)');
    assert.equal(
      describeCost(2048, billedBytes(2048, 1)),
      '10.00 MiB billed (2.00 KiB scanned), about $0.0001 at $6.25/TiB on demand',
    );
    assert.equal(describeCost(0, 0), '0 B billed, about $0.00 at $6.25/TiB on demand');
  });
});
