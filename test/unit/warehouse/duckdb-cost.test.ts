import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { plannedScans, segmentBytes } from '../../../src/warehouse/duckdb-cost.js';

describe('DuckDB cost estimate (column sizes)', () => {
  let wh: DuckDbWarehouse;
  const ROWS = 1000;
  before(async () => {
    wh = await openDuckDbWarehouse({ path: ':memory:' });
    // client_id: 10 characters each; n: BIGINT; d: DATE; flag: BOOLEAN.
    await wh.execute(`CREATE SCHEMA src;
      CREATE TABLE src.t AS SELECT printf('%010d', range) AS client_id, range::BIGINT AS n,
        DATE '2026-01-01' + CAST(range % 10 AS INTEGER) AS d, range % 2 = 0 AS flag FROM range(${ROWS});
      CREATE TABLE src.u AS SELECT printf('%010d', range) AS client_id, 1.5::DOUBLE AS x FROM range(${ROWS})`);
  });
  after(async () => {
    await wh.close();
  });

  test('counts the columns a query reads at the width BigQuery bills them', async () => {
    assert.deepEqual(await wh.dryRun('SELECT sum(n) FROM src.t'), {
      bytesProcessed: ROWS * 8,
      method: 'column_sizes',
      referencedTables: ['memory.src.t'],
    });
    assert.equal((await wh.dryRun('SELECT client_id FROM src.t')).bytesProcessed, ROWS * (2 + 10));
    assert.equal((await wh.dryRun('SELECT count(*) FROM src.t WHERE flag')).bytesProcessed, ROWS * 1);
  });

  test('a column read only by a pushed-down filter counts too, and literals in the filter do not', async () => {
    const bytes = (await wh.dryRun(`SELECT sum(n) FROM src.t WHERE d > DATE '2026-01-05'`)).bytesProcessed;
    assert.equal(bytes, ROWS * 8 + ROWS * 8);
  });

  test('every table scan of a join counts; a count(*) reads no column', async () => {
    const joined = await wh.dryRun('SELECT t.n, u.x FROM src.t JOIN src.u USING (client_id)');
    assert.equal(joined.bytesProcessed, ROWS * (8 + 12) + ROWS * (8 + 12));
    // Each table once, for BigQuery's 10 MB minimum per table referenced (billedBytes).
    assert.deepEqual(joined.referencedTables, ['memory.src.t', 'memory.src.u']);
    assert.equal((await wh.dryRun('SELECT count(*) FROM src.t')).bytesProcessed, 0);
  });

  test('binding fails as the query would', async () => {
    await assert.rejects(wh.dryRun('SELECT nope FROM src.t'), /nope/);
  });

  test('plannedScans reads table scans, projections and filters out of a JSON plan', () => {
    const plan = JSON.stringify([
      {
        name: 'HASH_JOIN',
        children: [
          { name: 'SEQ_SCAN', children: [], extra_info: { Table: 'a.b.c', Projections: ['x', 'y'] } },
          {
            name: 'SEQ_SCAN',
            children: [],
            extra_info: { Table: 'd', Projections: 'z', Filters: "w>'2026-01-01'::DATE AND v IS NOT NULL" },
          },
        ],
        extra_info: {},
      },
    ]);
    assert.deepEqual(plannedScans(plan), [
      { table: 'a.b.c', columns: ['x', 'y'] },
      { table: 'd', columns: ['z', 'w', 'v'] },
    ]);
  });

  test("segmentBytes: strings at 2 bytes plus the segment's longest value; validity is free", () => {
    assert.equal(
      segmentBytes('VARCHAR', 10, '[Min: a, Max: b, Has Unicode: false, Max String Length: 36]'),
      380,
    );
    assert.equal(segmentBytes('BIGINT', 10, ''), 80);
    assert.equal(segmentBytes('BOOLEAN', 10, ''), 10);
    assert.equal(segmentBytes('VALIDITY', 10, ''), 0);
  });
});
