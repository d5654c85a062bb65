import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { translateBigQueryToDuckDb } from '../../../src/sql/render/duckdb.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';

/**
 * BigQuery functions the DuckDB renderer rewrites give BigQuery's values when DuckDB runs them:
 * mozfun UDFs written inline (mozfun's own assertions and edges) and JSON_VALUE.
 */
let warehouse: Warehouse;

before(async () => {
  warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
});

after(async () => {
  await warehouse.close();
});

async function evaluate(bigquery: string): Promise<unknown> {
  const rows = await warehouse.query<{ v: unknown }>(`SELECT ${translateBigQueryToDuckDb(bigquery)} AS v`);
  return rows[0]?.v;
}

describe('mozfun.bits28.days_since_seen on DuckDB', () => {
  // The index of the lowest set bit (days since the client was last seen), NULL when never seen.
  const cases: [string, number | null][] = [
    ['0', null],
    ['1', 0],
    ['8', 3],
    ['8 + 1', 0],
    ['CAST(1 AS INT64) << 27', 27],
    ['-8', 3],
    ['(-9223372036854775807 - 1)', null],
  ];
  for (const [argument, expected] of cases) {
    it(`days_since_seen(${argument}) = ${expected}`, async () => {
      const value = await evaluate(`mozfun.bits28.days_since_seen(${argument})`);
      assert.equal(value === null ? null : Number(value), expected);
    });
  }

  it('translates its argument and works inside aggregates over a column', async () => {
    const sql = translateBigQueryToDuckDb(
      'COALESCE(MIN(mozfun.bits28.days_since_seen(SAFE_CAST(bits AS INT64))), 30) < 3',
    );
    assert.doesNotMatch(sql, /mozfun|SAFE_CAST/);
    const rows = await warehouse.query<{ client: string; v: boolean }>(
      `SELECT client, ${sql} AS v FROM (VALUES ('a', 12), ('a', 0), ('b', 8), ('c', 0)) t(client, bits) GROUP BY client ORDER BY client`,
    );
    assert.deepEqual(
      rows.map((r) => [r.client, r.v]),
      [
        ['a', true],
        ['b', false],
        ['c', false],
      ],
    );
  });

  it('leaves other mozfun functions and look-alikes inside strings alone', () => {
    assert.equal(
      translateBigQueryToDuckDb("mozfun.map.get_key(m, 'k') || 'mozfun.bits28.days_since_seen(x)'"),
      "mozfun.map.get_key(m, 'k') || 'mozfun.bits28.days_since_seen(x)'",
    );
  });
});

describe('JSON_VALUE on DuckDB', () => {
  it('JSON_VALUE gives the unquoted scalar, as in BigQuery', async () => {
    assert.equal(await evaluate(`JSON_VALUE(JSON '{"a": {"b": "x"}}', '$.a.b')`), 'x');
    assert.equal(await evaluate(`JSON_VALUE('"y"')`), 'y');
    assert.equal(await evaluate(`JSON_VALUE('{"a": 1}', '$.missing')`), null);
  });
});

describe('ARRAY_AGG(x IGNORE NULLS) on DuckDB', () => {
  async function aggregate(bigquery: string): Promise<unknown[]> {
    const rows = await warehouse.query<{ g: string; v: unknown }>(
      `SELECT g, ${translateBigQueryToDuckDb(bigquery)} AS v
       FROM (VALUES ('a', 1, 'x', 2), ('a', NULL, NULL, 1), ('a', 3, 'y', 0), ('b', NULL, NULL, 0)) t(g, n, s, o)
       GROUP BY g ORDER BY g`,
    );
    return rows.map((r) => r.v);
  }

  it('drops NULLs and gives NULL when none is left, as BigQuery does', async () => {
    assert.deepEqual(await aggregate('ARRAY_AGG(n IGNORE NULLS)'), [[1, 3], null]);
  });

  it('keeps ORDER BY, translates the argument, and filters on the same expression', async () => {
    assert.deepEqual(await aggregate('ARRAY_AGG(IF(n > 1, s, NULL) IGNORE NULLS ORDER BY o)'), [['y'], null]);
    assert.deepEqual(await aggregate('ARRAY_LENGTH(ARRAY_AGG(IF(s = "x", NULL, n) IGNORE NULLS))'), [
      1,
      null,
    ]);
    assert.deepEqual(await aggregate('ARRAY_AGG(mozfun.hist.extract(CAST(n AS STRING)).sum IGNORE NULLS)'), [
      [1, 3],
      null,
    ]);
  });

  it('leaves ARRAY_AGG without IGNORE NULLS as written', () => {
    assert.equal(translateBigQueryToDuckDb('ARRAY_AGG(x ORDER BY y)'), 'ARRAY_AGG(x ORDER BY y)');
  });
});

