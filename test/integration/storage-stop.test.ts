import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { defaultExperimentsFile, localExperimentSource } from '../../src/experiments/source.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { readAnchor } from '../../src/versions/anchor.js';
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
/** Two more experiments like the demo one, so that the daily run has three to analyse on 2026-03-09. */
const TWINS = [`${DEMO_SLUG}-b`, `${DEMO_SLUG}-c`];
/** An experiment that ended on 2026-03-08, to rerun: its week windows are due on most of its dates. */
const RERUN_SLUG = 'contrail-demo-search-bar';
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
 * date alike: a preview, a backfill, the daily run and a rerun stop at the first date or
 * experiment it fails, say it once with what they did not attempt, start nothing after it and
 * publish nothing more. A warehouse that did not answer (not its storage) stops none: the next
 * date may well go through.
 */
describe('a warehouse whose storage fails stops a preview, backfill, daily run or rerun at the first date', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  let worker: Worker;
  let running: Promise<void>;
  /**
   * The warehouse's writes fail from the first activity `failing` holds for (by its date and
   * experiment), until one it does not; an activity of no date leaves the fault as it is,
   * unless `dateless` says.
   */
  let scenario: {
    failing: (date: string, slug: string | null) => boolean;
    fault: 'read-only' | 'unanswered';
    dateless?: boolean;
  } | null = null;
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
              env: { CONTRAIL_HOME: dirname(FILE) },
            })
          : new WarehouseUnavailableError({ warehouseMessage: 'connection reset by peer', permanent: true });
      },
      async () => undefined,
    );
    const experimentsFile = join(mkdtempSync(join(tmpdir(), 'contrail-storage-stop-')), 'experiments.json');
    const experiments = JSON.parse(readFileSync(defaultExperimentsFile({}), 'utf8')) as {
      slug: string;
      id: number;
    }[];
    const demo = experiments.find((e) => e.slug === DEMO_SLUG);
    const twins = TWINS.map((slug, i) => ({ ...demo, slug, id: 9900 + i }));
    writeFileSync(experimentsFile, JSON.stringify([...experiments, ...twins]));
    const deps = testDeps(refusing, {
      configRepos: [lightConfigRepo()],
      experiments: localExperimentSource(experimentsFile),
    });
    const activities = createActivities(deps);
    const watched = Object.fromEntries(
      Object.entries(activities).map(([name, fn]) => [
        name,
        async (input: { date?: unknown; target?: { slug?: unknown } } | undefined) => {
          const date = typeof input?.date === 'string' ? input.date : null;
          const slug = typeof input?.target?.slug === 'string' ? input.target.slug : null;
          calls.push([name, slug, date].filter((part) => part !== null).join(' '));
          if (scenario !== null && date !== null)
            fault = scenario.failing(date, slug) ? scenario.fault : null;
          else if (scenario?.dateless !== undefined) fault = scenario.dateless ? scenario.fault : null;
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
    failing: (date: string, slug: string | null) => boolean,
    kind: 'read-only' | 'unanswered',
    args: string[],
    options: { dateless?: boolean } = {},
  ) {
    scenario = { failing, fault: kind, ...options };
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
      /^ {2}2026-03-15 {2}metrics_21_contrail_demo_sidebar_clients_daily_day_7 {2}not run \(not attempted: the warehouse's storage failed\) /m,
      output,
    );
    // Said once, naming the warehouse file and what to do.
    assert.equal(output.split(FILE).length - 1, 1, output);
    assert.match(result.stdout, /set CONTRAIL_HOME to a directory you can write to/, output);
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      `contrail: preview of ${DEMO_SLUG} stopped on 2026-03-14: the embedded warehouse's storage failed (its file system is read-only); 1 later date not attempted: what to do is said in its report`,
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
    assert.ok(calls.includes(`computeStatistics ${DEMO_SLUG} 2026-03-15`), calls.join('\n'));
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
      calls.filter((c) => c.endsWith('2026-03-15') || c.startsWith('publish ')),
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

  const daily = (dataset: string) => [
    'run',
    '--date',
    '2026-03-09',
    '--analysis_periods',
    'day',
    '--concurrency',
    '1',
    '--dataset_id',
    dataset,
  ];

  test('a daily run whose warehouse turns read-only on one experiment starts no later experiment', async () => {
    const [second, third] = TWINS as [string, string];
    const result = await withFault((_, slug) => slug !== DEMO_SLUG, 'read-only', daily('storage_daily'));
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 1, output);
    // One at a time: the demo experiment first, then the one that failed; nothing of the third ran.
    assert.ok(calls.includes(`publish ${DEMO_SLUG}`), calls.join('\n'));
    assert.ok(calls.includes(`planDay ${second} 2026-03-09`), calls.join('\n'));
    assert.deepEqual(
      calls.filter((c) => c.includes(third)),
      [],
      calls.join('\n'),
    );
    assert.match(
      result.stdout,
      /^daily analysis 2026-03-09: 1 analysed, 2 with nothing due, 1 failed, 1 not attempted$/m,
      output,
    );
    assert.match(
      result.stdout,
      new RegExp(
        `^ {2}STOPPED on ${second}: the embedded warehouse's storage failed \\(its file system is read-only\\); 1 experiment not attempted \\(${third}: each would fail alike\\); the experiments that finished are published, the others keep the results they had:$`,
        'm',
      ),
      output,
    );
    assert.match(result.stdout, new RegExp(`^ {2}ok {4}${DEMO_SLUG} \\(analyzed, 1 statistics table;`, 'm'));
    // Said once, naming the warehouse file and what to do; not again as a failure of its own.
    assert.equal(output.split(FILE).length - 1, 1, output);
    assert.doesNotMatch(result.stdout, /FAIL {2}/, output);
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      `contrail: daily analysis 2026-03-09 stopped on ${second}: the embedded warehouse's storage failed (its file system is read-only); 1 experiment not attempted, they keep the results they had: what to do is said in its report`,
    );
    // The experiment that finished before it is published.
    assert.ok(await published('storage_daily', 1));
  });

  test('a daily run whose warehouse did not answer on one experiment (not its storage) still analyses the next', async () => {
    const [second, third] = TWINS as [string, string];
    const result = await withFault((_, slug) => slug === second, 'unanswered', daily('unanswered_daily'));
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 1, output);
    assert.ok(calls.includes(`planDay ${third} 2026-03-09`), calls.join('\n'));
    assert.match(
      result.stdout,
      /^daily analysis 2026-03-09: \d+ analysed, \d+ with nothing due, 1 failed$/m,
      output,
    );
    assert.doesNotMatch(result.stdout, /STOPPED/, output);
  });

  /** Every published statistics table of the rerun experiment with its rows, and its anchor. */
  async function publishedOf(dataset: string) {
    const tables = await warehouse.listTables(dataset, `statistics_${RERUN_SLUG.replaceAll('-', '_')}`);
    const rows = await Promise.all(
      tables.map(async ({ ref }) => [ref.table, await warehouse.readRows(ref)] as const),
    );
    return { rows: Object.fromEntries(rows), anchor: await readAnchor(warehouse, dataset, RERUN_SLUG) };
  }
  /** The rerun experiment's results published by a backfill of one date, so that a rerun has some to leave alone. */
  async function publishOneDate(dataset: string) {
    const backfill = await runMain(
      [
        'run',
        '--experiment_slug',
        RERUN_SLUG,
        '--date',
        '2026-03-01',
        '--analysis_periods',
        'week',
        '--dataset_id',
        dataset,
      ],
      temporal.env,
    );
    assert.equal(backfill.code, 0, `${backfill.stdout}\n${backfill.stderr}`);
    const before = await publishedOf(dataset);
    assert.ok(Object.keys(before.rows).length > 0 && before.anchor !== null, JSON.stringify(before));
    return before;
  }
  const rerunArgs = (dataset: string) => [
    'rerun',
    '--experiment_slug',
    RERUN_SLUG,
    '--analysis_periods',
    'week',
    '--concurrency',
    '1',
    '--dataset_id',
    dataset,
  ];
  /** The dates of the rerun's analyses that were started (planned), in order. */
  const plannedDates = () => calls.flatMap((c) => (c.startsWith('planDay ') ? [c.split(' ')[2]] : []));

  test('a rerun whose warehouse turns read-only on its first date starts no other date, publishes nothing and puts the anchor back', async () => {
    const before = await publishOneDate('storage_rerun');
    // The disk refuses the analyses' writes; the anchor can be put back.
    const result = await withFault(() => true, 'read-only', rerunArgs('storage_rerun'), { dateless: false });
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 1, output);
    // The last date first and alone, then nothing.
    assert.deepEqual(plannedDates(), ['2026-03-08'], calls.join('\n'));
    assert.deepEqual(
      calls.filter((c) => c.startsWith('publish ')),
      [],
      calls.join('\n'),
    );
    assert.match(
      result.stdout,
      /^rerun of contrail-demo-search-bar: published nothing, dropped 0 earlier tables and views; 0\/29 dates analysed, 8 with nothing due, 1 failed, 20 not attempted$/m,
      output,
    );
    assert.match(
      result.stdout,
      /^ {2}STOPPED on 2026-03-08: the embedded warehouse's storage failed \(its file system is read-only\); 20 dates not attempted \(each would fail alike\); nothing published, the published results are as they were, its anchor is as it was:$/m,
      output,
    );
    assert.equal(output.split(FILE).length - 1, 1, output);
    assert.doesNotMatch(result.stdout, /FAIL {2}/, output);
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      `contrail: rerun of ${RERUN_SLUG} stopped on 2026-03-08: the embedded warehouse's storage failed (its file system is read-only); 20 dates not attempted, nothing published: what to do is said in its report`,
    );
    assert.deepEqual(await publishedOf('storage_rerun'), before);
  });

  test('a rerun whose warehouse turns read-only after its first date starts no later one and publishes nothing', async () => {
    const before = await publishOneDate('storage_rerun_later');
    // The last date (analysed first) goes through; from the next on the disk stays read-only.
    const result = await withFault(
      (date) => date < '2026-03-08',
      'read-only',
      rerunArgs('storage_rerun_later'),
    );
    const output = `${result.stdout}\n${result.stderr}`;
    assert.equal(result.code, 1, output);
    const planned = plannedDates();
    assert.equal(planned.length, 2, calls.join('\n'));
    assert.equal(planned[0], '2026-03-08');
    assert.ok(calls.includes(`computeStatistics ${RERUN_SLUG} 2026-03-08`), calls.join('\n'));
    assert.deepEqual(
      calls.filter((c) => c.startsWith('publish ')),
      [],
      calls.join('\n'),
    );
    assert.match(
      result.stdout,
      new RegExp(
        `^ {2}STOPPED on ${planned[1]}: the embedded warehouse's storage failed \\(its file system is read-only\\); 19 dates not attempted \\(each would fail alike\\); nothing published, the published results are as they were; its anchor could not be put back \\(the same error\\): until a rerun finishes, its analyses run on contrail `,
        'm',
      ),
      output,
    );
    assert.match(
      result.stdout,
      /^rerun of contrail-demo-search-bar: published nothing, dropped 0 earlier tables and views; 1\/29 dates analysed, 8 with nothing due, 1 failed, 19 not attempted$/m,
      output,
    );
    assert.equal(output.split(FILE).length - 1, 1, output);
    // What the last date staged is not published: the published tables are as they were.
    assert.deepEqual((await publishedOf('storage_rerun_later')).rows, before.rows);
  });
});
