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

  test('text to INT64 takes a signed decimal or hex integer with whitespace around it, nothing else', async () => {
    assert.deepEqual(
      await values('SAFE_CAST(s AS INT64)', ['1.5', '  7 ', '+3', '-12', '007', '0x1F', '-0x1F', '+0X1f']),
      [null, 7, 3, -12, 7, 31, -31, 31],
    );
    // DuckDB's own cast reads all of these (as 2, 7, 7, 1000, 1000, 5).
    assert.deepEqual(await values('SAFE_CAST(s AS INT64)', ['2.5', '7.', '7.0', '1e3', '1_000', '0b101']), [
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    assert.deepEqual(await values('SAFE_CAST(s AS INT64)', ['', '- 7', '9223372036854775808']), [
      null,
      null,
      null,
    ]);
    assert.equal(
      await one("SAFE_CAST(mozfun.map.get_key([STRUCT('a' AS key, '1.5' AS value)], 'a') AS INT64)"),
      null,
    );
    assert.equal(await one("CAST('  42' AS INT64)"), 42);
    assert.equal(String(await one("CAST('0x7FFFFFFFFFFFFFFF' AS INT64)")), '9223372036854775807');
    // The type names BigQuery reads as INT64 follow the same rules.
    assert.equal(await one("SAFE_CAST('1.5' AS INT)"), null);
    assert.equal(await one("SAFE_CAST('1.5' AS BIGINT)"), null);
  });

  test('CAST of text that is no INT64 is an error naming the value (BigQuery: a runtime error)', async () => {
    await assert.rejects(one("CAST('1.5' AS INT64)"), /Bad int64 value: 1\.5/);
    await assert.rejects(one("CAST(s AS INT64) FROM (SELECT 'x' AS s)"), /Bad int64 value: x/);
    assert.equal(await one('CAST(CAST(NULL AS STRING) AS INT64)'), null);
    assert.equal(await one('SAFE_CAST(NULL AS INT64)'), null);
  });

  test('FLOAT64 to INT64 rounds halfway cases away from zero', async () => {
    assert.deepEqual(
      await values('CAST(CAST(s AS FLOAT64) AS INT64)', ['2.5', '0.5', '-0.5', '-2.5', '1.4999']),
      [3, 1, -1, -3, 1],
    );
    assert.deepEqual(await values('SAFE_CAST(CAST(s AS FLOAT64) AS INT64)', ['1.5', 'nan', '1e300']), [
      2,
      null,
      null,
    ]);
    // NUMERIC and BOOL to INT64, as before.
    assert.equal(await one('CAST(CAST(-2.5 AS NUMERIC) AS INT64)'), -3);
    assert.equal(await one('CAST(TRUE AS INT64)'), 1);
    assert.equal(await one('CAST(5 > 3 AS INT)'), 1);
  });

  test('text to FLOAT64 takes a float literal, inf and nan in any case, hex; no underscores', async () => {
    assert.deepEqual(
      await values('SAFE_CAST(s AS FLOAT64)', [' 1.5 ', '.5', '5.', '1e3', '+1.5', '0x10']),
      [1.5, 0.5, 5, 1000, 1.5, 16],
    );
    assert.deepEqual(await values('SAFE_CAST(s AS FLOAT64)', ['1_000.5', '+-1', 'abc', '', '1.5f']), [
      null,
      null,
      null,
      null,
      null,
    ]);
    assert.deepEqual(await values('SAFE_CAST(s AS FLOAT64)', ['+inf', '-INF', 'Infinity', '-infinity']), [
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    assert.ok(Number.isNaN(await one("SAFE_CAST('-NaN' AS FLOAT64)")));
    await assert.rejects(one("CAST('1_0' AS FLOAT64)"), /Bad double value: 1_0/);
  });

  test('text to NUMERIC takes a decimal literal, rounded half away from zero to 9 places; no underscores', async () => {
    assert.deepEqual(
      await values('CAST(SAFE_CAST(s AS NUMERIC) AS STRING)', [
        '1.5',
        ' -1.0000000005 ',
        '1e3',
        '1_0',
        '0x10',
        'inf',
      ]),
      ['1.500000000', '-1.000000001', '1000.000000000', null, null, null],
    );
    await assert.rejects(one("CAST('x' AS NUMERIC)"), /Invalid NUMERIC value: x/);
  });

  test("text to BOOL takes only 'true' and 'false', in any case", async () => {
    assert.deepEqual(await values('SAFE_CAST(s AS BOOL)', ['true', 'FaLsE', 'TRUE']), [true, false, true]);
    // DuckDB's own cast reads 't', 'yes', '1', 'no', 'f', '0'.
    assert.deepEqual(await values('SAFE_CAST(s AS BOOL)', ['t', 'yes', '1', 'no', 'f', '0', 'true ', '']), [
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    await assert.rejects(one("CAST('yes' AS BOOL)"), /Bad bool value: yes/);
    assert.equal(await one('CAST(0 AS BOOL)'), false);
    assert.equal(await one('CAST(-3 AS BOOL)'), true);
  });

  test('text to DATE takes only a date literal YYYY-[M]M-[D]D; timestamps cast as before', async () => {
    assert.deepEqual(
      await values('CAST(SAFE_CAST(s AS DATE) AS STRING)', ['2024-01-05', '2024-1-5', '0001-01-01']),
      ['2024-01-05', '2024-01-05', '0001-01-01'],
    );
    assert.deepEqual(
      await values('SAFE_CAST(s AS DATE)', [
        '2024-01-05 10:00:00',
        '2024-01-05T00:00:00',
        ' 2024-01-05',
        '2024-01-05 ',
        '2024/01/05',
        '24-01-05',
        '02024-01-05',
        '2024-02-30',
        '0000-01-01',
      ]),
      [null, null, null, null, null, null, null, null, null],
    );
    await assert.rejects(one("CAST('2024/01/05' AS DATE)"), /Invalid date: 2024\/01\/05/);
    assert.equal(
      String(await one("CAST(CAST(TIMESTAMP '2024-01-05 23:59:59+00' AS DATE) AS STRING)")),
      '2024-01-05',
    );
  });

  test('UNNEST … WITH OFFSET numbers the elements from 0; a NULL or empty array gives no row', async () => {
    await wh.query(
      "CREATE OR REPLACE TABLE arrays AS SELECT * FROM (VALUES (1, ['a', 'b', 'c']), (2, NULL), (3, []), (4, ['d'])) v(id, arr)",
    );
    const rows = async (bigquery: string) =>
      (await wh.query(translateBigQueryToDuckDb(bigquery))).map((r) =>
        Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : v)),
      );
    const expected = [
      [1, 'a', 0],
      [1, 'b', 1],
      [1, 'c', 2],
      [4, 'd', 0],
    ];
    assert.deepEqual(
      await rows(
        'SELECT id, x, off FROM arrays, UNNEST(arrays.arr) AS x WITH OFFSET AS off ORDER BY id, off',
      ),
      expected,
    );
    assert.deepEqual(
      await rows(
        'SELECT t.id, x, off FROM arrays t CROSS JOIN UNNEST(t.arr) x WITH OFFSET off ORDER BY 1, 3',
      ),
      expected,
    );
    // LEFT JOIN keeps the rows whose array has no element, with NULLs.
    assert.deepEqual(
      await rows(
        'SELECT id, x, off FROM arrays LEFT JOIN UNNEST(arr) AS x WITH OFFSET AS off ON TRUE ORDER BY id, off',
      ),
      [
        [1, 'a', 0],
        [1, 'b', 1],
        [1, 'c', 2],
        [2, null, null],
        [3, null, null],
        [4, 'd', 0],
      ],
    );
    // With no alias the offset is called `offset`; a struct array's fields are columns.
    assert.deepEqual(
      await rows(
        "SELECT key, `offset` FROM UNNEST([STRUCT('k1' AS key, 1 AS value), STRUCT('k2' AS key, 2 AS value)]) WITH OFFSET ORDER BY `offset`",
      ),
      [
        ['k1', 0],
        ['k2', 1],
      ],
    );
    // As a metric reads it: the position of an element in a scalar subquery.
    assert.equal(
      await one(
        "(SELECT MIN(o) FROM UNNEST(SPLIT('a,b,c,b', ',')) AS part WITH OFFSET AS o WHERE part = 'b')",
      ),
      1,
    );
  });

  test('LEAST, GREATEST and CONCAT are NULL when any argument is NULL', async () => {
    assert.equal(await one('LEAST(1, NULL)'), null);
    assert.equal(await one('GREATEST(1, NULL, 3)'), null);
    assert.equal(await one("CONCAT('a', NULL, 'b')"), null);
    assert.equal(await one('LEAST(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, NULL)'), null);
    // Without NULLs, as before.
    assert.equal(await one('LEAST(3, 1, 2)'), 1);
    assert.equal(await one('GREATEST(1.5, 2)'), 2);
    assert.equal(await one("LEAST('b', 'a')"), 'a');
    assert.equal(await one("CONCAT('a', 'b', 'c')"), 'abc');
    // As configs cap a count per client: a client with no row for the metric stays NULL.
    const rows = await wh.query(
      `SELECT ${translateBigQueryToDuckDb('LEAST(n, 95)')} AS v FROM (VALUES (3), (120), (NULL)) t(n) ORDER BY n NULLS LAST`,
    );
    assert.deepEqual(
      rows.map((r) => r.v),
      [3, 95, null],
    );
  });

  test('EXTRACT DAYOFWEEK counts Sunday as 1; WEEK starts on Sunday from week 0; ISOWEEK; sub-second parts', async () => {
    const dates = ['2024-01-07', '2024-01-08', '2024-01-13'];
    assert.deepEqual(await values('EXTRACT(DAYOFWEEK FROM CAST(s AS DATE))', dates), [1, 2, 7]);
    assert.deepEqual(
      await values('EXTRACT(DAYOFWEEK FROM CAST(CAST(s AS DATE) AS TIMESTAMP))', dates),
      [1, 2, 7],
    );
    // BigQuery's reference example: ISOWEEK and WEEK of six dates.
    const example = ['2005-01-03', '2007-12-31', '2009-01-01', '2009-12-31', '2017-01-02', '2017-05-26'];
    assert.deepEqual(await values('EXTRACT(WEEK FROM CAST(s AS DATE))', example), [1, 52, 0, 52, 1, 21]);
    assert.deepEqual(await values('EXTRACT(ISOWEEK FROM CAST(s AS DATE))', example), [1, 1, 1, 53, 1, 21]);
    assert.deepEqual(
      await values('EXTRACT(ISOYEAR FROM CAST(s AS DATE))', example),
      [2005, 2008, 2009, 2009, 2017, 2017],
    );
    // Within the second, as BigQuery counts them.
    assert.equal(await one("EXTRACT(MILLISECOND FROM TIMESTAMP '2024-01-06 23:00:01.234+00')"), 234);
    assert.equal(await one("EXTRACT(MICROSECOND FROM TIMESTAMP '2024-01-06 23:00:01.234567+00')"), 234567);
    assert.equal(await one("EXTRACT(DAY FROM DATE '2024-01-06')"), 6);
  });

  test('x IN UNNEST(arr) is TRUE on a match; NULL for a NULL x or a miss among NULLs; FALSE for no element', async () => {
    assert.equal(await one("'ad_link' IN UNNEST(['ad_carousel', 'ad_link'])"), true);
    assert.equal(await one("'x' IN UNNEST(['ad_carousel', 'ad_link'])"), false);
    assert.equal(await one("'x' IN UNNEST(['a', NULL])"), null);
    assert.equal(await one("CAST(NULL AS STRING) IN UNNEST(['a'])"), null);
    assert.equal(await one("'x' NOT IN UNNEST(['a', NULL])"), null);
    assert.equal(await one("'x' NOT IN UNNEST(['a'])"), true);
    // As a real config counts ad clicks: components of a row matched against a list.
    const rows = await wh.query(
      `SELECT ${translateBigQueryToDuckDb(
        "(SELECT SUM(IF(ac.component IN UNNEST(['ad_carousel', 'ad_link']) AND ac.n > 0, ac.n, 0)) FROM UNNEST(ad_components) ac)",
      )} AS v, ${translateBigQueryToDuckDb('c IN UNNEST(arr)')} AS w
       FROM (VALUES ([{'component': 'ad_link', 'n': 3}, {'component': 'other', 'n': 5}], 'a', ['a', 'b']),
                    ([{'component': 'ad_carousel', 'n': 2}], 'z', NULL)) t(ad_components, c, arr)`,
    );
    assert.deepEqual(
      rows.map((r) => [Number(r.v), r.w]),
      [
        [3, true],
        [2, false],
      ],
    );
  });

  test('DATE_TRUNC to WEEK starts on Sunday, ISOWEEK on Monday; DIV truncates toward zero', async () => {
    const days = ['2024-01-10', '2024-01-07', '2024-01-06'];
    assert.deepEqual(await values('CAST(DATE_TRUNC(CAST(s AS DATE), WEEK) AS STRING)', days), [
      '2024-01-07',
      '2024-01-07',
      '2023-12-31',
    ]);
    assert.deepEqual(await values('CAST(DATE_TRUNC(CAST(s AS DATE), ISOWEEK) AS STRING)', days), [
      '2024-01-08',
      '2024-01-01',
      '2024-01-01',
    ]);
    // BigQuery's reference examples.
    assert.equal(String(await one("CAST(DATE_TRUNC(DATE '2008-12-25', MONTH) AS STRING)")), '2008-12-01');
    assert.equal(String(await one("CAST(DATE_TRUNC(DATE '2015-06-15', ISOYEAR) AS STRING)")), '2014-12-29');
    assert.deepEqual(
      [await one('DIV(20, 4)'), await one('DIV(12, -7)'), await one('DIV(20, 3)'), await one('DIV(0, 20)')],
      [5, -1, 6, 0],
    );
    await assert.rejects(one('DIV(20, 0)'), /division by zero/);
  });

  test('REGEXP_REPLACE replaces every match; REGEXP_EXTRACT(_ALL) give the capturing group, NULL for no match', async () => {
    assert.equal(await one("REGEXP_REPLACE('aaa', 'a', 'b')"), 'bbb');
    assert.equal(await one("REGEXP_REPLACE('a1b2', r'(\\d)', r'<\\1>')"), 'a<1>b<2>');
    assert.equal(
      await one("REGEXP_REPLACE('# Heading', r'^# ([a-zA-Z0-9\\s]+$)', '<h1>\\\\1</h1>')"),
      '<h1>Heading</h1>',
    );
    assert.equal(await one("REGEXP_EXTRACT('x123y', r'x(\\d+)')"), '123');
    assert.equal(await one("REGEXP_EXTRACT('foo@example.com', r'^[a-zA-Z0-9_.+-]+')"), 'foo');
    assert.equal(await one("REGEXP_EXTRACT('abc', r'\\d+')"), null);
    assert.equal(await one("REGEXP_EXTRACT('a(b', r'\\(b')"), '(b');
    assert.equal(await one("REGEXP_EXTRACT('ab', r'(?:a)(b)')"), 'b');
    assert.deepEqual(await one("REGEXP_EXTRACT_ALL('x1y x22y', r'x(\\d+)')"), ['1', '22']);
    assert.deepEqual(await one("REGEXP_EXTRACT_ALL('abc', r'z')"), []);
  });

  test("FORMAT reads BigQuery's % specifiers", async () => {
    assert.equal(await one("FORMAT('%d-%s', 5, 'x')"), '5-x');
    assert.equal(await one("FORMAT('%.2f', 3.14159)"), '3.14');
    assert.equal(await one("FORMAT('%05d|%-5d|%10s', 42, 3, 'ab')"), '00042|3    |        ab');
    assert.equal(await one("FORMAT('%x %e %g 100%%', 255, 1234.5, 1234.5)"), 'ff 1.234500e+03 1234.5 100%');
    assert.equal(await one("FORMAT('%s', CAST(NULL AS STRING))"), null);
  });

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