describe('FROM UNNEST(array of structs) without an alias on DuckDB', () => {
  it("reads the structs' fields by their bare names, as BigQuery does", async () => {
    const histogram = `'{"bucket_count":3,"histogram_type":4,"sum":1,"range":[1,2],"values":{"0":1,"1":4,"5":2}}'`;
    assert.equal(
      Number(await evaluate(`(SELECT SUM(value) FROM UNNEST(mozfun.hist.extract(${histogram}).values))`)),
      7,
    );
    assert.equal(
      Number(
        await evaluate(
          `(SELECT SUM(value) FROM UNNEST(mozfun.hist.extract(${histogram}).values) WHERE key >= 1)`,
        ),
      ),
      6,
    );
    // The add-on count real configs compute: non-system add-ons, over a correlated array column.
    const rows = await warehouse.query<{ v: unknown }>(
      `SELECT ${translateBigQueryToDuckDb(
        '(SELECT ARRAY_LENGTH(ARRAY_AGG(IF(NOT is_system, addon_id, NULL) IGNORE NULLS)) FROM UNNEST(active_addons))',
      )} AS v FROM (VALUES ([{'addon_id': 'a', 'is_system': false}, {'addon_id': 'b', 'is_system': true}, {'addon_id': 'c', 'is_system': false}])) t(active_addons)`,
    );
    assert.deepEqual(
      rows.map((r) => Number(r.v)),
      [2],
    );
  });

  it('leaves an aliased UNNEST, WITH OFFSET and a joined UNNEST as written', () => {
    for (const sql of [
      'SELECT x FROM UNNEST(arr) AS x',
      'SELECT x FROM UNNEST(arr) x',
      'SELECT o FROM UNNEST(arr) WITH OFFSET o',
      'SELECT 1 FROM t, UNNEST(arr)',
      'SELECT 1 FROM t CROSS JOIN UNNEST(arr)',
      'x IN UNNEST(arr)',
    ])
      assert.equal(translateBigQueryToDuckDb(sql), sql);
  });
});

describe("the shared project's legacy udf functions on DuckDB", () => {
  it('are reached however a config names the project, with their own tests’ answers', async () => {
    const histogram = `'{"bucket_count":3,"histogram_type":4,"sum":7,"range":[1,2],"values":{"0":7,"1":0}}'`;
    const spellings: [string, (name: string, args: string) => string][] = [
      ['`project`.udf.f', (name, args) => `\`moz-fx-data-shared-prod\`.udf.${name}(${args})`],
      ['`project.udf.f`', (name, args) => `\`moz-fx-data-shared-prod.udf.${name}\`(${args})`],
      ['`mozdata.udf.f`', (name, args) => `\`mozdata.udf.${name}\`(${args})`],
    ];
    for (const [prefix, call] of spellings) {
      assert.equal(
        Number(await evaluate(call('histogram_max_key_with_nonzero_value', `'{"values":{"0":3,"1":2}}'`))),
        1,
        prefix,
      );
      assert.equal(await evaluate(call('histogram_max_key_with_nonzero_value', "'{}'")), null);
      assert.equal(
        await evaluate(call('histogram_max_key_with_nonzero_value', `'{"values":{"0":0}}'`)),
        null,
      );
      assert.equal(
        Number(await evaluate(call('histogram_max_key_with_nonzero_value', `'{"values":{"5":1}}'`))),
        5,
      );
      assert.equal(Number(await evaluate(`${call('json_extract_histogram', histogram)}.sum`)), 7);
      assert.equal(
        Number(
          await evaluate(
            call('histogram_to_threshold_count', `'{"values":{"0":1,"1":2, "4": 10, "8": 7}}', 4`),
          ),
        ),
        17,
      );
      assert.equal(
        await evaluate(call('get_key', "[{'key': 'foo', 'value': 42}, {'key': 'bar', 'value': 12}], 'bar'")),
        12,
      );
    }
    for (const h of [
      histogram,
      `'{"range":[1,2],"bucket_count":3,"histogram_type":4,"values":{"1": 7},"sum":7}'`,
      "'4,7'",
      "'7'",
      "'3;2;7;1,2;0:0,1:5,2:1'",
    ])
      assert.equal(Number(await evaluate(`udf.extract_histogram_sum(${h})`)), 7, h);
    assert.equal(await evaluate("udf.extract_histogram_sum('foo')"), null);
    const keyed = `[{'key': 'key1', 'value': '{"bucket_count":3,"histogram_type":4,"sum":1,"range":[1,2],"values":{"0":1,"1":0}}'},
      {'key': 'key2', 'value': '{"bucket_count":3,"histogram_type":4,"sum":2,"range":[1,2],"values":{"0":1,"1":1}}'},
      {'key': 'key3', 'value': '{}'}]`;
    const sum = (key: string) =>
      evaluate(`\`moz-fx-data-shared-prod\`.udf.keyed_histogram_get_sum(${keyed}, '${key}')`);
    assert.equal(await sum('dne'), null);
    assert.equal(Number(await sum('key1')), 1);
    assert.equal(Number(await sum('key2')), 2);
    assert.equal(await sum('key3'), null);
  });
});
