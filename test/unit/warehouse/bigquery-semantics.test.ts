import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { translateBigQueryToDuckDb } from '../../../src/sql/render/duckdb.js';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';

// BigQuery config SQL translated for DuckDB and run there; each expected value is what BigQuery's
// reference documents for the same expression (its conversion rules, operators, functions).
describe('BigQuery config SQL gives BigQuery answers on DuckDB', () => {
  let wh: DuckDbWarehouse;
  before(async () => {
    wh = await openDuckDbWarehouse({ path: ':memory:' });
  });
  after(async () => {
    await wh.close();
  });
  const one = async (bigquery: string) => {
    const rows = await wh.query(`SELECT ${translateBigQueryToDuckDb(bigquery)} AS v`);
    const v = Object.values(rows[0] ?? {})[0];
    return typeof v === 'bigint' ? Number(v) : v;
  };
  const values = async (bigquery: string, inputs: string[]) => {
    const rows = await wh.query(
      `SELECT ${translateBigQueryToDuckDb(bigquery)} AS v FROM (VALUES ${inputs.map((s, i) => `(${i}, '${s}')`).join(', ')}) t(i, s) ORDER BY i`,
    );
    return rows.map((r) => (typeof r.v === 'bigint' ? Number(r.v) : r.v));
  };

  test('LIKE: a backslash makes the next %, _ or backslash literal', async () => {
    assert.equal(await one("'MOZ_CRASH(x)' LIKE r'MOZ\\_CRASH%'"), true);
    assert.equal(await one("'MOZxCRASH(x)' LIKE r'MOZ\\_CRASH%'"), false);
    assert.equal(await one("'50%' LIKE '50\\\\%'"), true);
    assert.equal(await one("'500' LIKE '50\\\\%'"), false);
    assert.equal(await one("'a\\\\c' LIKE 'a\\\\\\\\c'"), true);
    assert.equal(await one("NOT 'MOZ_CRASH' LIKE r'MOZ\\_CRASH%' AND TRUE"), false);
    assert.equal(await one("'MOZ_CRASH' NOT LIKE r'MOZ\\_CRASH%'"), false);
    assert.equal(await one("'a_b' LIKE CONCAT('a', r'\\_', 'b')"), true);
    assert.equal(await one("'axb' LIKE CONCAT('a', r'\\_', 'b')"), false);
  });
});
