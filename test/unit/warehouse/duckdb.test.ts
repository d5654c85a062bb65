import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import {
  embeddedStorageError,
  MissingTableError,
  WarehouseQueryError,
  WarehouseUnavailableError,
} from '../../../src/warehouse/errors.js';

const T = { dataset: 'analysis', table: 'results' };

describe('DuckDbWarehouse (:memory:)', () => {
  let wh: DuckDbWarehouse;
  before(async () => {
    wh = await openDuckDbWarehouse({ path: ':memory:', progressIntervalMs: 20 });
  });
  after(async () => {
    await wh.close();
  });

  test('pins the session to UTC', async () => {
    const [row] = await wh.query(
      `SELECT current_setting('TimeZone') AS tz, CAST(TIMESTAMPTZ '2024-03-01 12:00:00+02' AS VARCHAR) AS t`,
    );
    assert.deepEqual(row, { tz: 'UTC', t: '2024-03-01 10:00:00+00' });
  });

  test('runToTable replaces, never appends, and sets last_updated', async () => {
    const first = await wh.runToTable({
      sql: 'SELECT range AS x FROM range(5)',
      destination: T,
      labels: { schema_version: '1' },
    });
    assert.equal(first.rows, 5);
    const second = await wh.runToTable({ sql: 'SELECT range AS x FROM range(3);', destination: T });
    assert.equal(second.rows, 3);
    assert.deepEqual(await wh.query('SELECT count(*) AS n FROM analysis.results'), [{ n: 3 }]);
    const info = await wh.getTable(T);
    assert.ok(info);
    assert.deepEqual(Object.keys(info.labels), ['last_updated']);
    assert.ok(Math.abs(Number(info.labels.last_updated) - Date.now()) < 60_000);
  });

  test('a query failing halfway leaves the old table untouched', async () => {
    await wh.runToTable({ sql: "SELECT 'old' AS v", destination: T, labels: { tool_version: 'a' } });
    // Fails at run time, after some rows were produced (a conversion error on row 150 000).
    const failing = `SELECT CAST(CASE WHEN range = 150000 THEN 'x' ELSE range::VARCHAR END AS INTEGER) AS v FROM range(200000)`;
    await assert.rejects(
      wh.runToTable({ sql: failing, destination: T, labels: { tool_version: 'b' } }),
      (error) => {
        assert.ok(error instanceof WarehouseQueryError);
        assert.match(error.warehouseMessage, /Conversion Error/);
        assert.deepEqual(error.destination, T);
        assert.equal(error.permanent, true);
        return true;
      },
    );
    assert.deepEqual(await wh.query('SELECT v FROM analysis.results'), [{ v: 'old' }]);
    assert.equal((await wh.getTable(T))?.labels.tool_version, 'a');
  });

  test('a failing query for a new table leaves no table and no metadata', async () => {
    const ref = { dataset: 'analysis', table: 'never' };
    await assert.rejects(
      wh.runToTable({ sql: 'SELECT no_such_column FROM range(3)', destination: ref }),
      /Binder Error/,
    );
    assert.equal(await wh.tableExists(ref), false);
    assert.equal(await wh.getTable(ref), null);
    assert.deepEqual(await wh.listTables('analysis', 'never'), []);
  });

  test("a dataset of a database that is not attached, or of DuckDB's own, lists no tables", async () => {
    // As BigQuery lists none for a dataset that does not exist: a caller asking about a name
    // (the dashboard, from a URL) learns there is nothing there instead of a Binder Error.
    assert.deepEqual(await wh.listTables('system.main'), []);
    assert.deepEqual(await wh.listTables('nowhere.main'), []);
    assert.deepEqual(await wh.listTables('no_such_dataset'), []);
  });

  test('integer sums are stored as BIGINT (BigQuery INT64), not HUGEINT; an overflow fails the query', async () => {
    const ref = { dataset: 'analysis', table: 'sums' };
    const rows = await wh.runToTable({
      sql: `-- a comment before the query
SELECT range % 3 AS "group key", SUM(range) AS total, COUNT_IF(range > 5) AS n, SUM(range * 0.5) AS half
FROM range(10) GROUP BY 1 -- and one after it`,
      destination: ref,
    });
    assert.equal(rows.rows, 3);
    const types = await wh.query<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'analysis' AND table_name = 'sums' ORDER BY ordinal_position",
    );
    assert.deepEqual(
      types.map((t) => `${t.column_name} ${t.data_type}`),
      ['group key BIGINT', 'total BIGINT', 'n BIGINT', 'half DECIMAL(38,1)'],
    );
    assert.deepEqual(await wh.query('SELECT total, n FROM analysis.sums ORDER BY 1'), [
      { total: 12, n: 1 },
      { total: 15, n: 1 },
      { total: 18, n: 2 },
    ]);
    await assert.rejects(
      wh.runToTable({
        sql: 'SELECT SUM(x) AS s FROM (VALUES (9223372036854775807), (1)) t(x)',
        destination: ref,
      }),
      (error) =>
        error instanceof WarehouseQueryError && /out of range|overflow|can't be cast/i.test(error.message),
    );
  });

  test('swapTables moves a staged view with the staged table it reads: it reads the moved table, not the staged one', async () => {
    const ref = (table: string) => ({ dataset: 'swapview', table });
    // Published: a table and a per-basis view over it (a previous run), and a scan whose name
    // extends the staged scan's (day_21 beside day_2), which must stay as it is.
    await wh.runToTable({ sql: "SELECT 'old' AS v", destination: ref('scan_day_2') });
    await wh.runToTable({
      sql: 'SELECT v FROM swapview.scan_day_2',
      destination: ref('split'),
      mayBeView: true,
    });
    await wh.runToTable({ sql: "SELECT 'other' AS v", destination: ref('scan_day_21') });
    await wh.runToTable({ sql: "SELECT 'new' AS v", destination: ref('staged_scan_day_2') });
    await wh.runToTable({
      sql: 'SELECT s.v, o.v AS other FROM swapview.staged_scan_day_2 s, "swapview"."scan_day_21" o',
      destination: ref('staged_split'),
      labels: { run: 'new' },
      mayBeView: true,
    });
    await wh.swapTables([
      { from: ref('staged_split'), to: ref('split') },
      { from: ref('staged_scan_day_2'), to: ref('scan_day_2') },
    ]);
    assert.deepEqual(
      (await wh.listTables('swapview')).map((t) => t.ref.table),
      ['scan_day_2', 'scan_day_21', 'split'],
    );
    assert.deepEqual(await wh.query('SELECT v, other FROM swapview.split'), [{ v: 'new', other: 'other' }]);
    assert.equal((await wh.getTable(ref('split')))?.labels.run, 'new');
    // The next run's staged scan does not change what the published view reads.
    await wh.runToTable({ sql: "SELECT 'next' AS v", destination: ref('staged_scan_day_2') });
    assert.deepEqual(await wh.query('SELECT v FROM swapview.split'), [{ v: 'new' }]);
  });

  test('mayBeView keeps a selection from stored tables as a view, which replaces a table of its name and the reverse', async () => {
    const source = { dataset: 'views', table: 'scan' };
    const split = { dataset: 'views', table: 'split' };
    await wh.runToTable({
      sql: 'SELECT range AS x, range % 2 = 0 AS even FROM range(10)',
      destination: source,
    });
    await wh.runToTable({ sql: 'SELECT 1 AS x', destination: split, labels: { schema_version: '1' } });
    const kind = async () =>
      (
        await wh.query<{ kind: string }>(
          "SELECT 'view' AS kind FROM duckdb_views() WHERE schema_name = 'views' AND view_name = 'split' UNION ALL SELECT 'table' FROM duckdb_tables() WHERE schema_name = 'views' AND table_name = 'split'",
        )
      ).map((r) => r.kind);
    const asView = await wh.runToTable({
      sql: 'SELECT x FROM views.scan WHERE even -- a trailing comment',
      destination: split,
      labels: { schema_version: '2' },
      mayBeView: true,
    });
    assert.equal(asView.rows, 5);
    assert.deepEqual(await kind(), ['view']);
    assert.equal((await wh.getTable(split))?.labels.schema_version, '2');
    // A view reads its source as it is now.
    await wh.runToTable({ sql: 'SELECT range AS x, true AS even FROM range(3)', destination: source });
    assert.deepEqual(await wh.query('SELECT count(*) AS n FROM views.split'), [{ n: 3 }]);
    await wh.runToTable({ sql: 'SELECT 7 AS x', destination: split });
    assert.deepEqual(await kind(), ['table']);
    assert.deepEqual(await wh.query('SELECT x FROM views.split'), [{ x: 7 }]);
    await wh.runToTable({ sql: 'SELECT x FROM views.scan', destination: split, mayBeView: true });
    assert.deepEqual(
      (await wh.listTables('views')).map((t) => t.ref.table),
      ['scan', 'split'],
    );
    await wh.dropTable(split);
    assert.deepEqual(await kind(), []);
  });

  test('replace: false refuses to overwrite', async () => {
    await assert.rejects(
      wh.runToTable({ sql: 'SELECT 1', destination: T, replace: false }),
      /already exists/,
    );
  });

  test('labels: validated, merged by setLabels, reported by listTables', async () => {
    await assert.rejects(
      wh.runToTable({ sql: 'SELECT 1', destination: T, labels: { tool_version: '0.1.0' } }),
      /tool_version/,
    );
    await wh.runToTable({
      sql: 'SELECT 1 AS a',
      destination: { dataset: 'analysis', table: 'labelled' },
      labels: { config_commit: 'abc123' },
    });
    await wh.setLabels({ dataset: 'analysis', table: 'labelled' }, { schema_version: '3' });
    const [info] = await wh.listTables('analysis', 'label');
    assert.equal(info?.labels.config_commit, 'abc123');
    assert.equal(info?.labels.schema_version, '3');
    await assert.rejects(
      wh.setLabels({ dataset: 'analysis', table: 'missing' }, { a: 'b' }),
      /no such table/,
    );
  });

  test('identifiers are validated before any SQL runs', async () => {
    await assert.rejects(
      wh.runToTable({ sql: 'SELECT 1', destination: { dataset: 'x', table: 'a; DROP TABLE b' } }),
      /invalid table name/,
    );
    await assert.rejects(wh.listTables('bad dataset'), /invalid dataset/);
  });

  test('listTables filters by prefix and includes views; dropTable removes table and metadata', async () => {
    await wh.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'ds2', table: 'stats_a' } });
    await wh.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'ds2', table: 'stats_b' } });
    await wh.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'ds2', table: 'other' } });
    await wh.execute('CREATE VIEW ds2.stats_view AS SELECT * FROM ds2.stats_a');
    assert.deepEqual(
      (await wh.listTables('ds2', 'stats_')).map((t) => t.ref.table),
      ['stats_a', 'stats_b', 'stats_view'],
    );
    await wh.dropTable({ dataset: 'ds2', table: 'stats_a' });
    await wh.dropTable({ dataset: 'ds2', table: 'stats_view' });
    assert.deepEqual(
      (await wh.listTables('ds2')).map((t) => t.ref.table),
      ['other', 'stats_b'],
    );
    assert.deepEqual(
      await wh.query(
        `SELECT count(*) AS n FROM contrail_meta.tables WHERE dataset = 'ds2' AND table_name = 'stats_a'`,
      ),
      [{ n: 0 }],
    );
    await wh.dropTable({ dataset: 'ds2', table: 'stats_a' }); // dropping twice is fine
  });

  test('writeRows replaces atomically, appends for logs, and rejects bad rows before writing', async () => {
    const destination = { dataset: 'logs', table: 'errors' };
    const columns = [
      { name: 'message', type: 'STRING' as const },
      { name: 'n', type: 'INT64' as const },
      { name: 'x', type: 'FLOAT64' as const },
      { name: 'ok', type: 'BOOL' as const },
      { name: 'day', type: 'DATE' as const },
      { name: 'at', type: 'TIMESTAMP' as const },
    ];
    const row = { message: 'a', n: 1, x: 0.5, ok: true, day: '2024-01-02', at: '2024-01-02T03:04:05.000Z' };
    assert.equal(
      (await wh.writeRows({ destination, columns, rows: [row, { ...row, n: 2, x: null }] })).rows,
      2,
    );
    await wh.writeRows({ destination, columns, rows: [{ message: 'b', n: 3 }], mode: 'append' });
    assert.deepEqual(await wh.query('SELECT * FROM logs.errors ORDER BY n'), [
      { message: 'a', n: 1, x: 0.5, ok: true, day: '2024-01-02', at: '2024-01-02T03:04:05.000Z' },
      { message: 'a', n: 2, x: null, ok: true, day: '2024-01-02', at: '2024-01-02T03:04:05.000Z' },
      { message: 'b', n: 3, x: null, ok: null, day: null, at: null },
    ]);
    await assert.rejects(
      wh.writeRows({ destination, columns, rows: [row, { ...row, n: 'seven' }] }),
      /row 1, column n/,
    );
    await assert.rejects(
      wh.writeRows({ destination, columns, rows: [{ ...row, extra: 1 }] }),
      /unknown column "extra"/,
    );
    assert.deepEqual(await wh.query('SELECT count(*) AS n FROM logs.errors'), [{ n: 3 }]);
    // Many rows go in batches.
    const many = Array.from({ length: 1000 }, (_, i) => ({ message: `m${i}`, n: i }));
    await wh.writeRows({ destination, columns, rows: many });
    assert.deepEqual(await wh.query('SELECT count(*) AS n, sum(n) AS s FROM logs.errors'), [
      { n: 1000, s: 499500 },
    ]);
  });

  test('writeRows appends by column name, and a value the table rejects writes nothing', async () => {
    const destination = { dataset: 'logs', table: 'ordered' };
    await wh.query(`CREATE SCHEMA IF NOT EXISTS logs`);
    // A table with the rows' columns in another order, and one the rows do not name.
    await wh.query(`CREATE TABLE logs.ordered ("at" TIMESTAMP, note VARCHAR, n BIGINT, message VARCHAR)`);
    const columns = [
      { name: 'message', type: 'STRING' as const },
      { name: 'n', type: 'INT64' as const },
      { name: 'at', type: 'TIMESTAMP' as const },
    ];
    const many = Array.from({ length: 600 }, (_, i) => ({
      message: `m${i}`,
      n: i,
      at: '2024-01-02T03:04:05.000Z',
    }));
    await wh.writeRows({ destination, columns, rows: many, mode: 'append' });
    assert.deepEqual(await wh.query('SELECT * FROM logs.ordered WHERE n = 599'), [
      { at: '2024-01-02T03:04:05.000Z', note: null, n: 599, message: 'm599' },
    ]);
    // JavaScript reads this date, DuckDB's cast does not: the write fails whole, in the warehouse.
    await assert.rejects(
      wh.writeRows({
        destination,
        columns,
        rows: [{ message: 'x', n: 1, at: 'January 2, 2024' }],
        mode: 'append',
      }),
      /January 2, 2024/,
    );
    assert.deepEqual(await wh.query('SELECT count(*) AS n FROM logs.ordered'), [{ n: 600 }]);
    await wh.writeRows({ destination, columns, rows: [{ message: 'y', n: 600 }], mode: 'append' });
    assert.deepEqual(await wh.query('SELECT count(*) AS n FROM logs.ordered'), [{ n: 601 }]);
  });

  test('writeRows merge adds only rows whose key is new, and columns an older table lacks', async () => {
    const destination = { dataset: 'logs', table: 'merged' };
    // A table as an older version wrote it: no id column.
    await wh.writeRows({
      destination,
      columns: [{ name: 'message', type: 'STRING' }],
      rows: [{ message: 'old' }],
      mode: 'append',
    });
    const columns = [
      { name: 'message', type: 'STRING' as const },
      { name: 'id', type: 'STRING' as const },
    ];
    const rows = [
      { message: 'a', id: 'k1' },
      { message: 'b', id: 'k2' },
      { message: 'b again', id: 'k2' },
    ];
    assert.equal((await wh.writeRows({ destination, columns, rows, mode: 'merge', key: 'id' })).rows, 2);
    // The same rows again (a retried step) and one new one: only the new one is added.
    await wh.writeRows({
      destination,
      columns,
      rows: [...rows, { message: 'c', id: 'k3' }],
      mode: 'merge',
      key: 'id',
    });
    assert.deepEqual(await wh.query('SELECT message, id FROM logs.merged ORDER BY message'), [
      { message: 'a', id: 'k1' },
      { message: 'b', id: 'k2' },
      { message: 'c', id: 'k3' },
      { message: 'old', id: null },
    ]);
    await assert.rejects(wh.writeRows({ destination, columns, rows, mode: 'merge' }), /needs key/);
    await assert.rejects(
      wh.writeRows({ destination, columns, rows: [{ message: 'x' }], mode: 'merge', key: 'id' }),
      /no value for the merge key id/,
    );
  });

  test('writeRows merge refreshes the named columns of a row whose key the table holds', async () => {
    const destination = { dataset: 'logs', table: 'refreshed' };
    const columns = [
      { name: 'message', type: 'STRING' as const },
      { name: 'seen', type: 'STRING' as const },
      { name: 'id', type: 'STRING' as const },
    ];
    const write = (rows: Record<string, unknown>[]) =>
      wh.writeRows({ destination, columns, rows, mode: 'merge', key: 'id', refresh: ['seen'] });
    await write([{ message: 'a', seen: 'monday', id: 'k1' }]);
    // Logged again: the row keeps its message and takes the new time; a new key is added.
    await write([
      { message: 'a, said otherwise', seen: 'tuesday', id: 'k1' },
      { message: 'b', seen: 'tuesday', id: 'k2' },
    ]);
    assert.deepEqual(await wh.query('SELECT message, seen, id FROM logs.refreshed ORDER BY id'), [
      { message: 'a', seen: 'tuesday', id: 'k1' },
      { message: 'b', seen: 'tuesday', id: 'k2' },
    ]);
    await assert.rejects(
      wh.writeRows({ destination, columns, rows: [], mode: 'merge', key: 'id', refresh: ['id'] }),
      /refresh names "id", which is not one of the columns other than the key/,
    );
  });

  test('swapTables moves rows and labels in one step, drops the rest, and skips moves already made', async () => {
    const ref = (table: string) => ({ dataset: 'swap', table });
    await wh.runToTable({ sql: "SELECT 'old a' AS v", destination: ref('a'), labels: { run: 'old' } });
    await wh.runToTable({ sql: "SELECT 'old gone' AS v", destination: ref('gone') });
    await wh.runToTable({
      sql: "SELECT 'new a' AS v",
      destination: ref('staged_a'),
      labels: { run: 'new' },
      expirationDays: 1,
    });
    await wh.runToTable({ sql: "SELECT 'new b' AS v", destination: ref('staged_b') });
    const moves = [
      { from: ref('staged_a'), to: ref('a') },
      { from: ref('staged_b'), to: ref('b') },
    ];
    await wh.swapTables(moves, { drop: [ref('gone')] });
    assert.deepEqual(
      (await wh.listTables('swap')).map((t) => t.ref.table),
      ['a', 'b'],
    );
    assert.deepEqual(await wh.query('SELECT v FROM swap.a UNION ALL SELECT v FROM swap.b ORDER BY v'), [
      { v: 'new a' },
      { v: 'new b' },
    ]);
    const a = await wh.getTable(ref('a'));
    assert.equal(a?.labels.run, 'new');
    assert.equal(a?.expiresAt, null, 'a published table keeps no staging expiry');
    // Retried after it happened: nothing to move, nothing changes.
    await wh.swapTables(moves);
    assert.deepEqual(await wh.query('SELECT v FROM swap.a'), [{ v: 'new a' }]);
  });

  test('a swap failing on one table changes none of them', async () => {
    const ref = (table: string) => ({ dataset: 'swap2', table });
    await wh.runToTable({ sql: "SELECT 'old' AS v", destination: ref('a') });
    await wh.runToTable({ sql: "SELECT 'new' AS v", destination: ref('staged_a') });
    await wh.runToTable({ sql: "SELECT 'new' AS v", destination: ref('staged_v') });
    await wh.execute('CREATE VIEW swap2.v AS SELECT 1 AS x');
    await assert.rejects(
      wh.swapTables([
        { from: ref('staged_a'), to: ref('a') },
        { from: ref('staged_v'), to: ref('v') },
      ]),
      /it is a view/,
    );
    assert.deepEqual(await wh.query('SELECT v FROM swap2.a'), [{ v: 'old' }]);
    assert.deepEqual(
      (await wh.listTables('swap2')).map((t) => t.ref.table),
      ['a', 'staged_a', 'staged_v', 'v'],
    );
    await assert.rejects(
      wh.swapTables([{ from: ref('staged_a'), to: { dataset: 'elsewhere', table: 'a' } }]),
      /different datasets/,
    );
  });

  test('query returns plain values: BigInt → number or string, DATE, TIMESTAMP, nested', async () => {
    const [row] = await wh.query(`SELECT
      42::BIGINT AS small, 9007199254740993::BIGINT AS big, 12345678901234567890::UBIGINT AS ubig, 10::HUGEINT AS huge,
      DATE '2024-02-29' AS d, TIMESTAMP '2024-02-29 13:14:15.678' AS ts,
      [1::BIGINT, 2::BIGINT] AS list, {'k': DATE '2020-01-01', 'n': 5::BIGINT} AS s, 1.5::DECIMAL(10,2) AS dec`);
    assert.deepEqual(row, {
      small: 42,
      big: '9007199254740993',
      ubig: '12345678901234567890',
      huge: 10,
      d: '2024-02-29',
      ts: '2024-02-29T13:14:15.678Z',
      list: [1, 2],
      s: { k: '2020-01-01', n: 5 },
      dec: 1.5,
    });
  });

  test('readRows reads a table: every column or the chosen ones, values as query returns them', async () => {
    const ref = { dataset: 'ds', table: 'listed' };
    await wh.runToTable({
      sql: `SELECT 'a' AS metric, 1.5::DOUBLE AS y, 3::BIGINT AS count, DATE '2024-01-02' AS day`,
      destination: ref,
    });
    assert.deepEqual(await wh.readRows(ref), [{ metric: 'a', y: 1.5, count: 3, day: '2024-01-02' }]);
    assert.deepEqual(await wh.readRows(ref, ['count', 'metric']), [{ count: 3, metric: 'a' }]);
    await assert.rejects(wh.readRows({ dataset: 'ds', table: 'never_written' }), /never_written/);
  });

  test('dryRun binds the query and estimates the bytes of the columns it reads', async () => {
    assert.deepEqual(await wh.dryRun('SELECT 1'), {
      bytesProcessed: 0,
      method: 'column_sizes',
      referencedTables: [],
    });
    await assert.rejects(
      wh.dryRun('SELECT * FROM nowhere.nothing'),
      (e) => e instanceof WarehouseQueryError && /Catalog Error/.test(e.message),
    );
  });

  test('abort interrupts a running query with an AbortError and reports progress meanwhile', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const slow = 'SELECT count(*) FROM range(4000000000) a WHERE a.range % 7 = 3';
    const running = wh.runToTable({
      sql: slow,
      destination: { dataset: 'analysis', table: 'slow' },
      signal: controller.signal,
      onProgress: ({ elapsedMs }) => progress.push(elapsedMs),
    });
    setTimeout(() => controller.abort(), 250);
    await assert.rejects(running, (error: Error) => error.name === 'AbortError');
    assert.ok(progress.length >= 2, `progress reported ${progress.length} times`);
    assert.equal(await wh.tableExists({ dataset: 'analysis', table: 'slow' }), false);
    // The connection is usable afterwards.
    assert.deepEqual(await wh.query('SELECT 1 AS one'), [{ one: 1 }]);
  });

  test('an already-aborted or queued job is rejected without running', async () => {
    await assert.rejects(wh.query('SELECT 1', { signal: AbortSignal.abort() }), { name: 'AbortError' });
    const controller = new AbortController();
    const blocker = wh.query('SELECT count(*) AS n FROM range(300000000) a WHERE a.range % 7 = 3');
    const queued = wh.query('SELECT 1', { signal: controller.signal });
    controller.abort();
    await assert.rejects(queued, { name: 'AbortError' });
    assert.deepEqual(await blocker, [{ n: 42857143 }]);
  });
});

