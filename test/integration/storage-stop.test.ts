import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { embeddedStorageError, WarehouseUnavailableError } from '../../src/warehouse/errors.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { type WarehouseCall, WrappedWarehouse } from '../../src/warehouse/wrapped.js';
import { createContrailWorker } from '../../src/worker.js';
import { runMain } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { lightConfigRepo, sampleWarehouse } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/** The warehouse file the refusals name, as the DuckDB adapter names its own. */
const FILE = '/srv/contrail/warehouse.duckdb';
/** Three dates of the demo experiment, each with its day window due (day 5, 6, 7). */
const DATES = ['2026-03-13', '2026-03-14', '2026-03-15'];
const WRITES = new Set<WarehouseCall['method']>([
  'runToTable',
  'writeRows',
  'execute',
  'swapTables',
  'dropTable',
  'createDataset',
  'setLabels',
]);

/**
 * The embedded warehouse's file system refusing its writes (read-only, or full) fails every
 * date alike: a preview and a backfill stop at the first date it fails, say it once with the
 * dates they did not attempt, start nothing after it and publish nothing more. A warehouse that
 * did not answer (not its storage) stops neither: the next date may well go through.
 */
describe('a warehouse whose storage fails stops a preview or backfill at the first date', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  let worker: Worker;
  let running: Promise<void>;
  /** The warehouse's writes fail from the first activity of a date `failing` holds, until one of a date it does not. */
  let scenario: { failing: (date: string) => boolean; fault: 'read-only' | 'unanswered' } | null = null;
  let fault: 'read-only' | 'unanswered' | null = null;
  /** `<activity> <date>` (the date, when the activity has one) of every activity call. */
  let calls: string[] = [];

  before(async () => {
    temporal = await testTemporal();
    warehouse = await sampleWarehouse(2000);
    const refusing = new WrappedWarehouse(
      warehouse.dialect,
      warehouse.sqlDialect,
      async (call, run) => {
        if (fault === null || !WRITES.has(call.method)) return run(warehouse);
        throw fault === 'read-only'
          ? embeddedStorageError({
              file: FILE,
              duckdbMessage: `IO Error: Could not write file "${FILE}.wal": Read-only file system`,
            })
          : new WarehouseUnavailableError({ warehouseMessage: 'connection reset by peer', permanent: true });
      },
      async () => undefined,
    );
    const deps = testDeps(refusing, { configRepos: [lightConfigRepo()] });
    const activities = createActivities(deps);
    const watched = Object.fromEntries(
      Object.entries(activities).map(([name, fn]) => [
        name,
        async (input: { date?: unknown } | undefined) => {
          const date = typeof input?.date === 'string' ? input.date : null;
          calls.push(date === null ? name : `${name} ${date}`);
          if (scenario !== null && date !== null) fault = scenario.failing(date) ? scenario.fault : null;
          return await (fn as (i: unknown) => Promise<unknown>)(input);
        },
      ]),
    );
    worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      deps,
      overrides: { activities: watched },
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await warehouse.close();
    await temporal.close();
  });

  /** Runs a command with writes failing as `failing` says; the warehouse is whole again after. */
  async function withFault(
    failing: (date: string) => boolean,
    kind: 'read-only' | 'unanswered',
    args: string[],
  ) {
    scenario = { failing, fault: kind };
    calls = [];
    try {
      return await runMain(args, temporal.env);
    } finally {
      scenario = null;
      fault = null;
    }
  }
  const published = (dataset: string, dayIndex: number) =>
    warehouse.tableExists({ dataset, table: `statistics_contrail_demo_sidebar_day_${dayIndex}` });
  const common = ['--experiment_slug', DEMO_SLUG, '--analysis_periods', 'day'];
  const previewArgs = (dataset: string) => [
    'preview',
    ...common,
    '--start_date',
    DATES[0] as string,
    '--end_date',
    DATES[2] as string,
    '--sample_size',
    '100',
    '--dataset_id',
    dataset,
  ];

  test('a preview whose warehouse turns read-only on its second date reports it once and attempts no later date', async () => {
    const result = await withFault(
      (date) => date >= '2026-03-14',
      'read-only',
      previewArgs('storage_preview'),
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 1, output);
    // Nothing of the third date ran: not even its plan.
    assert.deepEqual(
      calls.filter((c) => c.endsWith('2026-03-15')),
      [],
      calls.join('\n'),
    );
    // The first date finished and is reported; the second failed, on the warehouse's storage.
    assert.match(result.stdout, /^ {2}2026-03-13: statistics_contrail_demo_sidebar_day_5 /m, output);
    assert.match(result.stdout, /^FAILED on 1 of 3 dates: 2026-03-14$/m, output);
    assert.match(
      result.stdout,
      /^STOPPED on 2026-03-14: the embedded warehouse's storage failed \(its file system is read-only\); 2026-03-15 not attempted \(each would fail alike\); query costs not recorded:$/m,
      output,
    );
    assert.match(
      result.stdout,
      /^ {2}2026-03-15 {2}metrics_contrail_demo_sidebar_clients_daily_day_7 {2}not run \(not attempted: the warehouse's storage failed\) /m,
      output,
    );
    // Said once, naming the warehouse file and what to do.
    assert.equal(output.split(FILE).length - 1, 1, output);
    assert.match(result.stdout, /set CONTRAIL_HOME to a directory you can write to/, output);
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      `contrail: preview of ${DEMO_SLUG} stopped on 2026-03-14: the embedded warehouse's storage failed (its file system is read-only); 1 later date not attempted: what to do is said above`,
    );
    // The date that finished is published; the one that failed is not, even in part.
    assert.ok(await published('storage_preview', 5));
    assert.ok(!(await published('storage_preview', 6)));
  });

  test('a preview whose warehouse did not answer on one date (not its storage) still analyses the next', async () => {
    const result = await withFault(
      (date) => date === '2026-03-14',
      'unanswered',
      previewArgs('unanswered_preview'),
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 1, output);
    assert.ok(calls.includes('computeStatistics 2026-03-15'), calls.join('\n'));
    assert.match(result.stdout, /^FAILED on 1 of 3 dates: 2026-03-14$/m, output);
    assert.doesNotMatch(result.stdout, /STOPPED/, output);
    assert.ok(await published('unanswered_preview', 7));
  });

  test('a backfill whose warehouse turns read-only starts no later experiment-day and publishes nothing', async () => {
    const result = await withFault((date) => date >= '2026-03-14', 'read-only', [
      'backfill',
      ...common,
      '--start_date',
      DATES[0] as string,
      '--end_date',
      DATES[2] as string,
      '--concurrency',
      '1',
      '--dataset_id',
      'storage_backfill',
    ]);
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 1, output);
    assert.deepEqual(
      calls.filter((c) => c.endsWith('2026-03-15') || c === 'publish'),
      [],
      calls.join('\n'),
    );
    assert.match(
      result.stdout,
      /^3 experiment-days: 1 analysed, 0 with nothing due, 1 failed, 1 not attempted$/m,
      output,
    );
    assert.match(
      result.stdout,
      new RegExp(
        `^ {2}STOPPED on ${DEMO_SLUG} 2026-03-14: the embedded warehouse's storage failed \\(its file system is read-only\\); 1 experiment-day not attempted \\(each would fail alike\\); nothing published, the published tables are as they were:$`,
        'm',
      ),
      output,
    );
    assert.equal(output.split(FILE).length - 1, 1, output);
    assert.doesNotMatch(result.stdout, /FAIL {2}/, output);
    // The day that finished stays staged: publishing a backfill's part would mix in.
    assert.ok(!(await published('storage_backfill', 5)));
  });
});
