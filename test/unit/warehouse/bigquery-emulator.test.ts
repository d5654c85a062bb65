import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resultLabels } from '../../../src/analysis/labels.js';
import { collisionRefusals, EXPERIMENT_LABEL } from '../../../src/analysis/ownership.js';
import { publishStaged, runTables } from '../../../src/analysis/staging.js';
import { SettingsError } from '../../../src/settings.js';
import { statisticsViewSql } from '../../../src/sql/plan/views.js';
import type { BigQueryWarehouse } from '../../../src/warehouse/bigquery.js';
import { MissingTableError, WarehouseQueryError } from '../../../src/warehouse/errors.js';
import { retryingWarehouse } from '../../../src/warehouse/retry.js';
import { type BigQueryEmulator, startBigQueryEmulator } from '../../helpers/bigquery-emulator.js';
import { checkOldLogsTableMigrated } from '../../helpers/logs-table.js';
import { assertOnlyLoopback } from '../../helpers/loopback.js';

/**
 * The BigQuery adapter's whole Warehouse contract, through Google's real client, against the
 * BigQuery emulator on loopback (what the emulator cannot show — real byte counts, retryable
 * errors, polling and cancellation — is in bigquery-recorded.test.ts).
 */
const DATASET = 'contrail';
const T = { dataset: DATASET, table: 'results' };

let emulator: BigQueryEmulator;
let wh: BigQueryWarehouse;

before(async () => {
  emulator = await startBigQueryEmulator();
  wh = emulator.warehouse();
  await wh.createDataset(DATASET);
});

after(async () => {
  await wh?.close();
  await emulator?.stop();
  assertOnlyLoopback();
});

const fq = (table: string) => `\`${emulator.project}.${DATASET}.${table}\``;