describe('DuckDbWarehouse (files)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'contrail-wh-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('a file the file system will not take is a warehouse error naming it, with what to do for a full or read-only disk', async () => {
    // A file where a directory of the path should be: DuckDB cannot create the database there.
    writeFileSync(join(dir, 'in-the-way'), '');
    const path = join(dir, 'in-the-way', 'warehouse.duckdb');
    await assert.rejects(
      openDuckDbWarehouse({ path }),
      (error: unknown) =>
        error instanceof WarehouseQueryError &&
        error.message.startsWith(`warehouse query failed: cannot open DuckDB warehouse ${path}: IO Error: `),
    );
    // DuckDB's words for a disk that filled mid-run and for a read-only mount, as it says them:
    // the whole warehouse is unavailable (no query or config line at fault), said the same for
    // every write (the WAL or the database file), with DuckDB's own words kept in the details.
    const full =
      'FATAL Error: Failed: database has been invalidated because of a previous fatal error. The database must be restarted prior to being used again.\nOriginal error: "Failed to create checkpoint because of error: Could not write file "/data/warehouse.duckdb": No space left on device"';
    // The file in the data directory (CONTRAIL_HOME's): moved by that setting.
    const env = { CONTRAIL_HOME: '/data' };
    const fullError = embeddedStorageError({ file: '/data/warehouse.duckdb', duckdbMessage: full, env });
    assert.ok(fullError instanceof WarehouseUnavailableError);
    assert.equal(
      fullError.message,
      'warehouse query failed: the file system holding the embedded warehouse /data/warehouse.duckdb is full: free space there, or set CONTRAIL_HOME to a directory with room, and run the command again (the file system said: No space left on device)',
    );
    assert.equal(fullError.storage, 'full');
    // Space may be freed: retried (by the activity's bounded policy).
    assert.equal(fullError.permanent, false);
    assert.equal(fullError.details.duckdbMessage, full);
    const wal =
      'TransactionContext Error: Failed to commit: Could not write file "/data/warehouse.duckdb.wal": No space left on device';
    assert.equal(
      embeddedStorageError({ file: '/data/warehouse.duckdb', duckdbMessage: wal, env })?.message,
      fullError.message,
    );
    const readOnly = 'IO Error: Cannot open file "/data/warehouse.duckdb": Read-only file system';
    const readOnlyError = embeddedStorageError({
      file: '/data/warehouse.duckdb',
      duckdbMessage: readOnly,
      env,
    });
    assert.equal(
      readOnlyError?.message,
      'warehouse query failed: the embedded warehouse /data/warehouse.duckdb is on a read-only file system: set CONTRAIL_HOME to a directory you can write to (the file system said: Read-only file system)',
    );
    assert.equal(readOnlyError?.storage, 'read-only');
    assert.equal(readOnlyError?.permanent, true);
    assert.equal(
      embeddedStorageError({ file: null, duckdbMessage: 'Binder Error: column x not found' }),
      null,
    );

    // A file CONTRAIL_DUCKDB_PATH placed is moved by that setting, not by CONTRAIL_HOME (whose data
    // directory it is not in); one no setting placed (a caller's own) is named to be moved.
    const placed = { CONTRAIL_HOME: '/data', CONTRAIL_DUCKDB_PATH: '/mnt/big/warehouse.duckdb' };
    const refused = (file: string, duckdbMessage: string, env: NodeJS.ProcessEnv) =>
      embeddedStorageError({ file, duckdbMessage, env })?.message;
    assert.equal(
      refused('/mnt/big/warehouse.duckdb', full, placed),
      'warehouse query failed: the file system holding the embedded warehouse /mnt/big/warehouse.duckdb is full: free space there, or set CONTRAIL_DUCKDB_PATH to a file in a directory with room, and run the command again (the file system said: No space left on device)',
    );
    assert.equal(
      refused('/mnt/big/warehouse.duckdb', readOnly, placed),
      'warehouse query failed: the embedded warehouse /mnt/big/warehouse.duckdb is on a read-only file system: set CONTRAIL_DUCKDB_PATH to a file in a directory you can write to (the file system said: Read-only file system)',
    );
    assert.equal(
      refused('/srv/own.duckdb', readOnly, placed),
      'warehouse query failed: the embedded warehouse /srv/own.duckdb is on a read-only file system: move the warehouse file to a directory you can write to (the file system said: Read-only file system)',
    );
    // The telemetry stays in the data directory whatever CONTRAIL_DUCKDB_PATH says.
    assert.match(
      refused('/data/mozdata.duckdb', full, placed) ?? '',
      /or set CONTRAIL_HOME to a directory with room,/,
    );
  });

  test('dataset expiry is recorded, reported and enforced on open', async () => {
    const path = join(dir, 'expiry.duckdb');
    let now = Date.UTC(2024, 0, 1);
    const clock = () => now;
    let wh = await openDuckDbWarehouse({ path, now: clock });
    await wh.createDataset('previews', { expirationDays: 2 });
    await wh.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'previews', table: 'p1' } });
    await wh.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'kept', table: 'k1' } });
    const [info] = await wh.listTables('previews');
    assert.equal(info?.expiresAt, now + 2 * 86_400_000);
    assert.equal((await wh.getTable({ dataset: 'kept', table: 'k1' }))?.expiresAt, null);
    await assert.rejects(wh.createDataset('previews', { expirationDays: -1 }), /expirationDays/);
    // An existing dataset keeps its own expiry, and says whether its tables expire.
    assert.deepEqual(await wh.createDataset('previews', { expirationDays: 7 }), {
      created: false,
      expires: true,
    });
    assert.deepEqual(await wh.createDataset('kept', { expirationDays: 7 }), {
      created: false,
      expires: false,
    });
    await wh.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'kept', table: 'k2' } });
    assert.equal(
      (await wh.getTable({ dataset: 'kept', table: 'k2' }))?.expiresAt,
      null,
      'kept does not expire',
    );
    assert.deepEqual(await wh.createDataset('fresh', { expirationDays: 7 }), {
      created: true,
      expires: true,
    });
    await wh.close();

    now += 3 * 86_400_000;
    wh = await openDuckDbWarehouse({ path, now: clock });
    assert.equal(await wh.tableExists({ dataset: 'previews', table: 'p1' }), false);
    assert.equal(await wh.tableExists({ dataset: 'kept', table: 'k1' }), true);
    assert.deepEqual(
      await wh.query(`SELECT count(*) AS n FROM contrail_meta.tables WHERE dataset = 'previews'`),
      [{ n: 0 }],
    );
    await wh.close();
  });

  test('attached catalogs take three-part names; datasets "catalog.schema" write into them', async () => {
    const wh = await openDuckDbWarehouse({
      path: join(dir, 'main.duckdb'),
      attach: { mozdata: join(dir, 'moz.duckdb') },
    });
    await wh.runToTable({
      sql: 'SELECT 7 AS v',
      destination: { dataset: 'mozdata.telemetry', table: 'clients_daily' },
    });
    assert.deepEqual(await wh.query('SELECT v FROM mozdata.telemetry.clients_daily'), [{ v: 7 }]);
    assert.deepEqual(
      (await wh.listTables('mozdata.telemetry')).map((t) => t.ref.table),
      ['clients_daily'],
    );
    await wh.close();
  });

  test('a table the files lack: the table, the file looked in and what to do, never a half-written result', async () => {
    const main = join(dir, 'fresh.duckdb');
    const mozdata = join(dir, 'fresh-mozdata.duckdb');
    const wh = await openDuckDbWarehouse({ path: main, attach: { mozdata } });
    const destination = { dataset: 'tmp', table: '1_click_enrollments' };
    // Telemetry (an attached catalog) on a data directory where `contrail sample` never ran.
    await assert.rejects(
      wh.runToTable({ sql: 'SELECT client_id\nFROM mozdata.telemetry.events e', destination }),
      (error) => {
        assert.ok(error instanceof MissingTableError, String(error));
        assert.equal(error.table, 'mozdata.telemetry.events');
        assert.equal(error.file, mozdata);
        assert.equal(error.permanent, true);
        assert.ok(
          error.message.includes(
            `table mozdata.telemetry.events does not exist in the embedded warehouse (${mozdata}), which holds no telemetry yet: run \`contrail sample\``,
          ),
          error.message,
        );
        assert.match(error.message, /CONTRAIL_HOME.*BigQuery/);
        assert.equal(error.noTelemetry, true);
        // Nothing of DuckDB's words: with no telemetry at all, no name in a config is wrong.
        assert.doesNotMatch(error.message, /Catalog Error/);
        // The line of the query DuckDB points at is kept, to locate the config that reads the table.
        assert.equal(error.sqlLine, 2);
        assert.deepEqual(error.destination, destination);
        return true;
      },
    );
    // A dry run (the cost estimate) says the same; a schema that exists, the table not.
    await wh.runToTable({
      sql: 'SELECT 1 AS a',
      destination: { dataset: 'mozdata.telemetry', table: 'other' },
    });
    await assert.rejects(wh.dryRun('SELECT * FROM "mozdata"."telemetry"."events"'), (error) => {
      assert.ok(error instanceof MissingTableError);
      assert.equal(error.table, 'mozdata.telemetry.events');
      assert.equal(error.file, mozdata);
      // Telemetry is there, only not this table: what the file holds, and DuckDB's words to locate the name.
      assert.equal(error.noTelemetry, false);
      assert.ok(
        error.message.includes(
          `(${mozdata}), which holds telemetry.other: check the table the config reads, or set CONTRAIL_HOME`,
        ),
        error.message,
      );
      assert.doesNotMatch(error.message, /contrail sample/);
      assert.match(error.message, /Catalog Error/);
      return true;
    });
    // A name too long for DuckDB's excerpt, cut short there (`…_by_p...`): still the telemetry
    // file's table, named in full, not one of the warehouse's own.
    const long = 'mozdata.firefox_desktop.urlbar_events_daily_engagement_by_product_result_type';
    await assert.rejects(
      wh.dryRun(`SELECT *\nFROM (\n  SELECT client_id FROM\n      ${long}\n)`),
      (error) => {
        assert.ok(error instanceof MissingTableError);
        assert.match(
          error.message,
          /LINE 4: +mozdata\.firefox_desktop\.urlbar_events_daily_engagement_by_p\.\.\./,
        );
        assert.equal(error.table, long);
        assert.equal(error.file, mozdata);
        assert.ok(
          error.message.includes(
            `table ${long} does not exist in the embedded warehouse (${mozdata}), which holds telemetry.other`,
          ),
          error.message,
        );
        return true;
      },
    );
    // The warehouse's own tables are in its main file; nothing to sample there.
    await assert.rejects(wh.query('SELECT * FROM tmp.nothing_here'), (error) => {
      assert.ok(error instanceof MissingTableError);
      assert.ok(
        error.message.includes(`table tmp.nothing_here does not exist in the embedded warehouse (${main})\n`),
        error.message,
      );
      assert.doesNotMatch(error.message, /contrail sample/);
      return true;
    });
    assert.deepEqual(await wh.listTables('tmp'), []);
    await wh.close();
  });
});
