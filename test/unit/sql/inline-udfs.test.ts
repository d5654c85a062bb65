import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
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

  it('JSON_VALUE / JSON_EXTRACT_SCALAR give NULL for an object, an array or JSON null, as BigQuery does', async () => {
    // BigQuery's examples: a scalar is returned, anything else is NULL.
    assert.equal(await evaluate(`JSON_EXTRACT_SCALAR('{"class": {"students": []}}', '$.class')`), null);
    assert.equal(await evaluate(`JSON_VALUE('{"a": [1, 2]}', '$.a')`), null);
    assert.equal(await evaluate(`JSON_VALUE('{"a": null}', '$.a')`), null);
    assert.equal(await evaluate(`JSON_EXTRACT_SCALAR('{"name": "Jakob", "age": "6"}', '$.age')`), '6');
    assert.equal(await evaluate(`JSON_VALUE('{"a": 10}', '$.a')`), '10');
    assert.equal(await evaluate(`JSON_VALUE('{"a": true}', '$.a')`), 'true');
    assert.equal(await evaluate(`JSON_EXTRACT_SCALAR('"apple"')`), 'apple');
    assert.equal(await evaluate('JSON_VALUE(NULL)'), null);
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
    // (Descending: an ascending ORDER BY gains NULLS FIRST, tested below.)
    assert.equal(translateBigQueryToDuckDb('ARRAY_AGG(x ORDER BY y DESC)'), 'ARRAY_AGG(x ORDER BY y DESC)');
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

  it('leaves a joined UNNEST as written, names the element of an aliased one, zips WITH OFFSET, reads IN UNNEST', () => {
    assert.equal(
      translateBigQueryToDuckDb('SELECT x FROM UNNEST(arr) AS x'),
      'SELECT x FROM UNNEST(arr) AS x(x)',
    );
    assert.equal(translateBigQueryToDuckDb('SELECT x FROM UNNEST(arr) x'), 'SELECT x FROM UNNEST(arr) x(x)');
    assert.equal(translateBigQueryToDuckDb('x IN UNNEST(arr)'), 'x IN (SELECT UNNEST(arr))');
    assert.equal(
      translateBigQueryToDuckDb('SELECT o FROM UNNEST(arr) WITH OFFSET o'),
      'SELECT o FROM (SELECT UNNEST(arr, max_depth := 2), UNNEST(range(len(arr))) AS o)',
    );
    for (const sql of ['SELECT 1 FROM t, UNNEST(arr)', 'SELECT 1 FROM t CROSS JOIN UNNEST(arr)'])
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

describe('an aliased UNNEST on DuckDB', () => {
  // DuckDB's alias names a table whose one column `unnest` holds the element: `x` alone would be
  // the struct {unnest: …} and `x.field` a missing column. BigQuery's alias is the element.
  const events = `(VALUES ('c1', [{'category': 'a', 'extra': [{'key': 'k', 'value': 'v'}]}, {'category': 'b', 'extra': []}]),
    ('c2', [{'category': 'a', 'extra': NULL}])) t(client_id, events)`;

  it('reads struct fields through the alias, joined or after a comma, with or without AS', async () => {
    for (const join of ['CROSS JOIN', ',']) {
      for (const as of ['AS ', '']) {
        const sql = translateBigQueryToDuckDb(
          `SELECT client_id, event.category AS c FROM ${events} ${join} UNNEST(events) ${as}event WHERE event.category = "a" ORDER BY client_id`,
        );
        assert.deepEqual(await warehouse.query(sql), [
          { client_id: 'c1', c: 'a' },
          { client_id: 'c2', c: 'a' },
        ]);
      }
    }
    const quoted = translateBigQueryToDuckDb(
      `SELECT COUNT(*) AS n FROM ${events} LEFT JOIN UNNEST(events) AS \`event\` ON TRUE WHERE \`event\`.category = 'b'`,
    );
    assert.deepEqual(await warehouse.query(quoted), [{ n: 1 }]);
  });

  it('gives the element itself for an array of scalars', async () => {
    const sql = translateBigQueryToDuckDb(
      `SELECT ARRAY_AGG(x ORDER BY x) AS v FROM (SELECT SPLIT('b,a,c', ',') AS arr) t, UNNEST(arr) AS x WHERE x != 'c'`,
    );
    assert.deepEqual(await warehouse.query(sql), [{ v: ['a', 'b'] }]);
  });

  it('leaves an alias that already lists its column alone', () => {
    assert.equal(
      translateBigQueryToDuckDb('SELECT y FROM t, UNNEST(arr) AS x(y)'),
      'SELECT y FROM t, UNNEST(arr) AS x(y)',
    );
  });
});

describe('array subscripts on DuckDB', () => {
  // BigQuery: OFFSET counts from 0, ORDINAL from 1; out of range OFFSET/ORDINAL raise
  // "Array index … is out of bounds", SAFE_OFFSET/SAFE_ORDINAL give NULL; NULL array or index → NULL.
  const cases: [string, unknown][] = [
    ['[10, 20, 30][OFFSET(0)]', 10],
    ['[10, 20, 30][OFFSET(2)]', 30],
    ['[10, 20, 30][ORDINAL(1)]', 10],
    ['[10, 20, 30][ORDINAL(3)]', 30],
    ['[10, 20, 30][SAFE_OFFSET(3)]', null],
    ['[10, 20, 30][SAFE_OFFSET(-1)]', null],
    ['[10, 20, 30][SAFE_ORDINAL(0)]', null],
    ['[10, 20, 30][SAFE_ORDINAL(4)]', null],
    ['[10, 20, 30][SAFE_ORDINAL(-1)]', null],
    ['CAST(NULL AS INT64[])[OFFSET(0)]', null],
    ['[10, 20][OFFSET(NULL)]', null],
    ["SPLIT('a:b:c', ':')[SAFE_OFFSET(1)]", 'b'],
    ["SPLIT('a:b:c', ':')[offset(2)]", 'c'],
    ['[[1, 2], [3, 4]][OFFSET(1)][ORDINAL(1)]', 3],
    ['1 + [1, 2][OFFSET(ARRAY_LENGTH([1, 2]) - 1)] * 10', 21],
    ['TRUE AND ([5, 6])[ SAFE_OFFSET (1) ] = 6', true],
  ];
  for (const [bigquery, expected] of cases) {
    it(`${bigquery} = ${expected}`, async () => {
      const value = await evaluate(bigquery);
      assert.equal(typeof value === 'bigint' ? Number(value) : value, expected);
    });
  }

  it('raises out of range for OFFSET and ORDINAL, as BigQuery does', async () => {
    await assert.rejects(evaluate('[10, 20, 30][OFFSET(3)]'), /Array index 3 is out of bounds \(overflow\)/);
    await assert.rejects(
      evaluate('[10, 20, 30][OFFSET(-1)]'),
      /Array index -1 is out of bounds \(underflow\)/,
    );
    await assert.rejects(
      evaluate('[10, 20, 30][ORDINAL(0)]'),
      /Array index 0 is out of bounds \(underflow\)/,
    );
    await assert.rejects(evaluate('[10, 20, 30][ORDINAL(4)]'), /Array index 4 is out of bounds \(overflow\)/);
    await assert.rejects(evaluate('CAST([] AS INT64[])[OFFSET(0)]'), /out of bounds/);
  });

  it("the real configs' subscripts: a field of an element, an ordered ARRAY_AGG, a version's major part", async () => {
    const rows = await warehouse.query(
      `SELECT client_id,
         ${translateBigQueryToDuckDb("LOGICAL_OR(event.extra[SAFE_OFFSET(0)].value NOT IN ('ERROR_NO_INTERNET'))")} AS cert_error,
         ${translateBigQueryToDuckDb('COALESCE(ARRAY_AGG(event.category IGNORE NULLS ORDER BY event.category DESC)[SAFE_OFFSET(0)], "none")')} AS last_category,
         ${translateBigQueryToDuckDb("COALESCE(LOGICAL_OR(SAFE_CAST(SPLIT(os_version, '.')[SAFE_OFFSET(0)] AS INT64) < 10), FALSE)")} AS old_os
       FROM (VALUES ('c1', '6.1', [{'category': 'a', 'extra': [{'key': 'k', 'value': 'v'}]}, {'category': 'b', 'extra': []}]),
                    ('c2', '10.0', [{'category': NULL, 'extra': NULL}])) t(client_id, os_version, events),
         UNNEST(events) AS e(event)
       GROUP BY client_id ORDER BY client_id`,
    );
    assert.deepEqual(rows, [
      { client_id: 'c1', cert_error: true, last_category: 'b', old_os: true },
      { client_id: 'c2', cert_error: null, last_category: 'none', old_os: false },
    ]);
  });

  it('ARRAY_AGG(… ORDER BY … LIMIT n) keeps the first n of the ordered array, NULL for no rows', async () => {
    const aggregate = async (bigquery: string) =>
      (
        await warehouse.query<{ v: unknown }>(
          `SELECT ${translateBigQueryToDuckDb(bigquery)} AS v
           FROM (VALUES ('a', 1, 5), ('a', NULL, 6), ('a', 3, 4), ('b', NULL, 1), ('c', 7, 1)) t(g, n, ts)
           WHERE g <> 'c' OR n IS NULL GROUP BY ALL ORDER BY ALL`,
        )
      ).map((r) => r.v);
    assert.deepEqual(await aggregate('g, ARRAY_AGG(n IGNORE NULLS ORDER BY ts DESC LIMIT 2)'), [
      [1, 3],
      null,
    ]);
    assert.deepEqual(
      await aggregate('g, ARRAY_AGG(n IGNORE NULLS ORDER BY ts DESC\n  LIMIT 1\n)[SAFE_OFFSET(0)]'),
      [1, null],
    );
    assert.deepEqual(await aggregate('g, ARRAY_AGG(ts ORDER BY ts LIMIT 1)[OFFSET(0)]'), [4, 1]);
  });

  it('leaves a subscript it cannot place as written, for the warning that names it', () => {
    assert.equal(
      translateBigQueryToDuckDb('ARRAY_AGG(x) OVER (ORDER BY y DESC)[OFFSET(0)]'),
      'ARRAY_AGG(x) OVER (ORDER BY y DESC)[OFFSET(0)]',
    );
    assert.equal(translateBigQueryToDuckDb("'a[OFFSET(0)]'"), "'a[OFFSET(0)]'");
  });

  it('the BigQuery dialect passes subscripts through unchanged', () => {
    const fragment =
      "SPLIT(x, ':')[SAFE_OFFSET(1)] AND a.b[ORDINAL(2)] AND ARRAY_AGG(y ORDER BY z LIMIT 1)[OFFSET(0)]";
    assert.equal(bigqueryDialect().userSql(fragment), fragment);
  });
});

describe('NUMERIC on DuckDB', () => {
  it("casts to BigQuery's NUMERIC, DECIMAL(38, 9), not DuckDB's DECIMAL(18, 3)", async () => {
    assert.equal(await evaluate("CAST(CAST('0.123456789' AS NUMERIC) AS VARCHAR)"), '0.123456789');
    assert.equal(
      await evaluate("CAST(SAFE_CAST('12345678901234567890.5' AS numeric) AS VARCHAR)"),
      '12345678901234567890.500000000',
    );
    assert.equal(await evaluate("SAFE_CAST('x' AS NUMERIC)"), null);
    assert.equal(await evaluate("CAST(CAST('1.25' AS NUMERIC(5, 1)) AS VARCHAR)"), '1.3');
    // The real config's sum of an event's second value.
    const rows = await warehouse.query<{ v: string }>(
      `SELECT CAST(${translateBigQueryToDuckDb(
        "SUM(SAFE_CAST(SPLIT(event_string_value, ',')[OFFSET(1)] AS NUMERIC))",
      )} AS VARCHAR) AS v FROM (VALUES ('a,0.0625'), ('b,1.0001')) t(event_string_value)`,
    );
    assert.deepEqual(rows, [{ v: '1.062600000' }]);
  });

  it('leaves a column or alias named numeric alone', () => {
    assert.equal(translateBigQueryToDuckDb('SELECT x AS numeric FROM t'), 'SELECT x AS numeric FROM t');
    assert.equal(translateBigQueryToDuckDb('numeric + 1'), 'numeric + 1');
  });
});

describe('SUBSTR on DuckDB', () => {
  // BigQuery: position 0 is the first character, a negative position counts from the end (from
  // the first when it reaches past the start), past the end gives '', a negative length raises.
  const cases: [string, string | null][] = [
    ["SUBSTR('apple', 2)", 'pple'],
    ["SUBSTR('apple', 1, 2)", 'ap'],
    ["SUBSTR('apple', 0, 2)", 'ap'],
    ["SUBSTR('apple', -2)", 'le'],
    ["SUBSTR('apple', -2, 1)", 'l'],
    ["SUBSTR('apple', -10, 2)", 'ap'],
    ["SUBSTR('apple', 10, 2)", ''],
    ["SUBSTRING('apple', 2, 2)", 'pp'],
    ['SUBSTR(NULL, 1, 2)', null],
    ["SUBSTR('apple', NULL)", null],
    // The real config's build date: the first 8 characters of a build id.
    ["SAFE.SUBSTR('20240101123456', 0, 8)", '20240101'],
    ["SAFE.SUBSTR('apple', 1, -1)", null],
  ];
  for (const [bigquery, expected] of cases) {
    it(`${bigquery} = ${JSON.stringify(expected)}`, async () => {
      assert.equal(await evaluate(bigquery), expected);
    });
  }

  it('raises for a negative length without SAFE., as BigQuery does', async () => {
    await assert.rejects(evaluate("SUBSTR('apple', 1, -1)"), /cannot be negative/);
  });

  it("leaves someone's own function or a column named substr alone", () => {
    assert.equal(
      translateBigQueryToDuckDb('mydataset.SUBSTR(x, 0, 1) + t.substr'),
      'mydataset.SUBSTR(x, 0, 1) + t.substr',
    );
  });
});

describe('STRUCT(…) on DuckDB', () => {
  it('names fields by alias or by field path, as BigQuery does', async () => {
    assert.deepEqual(await evaluate("STRUCT(1 AS a, 'x' AS b)"), { a: 1, b: 'x' });
    assert.deepEqual(await evaluate('STRUCT(STRUCT(1 AS a) AS s, [STRUCT(2 AS `b c`)] AS l)'), {
      s: { a: 1 },
      l: [{ 'b c': 2 }],
    });
    const rows = await warehouse.query(
      translateBigQueryToDuckDb(
        'SELECT STRUCT(exposed, t.event_name, (SELECT COUNT(*) FROM UNNEST(results)) AS n) AS s FROM (SELECT TRUE AS exposed, "e" AS event_name, [1, 2] AS results) t',
      ),
    );
    assert.deepEqual(rows, [{ s: { exposed: true, event_name: 'e', n: 2 } }]);
  });

  it('an array of a STRUCT and tuples takes the STRUCT’s field names, as in the real configs', async () => {
    const rows = await warehouse.query(
      translateBigQueryToDuckDb(`SELECT stretch.entity, stretch.histogram FROM (SELECT 1 AS b, 2 AS l) AS main
        CROSS JOIN UNNEST([STRUCT(main.b AS histogram, "bookmarks" AS entity), (main.l, "logins")]) AS stretch
        ORDER BY stretch.entity`),
    );
    assert.deepEqual(rows, [
      { entity: 'bookmarks', histogram: 1 },
      { entity: 'logins', histogram: 2 },
    ]);
  });

  it('leaves a STRUCT with an anonymous field, and a typed STRUCT, as written', () => {
    for (const sql of ['STRUCT(1, 2)', 'STRUCT(a, b + 1)', 'STRUCT<a INT64>(1)'])
      assert.equal(translateBigQueryToDuckDb(sql), sql);
  });

  it('the BigQuery dialect passes STRUCT(…) through unchanged', () => {
    const fragment = 'STRUCT(exposed, t.event_name, 1 AS n)';
    assert.equal(bigqueryDialect().userSql(fragment), fragment);
  });
});

describe('ORDER BY on DuckDB', () => {
  // BigQuery sorts NULLs first in ascending order and last in descending order; DuckDB last in both.
  const rows = `(VALUES ('a', 2, 'two'), ('a', NULL, 'none'), ('a', 1, 'one')) t(g, k, v)`;
  const one = async (bigquery: string) =>
    (
      await warehouse.query<{ v: unknown }>(`SELECT ${translateBigQueryToDuckDb(bigquery)} AS v FROM ${rows}`)
    )[0]?.v;

  it('puts NULLs first when ascending, last when descending, as BigQuery does', async () => {
    assert.deepEqual(await one('ARRAY_AGG(v ORDER BY k)'), ['none', 'one', 'two']);
    assert.deepEqual(await one('ARRAY_AGG(v ORDER BY k ASC)'), ['none', 'one', 'two']);
    assert.deepEqual(await one('ARRAY_AGG(v ORDER BY k DESC)'), ['two', 'one', 'none']);
    assert.deepEqual(await one('ARRAY_AGG(v ORDER BY k NULLS LAST)'), ['one', 'two', 'none']);
    assert.equal(await one('ARRAY_AGG(v ORDER BY k LIMIT 1)[OFFSET(0)]'), 'none');
    assert.equal(await one("STRING_AGG(v, ',' ORDER BY k, v)"), 'none,one,two');
    const ranked = await warehouse.query(
      translateBigQueryToDuckDb(
        `SELECT v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n FROM ${rows} ORDER BY n`,
      ),
    );
    assert.deepEqual(ranked, [
      { v: 'none', n: 1 },
      { v: 'one', n: 2 },
      { v: 'two', n: 3 },
    ]);
  });

  it('the BigQuery dialect passes ORDER BY through unchanged', () => {
    const fragment = 'ARRAY_AGG(v ORDER BY k)[SAFE_OFFSET(0)]';
    assert.equal(bigqueryDialect().userSql(fragment), fragment);
  });
});