describe('BigQueryWarehouse on the emulator', () => {
  test('renders and runs in BigQuery SQL: the adapter states its dialect', () => {
    assert.equal(wh.dialect, 'bigquery');
    assert.equal(wh.sqlDialect.name, 'bigquery');
    assert.equal(wh.sqlDialect.table(T), fq('results'));
  });

  test('runToTable writes a destination table, replaces (never appends) and labels it', async () => {
    const first = await wh.runToTable({
      sql: 'SELECT x FROM UNNEST(GENERATE_ARRAY(1, 5)) AS x',
      destination: T,
      labels: { schema_version: '4', tool_version: '0-1-0', build_id: 'b1', config_commit: 'abc123' },
      description: 'statistics of a test',
    });
    assert.equal(first.rows, 5);
    assert.equal(typeof first.bytesProcessed, 'number');
    const labelled = await wh.getTable(T);
    assert.equal(labelled?.labels.schema_version, '4');
    assert.equal(labelled?.labels.config_commit, 'abc123');
    const second = await wh.runToTable({ sql: 'SELECT 1 AS x UNION ALL SELECT 2', destination: T });
    assert.equal(second.rows, 2);
    assert.deepEqual(await wh.query(`SELECT COUNT(*) AS n FROM ${fq('results')}`), [{ n: 2 }]);
    const info = await wh.getTable(T);
    assert.ok(info);
    // A replaced table carries the labels of the write that replaced it, as on DuckDB.
    assert.deepEqual(Object.keys(info.labels), ['last_updated']);
    assert.ok(Math.abs(Number(info.labels.last_updated) - Date.now()) < 60_000);
  });

  test('a table description is written with the table', async () => {
    const ref = { dataset: DATASET, table: 'described' };
    await wh.runToTable({ sql: 'SELECT 1 AS x', destination: ref, description: 'statistics of a test' });
    const [metadata] = await wh.client.dataset(DATASET).table('described').getMetadata();
    assert.equal((metadata as { description?: string }).description, 'statistics of a test');
  });

  test('SQL BigQuery rejects is a permanent error naming the table, and leaves no table', async () => {
    const ref = { dataset: DATASET, table: 'broken' };
    await assert.rejects(
      wh.runToTable({ sql: 'SELECT no_such_column FROM UNNEST([1])', destination: ref }),
      (error) => {
        assert.ok(error instanceof WarehouseQueryError);
        assert.equal(error.permanent, true);
        assert.deepEqual(error.destination, ref);
        assert.match(error.warehouseMessage, /invalidQuery|Unrecognized name/);
        return true;
      },
    );
    assert.equal(await wh.tableExists(ref), false);
  });

  test('replace: false refuses an existing table (the enrollments table is written once)', async () => {
    const ref = { dataset: DATASET, table: 'enrollments_once' };
    await wh.runToTable({ sql: "SELECT 'a' AS analysis_id", destination: ref, replace: false });
    const before = await wh.getTable(ref);
    await assert.rejects(
      wh.runToTable({ sql: "SELECT 'b' AS analysis_id", destination: ref, replace: false }),
      (error) => error instanceof WarehouseQueryError && error.permanent,
    );
    assert.deepEqual(await wh.query(`SELECT analysis_id FROM ${fq('enrollments_once')}`), [
      { analysis_id: 'a' },
    ]);
    assert.equal((await wh.getTable(ref))?.labels.last_updated, before?.labels.last_updated);
  });

  test('writeRows: typed rows from the process, replace and append, an empty table keeps its columns', async () => {
    const ref = { dataset: DATASET, table: 'rows' };
    const columns = [
      { name: 'metric', type: 'STRING' as const },
      { name: 'point', type: 'FLOAT64' as const },
      { name: 'n', type: 'INT64' as const },
      { name: 'ok', type: 'BOOL' as const },
      { name: 'day', type: 'DATE' as const },
      { name: 'at', type: 'TIMESTAMP' as const },
    ];
    await wh.writeRows({
      destination: ref,
      columns,
      rows: [
        {
          metric: 'it\'s "quoted"',
          point: 1.5,
          n: 3,
          ok: true,
          day: '2024-01-02',
          at: '2024-01-02T03:04:05.000Z',
        },
        { metric: null, point: null, n: null, ok: null, day: null, at: null },
      ],
      labels: { schema_version: '4' },
    });
    assert.deepEqual(await wh.query(`SELECT * FROM ${fq('rows')} ORDER BY n DESC`), [
      {
        metric: 'it\'s "quoted"',
        point: 1.5,
        n: 3,
        ok: true,
        day: '2024-01-02',
        at: '2024-01-02T03:04:05.000Z',
      },
      { metric: null, point: null, n: null, ok: null, day: null, at: null },
    ]);
    await wh.writeRows({ destination: ref, columns, rows: [{ metric: 'x', n: 1 }], mode: 'append' });
    assert.deepEqual(await wh.query(`SELECT COUNT(*) AS n FROM ${fq('rows')}`), [{ n: 3 }]);
    await wh.writeRows({ destination: ref, columns, rows: [] });
    assert.deepEqual(await wh.query(`SELECT COUNT(*) AS n FROM ${fq('rows')}`), [{ n: 0 }]);
    assert.equal(
      (await wh.getTable(ref))?.labels.schema_version,
      undefined,
      'replace writes the labels given',
    );
    await assert.rejects(
      wh.writeRows({ destination: ref, columns, rows: [{ metric: 'x', extra: 1 }] }),
      /unknown column "extra"/,
    );
  });

  test('readRows lists a table without a query job: the values query returns, all or chosen columns', async () => {
    const ref = { dataset: DATASET, table: 'listed' };
    await wh.writeRows({
      destination: ref,
      columns: [
        { name: 'metric', type: 'STRING' as const },
        { name: 'y', type: 'FLOAT64' as const },
        { name: 'count', type: 'INT64' as const },
        { name: 'day', type: 'DATE' as const },
      ],
      rows: [
        { metric: 'a', y: 1.5, count: 3, day: '2024-01-02' },
        { metric: 'b', y: null, count: 12, day: null },
      ],
    });
    const byMetric = (rows: Record<string, unknown>[]) =>
      [...rows].sort((a, b) => String(a.metric).localeCompare(String(b.metric)));
    const [jobsBefore] = await wh.client.getJobs({ allUsers: true });
    const listed = await wh.readRows(ref);
    const [jobsAfter] = await wh.client.getJobs({ allUsers: true });
    assert.equal(jobsAfter.length, jobsBefore.length, 'no job was started');
    assert.deepEqual(byMetric(listed), byMetric(await wh.query(`SELECT * FROM ${fq('listed')}`)));
    const [jobsAfterQuery] = await wh.client.getJobs({ allUsers: true });
    assert.ok(jobsAfterQuery.length > jobsAfter.length, 'a query starts a job (the count sees jobs)');
    assert.deepEqual(byMetric(listed), [
      { metric: 'a', y: 1.5, count: 3, day: '2024-01-02' },
      { metric: 'b', y: null, count: 12, day: null },
    ]);
    assert.deepEqual(byMetric(await wh.readRows(ref, ['metric', 'count'])), [
      { metric: 'a', count: 3 },
      { metric: 'b', count: 12 },
    ]);
    await assert.rejects(wh.readRows({ dataset: DATASET, table: 'never_written' }), (error: Error) =>
      /never_written/.test(error.message),
    );
  });

  test('readRows of a table this adapter just wrote asks BigQuery for its rows only, and reads right after a change', async () => {
    const ref = { dataset: DATASET, table: 'written_then_read' };
    // Every request Google's client sends, as the adapter's requests reach it.
    const seen: string[] = [];
    const client = wh.client as unknown as { makeAuthenticatedRequest: (...args: unknown[]) => unknown };
    const send = client.makeAuthenticatedRequest;
    client.makeAuthenticatedRequest = Object.assign((...args: unknown[]) => {
      const options = args[0] as { method?: string; uri?: string };
      seen.push(
        `${options.method ?? 'GET'} ${String(options.uri)
          .replace(/^.*\/bigquery\/v2/, '')
          .replace(/\?.*/, '')}`,
      );
      return send.apply(wh.client, args);
    }, send);
    try {
      await wh.runToTable({ sql: "SELECT 'a' AS metric, 2 AS n UNION ALL SELECT 'b', 5", destination: ref });
      seen.length = 0;
      const rows = await wh.readRows(ref, ['n', 'metric']);
      assert.deepEqual(
        [...rows].sort((a, b) => Number(a.n) - Number(b.n)),
        [
          { metric: 'a', n: 2 },
          { metric: 'b', n: 5 },
        ],
      );
      const table = `/projects/${emulator.project}/datasets/${DATASET}/tables/written_then_read`;
      assert.deepEqual(seen, [`GET ${table}/data`], 'the rows, without asking for the table first');
      // Rewritten with other columns in another order: read with the new ones.
      await wh.runToTable({ sql: "SELECT 7 AS n, 'c' AS metric, 1.5 AS y", destination: ref });
      assert.deepEqual(await wh.readRows(ref), [{ n: 7, metric: 'c', y: 1.5 }]);
      // Changed by a statement the adapter cannot follow: the table's schema is asked for again.
      await wh.execute(`ALTER TABLE ${fq('written_then_read')} DROP COLUMN metric`);
      assert.deepEqual(await wh.readRows(ref), [{ n: 7, y: 1.5 }]);
    } finally {
      client.makeAuthenticatedRequest = send;
    }
  });

  test('a query reading a table BigQuery lacks is a MissingTableError naming the table', async () => {
    for (const run of [
      () => wh.query(`SELECT * FROM ${fq('never_written')}`),
      () =>
        wh.runToTable({
          sql: `SELECT * FROM ${fq('never_written')}`,
          destination: { dataset: DATASET, table: 'from_nothing' },
        }),
    ]) {
      await assert.rejects(run(), (error: unknown) => {
        assert.ok(error instanceof MissingTableError, String(error));
        assert.match(error.table, /never_written/);
        assert.match(error.message, /Not found: Table/);
        assert.equal(error.permanent, true);
        return true;
      });
    }
    // In a project the caller cannot read, BigQuery will not say whether the table exists.
    for (const run of [
      () => wh.query('SELECT * FROM `some-other-project.telemetry.events`'),
      () => wh.dryRun('SELECT * FROM `some-other-project.telemetry.events`'),
    ]) {
      await assert.rejects(run(), (error: unknown) => {
        assert.ok(error instanceof MissingTableError, String(error));
        assert.equal(error.table, 'some-other-project:telemetry.events');
        assert.match(
          error.message,
          /BigQuery \(accessDenied\): Access Denied: Table some-other-project:telemetry\.events: /,
        );
        assert.equal(error.permanent, true);
        return true;
      });
    }
  });

  test('execute runs DDL (views over tables)', async () => {
    await wh.execute(`CREATE OR REPLACE VIEW ${fq('results_view')} AS SELECT x FROM ${fq('results')}`);
    assert.deepEqual(await wh.query(`SELECT COUNT(*) AS n FROM ${fq('results_view')}`), [{ n: 2 }]);
  });

  test("tableColumns reads a table's schema as GoogleSQL types; a view over tables with different columns stacks them by name", async () => {
    const week1 = { dataset: DATASET, table: 'stats_week_1' };
    const week2 = { dataset: DATASET, table: 'stats_week_2' };
    await wh.runToTable({
      sql: "SELECT 'active_hours' AS metric, 1.5 AS point, 7 AS n, [1, 2] AS xs, STRUCT(true AS ok) AS s",
      destination: week1,
    });
    // Another config's or version's window: without n, xs and s, its columns in another order.
    await wh.runToTable({ sql: "SELECT 2.5 AS point, 'searches' AS metric", destination: week2 });
    const columns1 = await wh.tableColumns(week1);
    assert.deepEqual(columns1, [
      { name: 'metric', type: 'STRING' },
      { name: 'point', type: 'FLOAT64' },
      { name: 'n', type: 'INT64' },
      { name: 'xs', type: 'ARRAY<INT64>' },
      { name: 's', type: 'STRUCT<`ok` BOOL>' },
    ]);
    assert.equal(await wh.tableColumns({ dataset: DATASET, table: 'missing' }), null);
    const columns2 = (await wh.tableColumns(week2)) ?? [];
    const view = { dataset: DATASET, table: 'stats_view' };
    await wh.execute(
      statisticsViewSql(wh.sqlDialect, view, [
        { ref: week2, columns: columns2 },
        { ref: week1, columns: columns1 ?? [] },
      ]),
    );
    assert.deepEqual(
      await wh.query(`SELECT metric, point, n, xs, s.ok AS ok FROM ${fq('stats_view')} ORDER BY metric`),
      [
        { metric: 'active_hours', point: 1.5, n: 7, xs: [1, 2], ok: true },
        { metric: 'searches', point: 2.5, n: null, xs: [], ok: null },
      ],
    );
  });

  test('dryRun validates without running (bytes: the emulator reports 0); bad SQL is permanent', async () => {
    const { bytesProcessed } = await wh.dryRun(`SELECT * FROM ${fq('results')}`);
    assert.equal(typeof bytesProcessed, 'number');
    await assert.rejects(wh.dryRun(`SELECT nope FROM ${fq('results')}`), (error) => {
      assert.ok(error instanceof WarehouseQueryError);
      assert.equal(error.permanent, true);
      return true;
    });
  });

  test('labels merge; getTable of a missing table is null; labelling one is a permanent error', async () => {
    await wh.setLabels(T, { extra: 'e' });
    const info = await wh.getTable(T);
    assert.equal(info?.labels.extra, 'e');
    assert.ok(info?.labels.last_updated);
    assert.equal(await wh.getTable({ dataset: DATASET, table: 'missing' }), null);
    await assert.rejects(
      wh.setLabels({ dataset: DATASET, table: 'missing' }, { a: 'b' }),
      (error) => error instanceof WarehouseQueryError && error.permanent,
    );
    await assert.rejects(wh.setLabels(T, { BAD: 'x' }), /invalid label key/);
  });

  test('datasets get a default table expiration (previews expire after 7 days)', async () => {
    await wh.createDataset('previews', { expirationDays: 7 });
    await wh.createDataset('previews', { expirationDays: 7 });
    const ref = { dataset: 'previews', table: 'statistics_x_day_1' };
    await wh.runToTable({ sql: 'SELECT 1 AS x', destination: ref });
    const expiresAt = (await wh.getTable(ref))?.expiresAt ?? 0;
    assert.ok(
      Math.abs(expiresAt - (Date.now() + 7 * 86_400_000)) < 3_600_000,
      `expires at ${new Date(expiresAt).toISOString()}`,
    );
    assert.equal((await wh.getTable(T))?.expiresAt, null, 'the results dataset has no expiry');
    // An existing dataset keeps its own expiry (a preview never makes lasting results expire).
    assert.deepEqual(await wh.createDataset('previews', { expirationDays: 3 }), {
      created: false,
      expires: true,
    });
    assert.deepEqual(await wh.createDataset(T.dataset, { expirationDays: 7 }), {
      created: false,
      expires: false,
    });
    const lasting = { dataset: T.dataset, table: 'lasting_after_a_preview' };
    await wh.runToTable({ sql: 'SELECT 1 AS x', destination: lasting });
    assert.equal((await wh.getTable(lasting))?.expiresAt, null);
  });

  test("a backfill's analyses creating one new dataset at once all go on: the emulator's conflict is retried", async () => {
    // Each analysis of a backfill makes sure the run's dataset exists, at the same moment. The
    // emulator fails one of such a pair (often, not always) as a DuckLake commit conflict, where
    // BigQuery would say the dataset already exists: retried, it finds the dataset.
    for (let round = 0; round < 6; round++) {
      const dataset = `created_at_once_${round}`;
      const analyses = [1, 2, 3].map(() => retryingWarehouse(emulator.warehouse(), { minTimeoutMs: 20 }));
      const results = await Promise.all(analyses.map((w) => w.createDataset(dataset)));
      assert.equal(results.filter((r) => r.created).length >= 1, true, JSON.stringify(results));
      await Promise.all(analyses.map((w) => w.close()));
    }
  });

  test('a dataset in another location than the jobs is refused before any job, naming the setting', async () => {
    await emulator.warehouse({ location: 'EU' }).createDataset('results_in_eu');
    await assert.rejects(
      wh.createDataset('results_in_eu'),
      (error: Error) =>
        error instanceof SettingsError &&
        error.permanent &&
        error.message.includes(`${emulator.project}:results_in_eu is in location EU`) &&
        error.message.includes('CONTRAIL_BIGQUERY_LOCATION=EU') &&
        error.message.includes('choose a dataset in US'),
    );
    await assert.rejects(wh.createDataset('results_in_eu', { expirationDays: 7 }), SettingsError);
    // Locations are case-insensitive: a dataset made in `EU` is where `eu` jobs run.
    assert.deepEqual(await emulator.warehouse({ location: 'eu' }).createDataset('results_in_eu'), {
      created: false,
      expires: false,
    });
  });

  test('list by experiment (name prefix) and drop; dropping a missing table is fine', async () => {
    for (const table of [
      'enrollments_exp_a',
      'exp_a_enrollments_clients_daily_day_1',
      'exp_b_enrollments_clients_daily_day_1',
    ]) {
      await wh.runToTable({ sql: 'SELECT 1 AS x', destination: { dataset: DATASET, table } });
    }
    const mine = await wh.listTables(DATASET, 'exp_a_');
    assert.deepEqual(
      mine.map((t) => t.ref.table),
      ['exp_a_enrollments_clients_daily_day_1'],
    );
    assert.ok(mine[0]?.labels.last_updated);
    await wh.dropTable({ dataset: DATASET, table: 'exp_a_enrollments_clients_daily_day_1' });
    await wh.dropTable({ dataset: DATASET, table: 'exp_a_enrollments_clients_daily_day_1' });
    assert.deepEqual(
      (await wh.listTables(DATASET, 'exp_a_')).map((t) => t.ref.table),
      [],
    );
    assert.deepEqual(await wh.listTables('no_such_dataset'), []);
  });

  test('the same work (jobKey) twice runs one job: a retry finds its own finished job', async () => {
    const ref = { dataset: DATASET, table: 'retried' };
    const work = {
      sql: 'SELECT 42 AS answer',
      destination: ref,
      jobKey: 'analysis/exp/2024-01-01:run-1:activity-7',
    };
    await wh.runToTable(work);
    await wh.runToTable(work);
    await wh.runToTable({ ...work, jobKey: 'analysis/exp/2024-01-01:run-2:activity-7' });
    const [jobs] = await wh.client.getJobs({ autoPaginate: true });
    const ids = jobs.map((j) => j.id ?? '').filter((id) => id.startsWith('contrail_retried_'));
    assert.equal(ids.length, 2, `one job per run of the work: ${ids.join(', ')}`);
  });

  test('writeRows merge adds only rows whose key is new, and columns an older table lacks', async () => {
    const ref = { dataset: DATASET, table: 'merged_logs' };
    await wh.writeRows({
      destination: ref,
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
    assert.equal((await wh.writeRows({ destination: ref, columns, rows, mode: 'merge', key: 'id' })).rows, 2);
    await wh.writeRows({
      destination: ref,
      columns,
      rows: [...rows, { message: 'c', id: 'k3' }],
      mode: 'merge',
      key: 'id',
    });
    assert.deepEqual(await wh.query(`SELECT message, id FROM ${fq('merged_logs')} ORDER BY message`), [
      { message: 'a', id: 'k1' },
      { message: 'b', id: 'k2' },
      { message: 'c', id: 'k3' },
      { message: 'old', id: null },
    ]);
  });

  test("a logs table an older contrail wrote gains jetstream's columns, keeping its rows", async () => {
    await checkOldLogsTableMigrated(wh, 'old_logs', `\`${emulator.project}.old_logs.logs\``);
  });

  test('writeRows merge refreshes the named columns of a row whose key the table holds', async () => {
    const ref = { dataset: DATASET, table: 'refreshed_logs' };
    const columns = [
      { name: 'message', type: 'STRING' as const },
      { name: 'seen', type: 'STRING' as const },
      { name: 'id', type: 'STRING' as const },
    ];
    const write = (rows: Record<string, unknown>[]) =>
      wh.writeRows({ destination: ref, columns, rows, mode: 'merge', key: 'id', refresh: ['seen'] });
    await write([{ message: 'a', seen: 'monday', id: 'k1' }]);
    await write([
      { message: 'a, said otherwise', seen: 'tuesday', id: 'k1' },
      { message: 'b', seen: 'tuesday', id: 'k2' },
    ]);
    assert.deepEqual(await wh.query(`SELECT message, seen, id FROM ${fq('refreshed_logs')} ORDER BY id`), [
      { message: 'a', seen: 'tuesday', id: 'k1' },
      { message: 'b', seen: 'tuesday', id: 'k2' },
    ]);
  });

  test('swapTables copies staged tables in with their labels, drops the rest, and skips moves already made', async () => {
    const dataset = 'contrail_swap';
    await wh.createDataset(dataset);
    const ref = (table: string) => ({ dataset, table });
    await wh.runToTable({
      sql: "SELECT 'old a' AS v",
      destination: ref('a'),
      labels: { run: 'old', stale: 'x' },
    });
    await wh.runToTable({ sql: "SELECT 'old gone' AS v", destination: ref('gone') });
    await wh.runToTable({
      sql: "SELECT 'new a' AS v",
      destination: ref('staged_a'),
      labels: { run: 'new' },
      expirationDays: 3,
    });
    const staged = await wh.getTable(ref('staged_a'));
    assert.ok(
      staged?.expiresAt && Math.abs(staged.expiresAt - (Date.now() + 3 * 86_400_000)) < 60_000,
      'a staged table expires',
    );
    await wh.runToTable({ sql: "SELECT 'new b' AS v", destination: ref('staged_b') });
    const moves = [
      { from: ref('staged_a'), to: ref('a') },
      { from: ref('staged_b'), to: ref('b') },
    ];
    await wh.swapTables(moves, { drop: [ref('gone')] });
    assert.deepEqual(
      (await wh.listTables(dataset)).map((t) => t.ref.table),
      ['a', 'b'],
    );
    const fqs = (table: string) => `\`${emulator.project}.${dataset}.${table}\``;
    assert.deepEqual(
      await wh.query(`SELECT v FROM ${fqs('a')} UNION ALL SELECT v FROM ${fqs('b')} ORDER BY v`),
      [{ v: 'new a' }, { v: 'new b' }],
    );
    const a = await wh.getTable(ref('a'));
    assert.equal(a?.labels.run, 'new');
    assert.equal(a?.labels.stale, undefined, 'the published table carries the staged labels only');
    assert.equal(a?.expiresAt, null, 'a published table keeps no staging expiry');
    await wh.swapTables(moves);
    assert.deepEqual(await wh.query(`SELECT v FROM ${fqs('a')}`), [{ v: 'new a' }]);
  });

  test("publishing a run's staged tables swaps every one in, even once the activity is cancelled", async () => {
    // BigQuery's swap is one copy job per table: a cancellation heeded between two of them left
    // a day's tables part this run's, part the last run's or missing.
    const dataset = 'contrail_publish_cancelled';
    await wh.createDataset(dataset);
    const run = await runTables(wh, { run: 'analysis/x/2026-03-13', dataset, slug: 'x' });
    for (const table of ['statistics_x_day_5', 'x_exposures_preenrollment_weekly'])
      await wh.runToTable({ sql: "SELECT 'new' AS v", destination: { dataset, table: run.written(table) } });
    const cancelled = new AbortController();
    cancelled.abort(new Error('activity cancelled'));
    const published = await publishStaged(wh, dataset, run, 'x', {
      job: () => ({ signal: cancelled.signal }),
      step: () => {},
    });
    assert.deepEqual(published.published, ['statistics_x_day_5', 'x_exposures_preenrollment_weekly']);
    assert.deepEqual(
      (await wh.listTables(dataset)).map((t) => t.ref.table),
      ['statistics_x_day_5', 'x_exposures_preenrollment_weekly'],
    );
  });

  test("publishing drops the experiment's scans of the older naming that its new scans replace, never another experiment's", async () => {
    // A dataset an older contrail analysed: foo scanned clients_daily, and foo-search
    // clients_daily under the name foo's scan of search_clients_daily would have had.
    const dataset = 'contrail_older_scans';
    await wh.createDataset(dataset);
    // Tables made through the API (no query job each): only their names matter here.
    const create = (table: string) =>
      wh.client.dataset(dataset).createTable(table, { schema: [{ name: 'v', type: 'STRING' }] });
    for (const table of [
      'enrollments_foo_search',
      'metrics_foo_clients_daily_week_1',
      'metrics_foo_search_clients_daily_week_1',
    ])
      await create(table);
    // foo's analysis of the week again, by this build: its scans under the length-prefixed names.
    const run = await runTables(wh, { run: 'backfill/foo', dataset, slug: 'foo' });
    for (const table of ['metrics_3_foo_clients_daily_week_1', 'metrics_3_foo_search_clients_daily_week_1'])
      await create(run.written(table));
    const published = await publishStaged(wh, dataset, run, 'foo', { job: () => ({}), step: () => {} });
    assert.deepEqual(published.superseded, ['metrics_foo_clients_daily_week_1']);
    // The name foo-search's older scan has stays, as does everything of foo-search's.
    assert.deepEqual(
      (await wh.listTables(dataset)).map((t) => t.ref.table),
      [
        'enrollments_foo_search',
        'metrics_3_foo_clients_daily_week_1',
        'metrics_3_foo_search_clients_daily_week_1',
        'metrics_foo_search_clients_daily_week_1',
      ],
    );
  });

  test("a published table's experiment label, listed, refuses another experiment of the same table names", async () => {
    // The copy job that publishes carries the staged table's labels over: the owner is read from the listing.
    const dataset = 'contrail_owned';
    await wh.createDataset(dataset);
    const run = await runTables(wh, { run: 'analysis/my-exp/2026-03-15', dataset, slug: 'my-exp' });
    const labels = resultLabels(
      { configCommit: null, anchor: null },
      { version: '0.1.0', buildId: 'b' },
      'my-exp',
    );
    await wh.runToTable({
      sql: 'SELECT 1 AS x',
      destination: { dataset, table: run.written('enrollments_my_exp') },
      labels,
    });
    await publishStaged(wh, dataset, run, 'my-exp', { job: () => ({}), step: () => {} });
    assert.equal((await wh.listTables(dataset))[0]?.labels[EXPERIMENT_LABEL], 'my-exp');
    const refusals = await collisionRefusals(wh, {
      dataset,
      analysed: ['my-exp', 'my_exp'],
      known: ['my-exp', 'my_exp'],
    });
    assert.deepEqual([...refusals.keys()], ['my_exp']);
    assert.match(
      refusals.get('my_exp')?.message ?? '',
      /contrail_owned\.enrollments_my_exp belongs to experiment my-exp/,
    );
  });

  test('names contrail puts into SQL are validated before any job starts', async () => {
    await assert.rejects(
      wh.runToTable({ sql: 'SELECT 1', destination: { dataset: DATASET, table: 'x; DROP TABLE y' } }),
      /invalid table name/,
    );
  });
});
