import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { localExperimentSource } from '../../src/experiments/source.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { errorFromFailure } from '../../src/temporal/failures.js';
import { parseFaults, withFaults } from '../../src/warehouse/faults.js';
import { retryingWarehouse } from '../../src/warehouse/retry.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { WrappedWarehouse } from '../../src/warehouse/wrapped.js';
import { createContrailWorker } from '../../src/worker.js';
import { cliEntry, repoRoot, runCli } from '../helpers/cli.js';
import { datasetContents, tablesWithDuplicates } from '../helpers/dataset-contents.js';
import { testDeps } from '../helpers/deps.js';
import { exited, warehouseProcess } from '../helpers/other-process.js';
import { processesWithEnv } from '../helpers/processes.js';
import {
  configRepoWith,
  DEMO_EXPERIMENTS_FILE,
  lightConfigRepo,
  sampleWarehouse,
} from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * An embedded backfill of the demo experiment over 7 days, as a person runs it, compared with a
 * clean run of the same on a copy of the same sample: with 30 % of warehouse calls failing and
 * another process taking the warehouse file now and then, and killed (SIGKILL) at four points
 * and run again. Both must end with the clean run's tables (row for row, logs included, no row
 * twice) and its statistics exports, and leave no process behind.
 */

const DATASET = 'failures';
const BACKFILL = [
  'backfill',
  '--experiment_slug',
  DEMO_SLUG,
  '--start_date',
  '2026-03-09',
  '--end_date',
  '2026-03-15',
  '--dataset_id',
  DATASET,
];
const SUMMARY = /^7 experiment-days: 7 analysed, 0 with nothing due, 0 failed$/m;

/**
 * Embedded mode in its own data directory; a marker finds every process the command started.
 * The demo configs with light bootstraps: what is compared is the tables and exports of two
 * runs, which are equal at any number of bootstrap samples.
 */
function envFor(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    CONTRAIL_HOME: home,
    TEMPORAL_ADDRESS: '',
    CONTRAIL_EXPORT_DIR: join(home, 'exports'),
    CONTRAIL_CONFIG_REPOS: lightConfigRepo(),
    ...extra,
  };
}

/** The statistics export files of the dataset, by name. */
function statisticsExports(home: string): Map<string, string> {
  const dir = join(home, 'exports', DATASET, 'statistics');
  const files = existsSync(dir) ? readdirSync(dir).sort() : [];
  return new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** Starts the CLI; `stopped` resolves once it reports reaching its fault stop point. */
function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stopped: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const stopped = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const at = /contrail fault: stopped at (.*)/.exec(stderr)?.[1];
      if (at) resolve(at);
    });
    child.once('exit', (code) =>
      reject(new Error(`contrail exited ${code} before its stop point:\n${stderr}`)),
    );
  });
  return { child, stopped };
}

async function gone(marker: string, withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const alive = processesWithEnv('CONTRAIL_TEST_MARKER', marker);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('an embedded backfill under warehouse faults, a second process and SIGKILL', () => {
  const root = mkdtempSync(join(tmpdir(), 'contrail-failures-'));
  const home = (name: string) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const clean = home('clean');
  let reference: Map<string, string[]>;
  let referenceExports: Map<string, string>;

  /** A copy of the clean home's sample, before any analysis. */
  const copyOfSample = (name: string) => {
    const dir = home(name);
    for (const file of ['warehouse.duckdb', 'mozdata.duckdb'])
      copyFileSync(join(root, 'sample', file), join(dir, file));
    return dir;
  };

  before(async () => {
    const sample = await runCli(['sample', '--clients', '800'], { env: envFor(home('sample')) });
    assert.equal(sample.code, 0, sample.stderr);
    for (const file of ['warehouse.duckdb', 'mozdata.duckdb'])
      copyFileSync(join(root, 'sample', file), join(clean, file));
    const run = await runCli(BACKFILL, { env: envFor(clean) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, SUMMARY);
    reference = await datasetContents(join(clean, 'warehouse.duckdb'), DATASET);
    referenceExports = statisticsExports(clean);
    assert.ok(reference.has('statistics_contrail_demo_sidebar_week_1'), [...reference.keys()].join(', '));
    assert.ok(referenceExports.size > 0, 'the clean run exported statistics');
  });

  /** The run's tables and exports are the clean run's; no table holds a row twice. */
  async function assertSameAsClean(dir: string): Promise<void> {
    const contents = await datasetContents(join(dir, 'warehouse.duckdb'), DATASET);
    assert.deepEqual([...contents.keys()], [...reference.keys()], 'the same tables (no staging tables left)');
    const differing = [...reference].filter(
      ([t, rows]) => JSON.stringify(rows) !== JSON.stringify(contents.get(t)),
    );
    assert.deepEqual(
      differing.map(([t]) => t),
      [],
      'every table holds the clean run’s rows',
    );
    assert.deepEqual(tablesWithDuplicates(contents), []);
    assert.deepEqual(statisticsExports(dir), referenceExports);
  }

  test('30 % of warehouse calls failing, another process taking the file: the same results, exit 0 with the summary', async () => {
    const faulty = copyOfSample('faulty');
    const path = join(faulty, 'warehouse.duckdb');
    // Another process takes the warehouse file for 1.5 s every 4 s while the backfill runs.
    let running = true;
    let holds = 0;
    const taker = (async () => {
      while (running) {
        await new Promise((r) => setTimeout(r, 2500));
        if (!running) break;
        const holder = warehouseProcess(['hold', path]);
        if ((await holder.ready) === 'open') holds++;
        await new Promise((r) => setTimeout(r, 1500));
        holder.child.stdin.end();
        await exited(holder.child);
      }
    })();
    const run = await runCli(BACKFILL, { env: envFor(faulty, { CONTRAIL_FAULTS: 'warehouse:0.3,seed:5' }) });
    running = false;
    await taker;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, SUMMARY);
    const injected = run.stderr.match(/contrail fault: injected fault/g)?.length ?? 0;
    assert.ok(injected > 30, `${injected} faults injected`);
    assert.ok(holds > 0, 'another process held the file during the backfill');
    await assertSameAsClean(faulty);
  });

  test('killed after enrollments, mid-metrics, mid-statistics and mid-publish, then run again: the same results, nothing left running', async () => {
    const killed = copyOfSample('killed');
    const points = [
      'stop:runToTable:metrics_@1', // enrollments written, the first metrics scan starting
      'stop:runToTable:staging_@4', // some per-basis metrics tables staged
      'stop:writeRows:staging_@3', // some statistics tables staged
      'stop:execute@2', // tables swapped in, views half written, no export yet
    ];
    for (const point of points) {
      const marker = randomUUID();
      const { child, stopped } = startCli(
        BACKFILL,
        envFor(killed, { CONTRAIL_FAULTS: point, CONTRAIL_TEST_MARKER: marker }),
      );
      try {
        const at = await stopped;
        assert.ok(
          processesWithEnv('CONTRAIL_TEST_MARKER', marker).length > 1,
          'the dev server runs beside it',
        );
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        assert.deepEqual(await gone(marker, 15_000), [], `nothing left running after the kill at ${at}`);
      } finally {
        // Whatever the outcome, this test leaves nothing it started running.
        child.kill('SIGKILL');
        for (const pid of processesWithEnv('CONTRAIL_TEST_MARKER', marker)) process.kill(pid, 'SIGKILL');
      }
    }
    const run = await runCli(BACKFILL, { env: envFor(killed) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, SUMMARY);
    await assertSameAsClean(killed);
  });
});

describe('under injected warehouse faults, each permanent error is attempted once and keeps its class', () => {
  let temporal: TestTemporal;
  let sample: Warehouse;
  let worker: Worker;
  let running: Promise<void>;
  /** Calls that reached DuckDB, by method and table. */
  const reached = new Map<string, number>();

  const experimentsFile = join(
    mkdtempSync(join(tmpdir(), 'contrail-failures-experiments-')),
    'experiments.json',
  );
  const demo = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[];
  const sidebar = demo.find((e) => e.slug === DEMO_SLUG)!;
  const CASES = [
    // A config with a misspelt statistic parameter: refused when the day is planned.
    {
      slug: 'contrail-test-config-error',
      errorType: 'ConfigError',
      activity: 'planDay',
      config:
        '[metrics]\nweekly = ["active_hours"]\n\n[metrics.active_hours.statistics.bootstrap_mean]\nnum_sampels = 100\n',
    },
    // SQL the warehouse rejects: the metrics scan fails in DuckDB.
    {
      slug: 'contrail-test-sql-error',
      errorType: 'PlannedQueryError',
      activity: 'computeMetrics',
      config:
        '[metrics]\nweekly = ["broken"]\n\n[metrics.broken]\nselect_expression = "SUM(no_such_column)"\ndata_source = "clients_daily"\n\n[metrics.broken.statistics.bootstrap_mean]\n',
    },
    // An experiment nobody knows.
    { slug: 'contrail-test-unknown', errorType: 'UnknownExperimentError', activity: 'planDay', config: null },
  ];

  before(async () => {
    writeFileSync(
      experimentsFile,
      JSON.stringify([
        ...demo,
        ...CASES.filter((c) => c.config !== null).map((c) => ({ ...sidebar, slug: c.slug })),
      ]),
    );
    const configRepo = configRepoWith(
      Object.fromEntries(
        CASES.filter((c) => c.config !== null).map((c) => [`jetstream/${c.slug}.toml`, c.config]),
      ),
    );
    temporal = await testTemporal();
    sample = await sampleWarehouse(300);
    const counting = new WrappedWarehouse(
      sample.dialect,
      sample.sqlDialect,
      (call, run) => {
        const key = `${call.method} ${call.table?.table ?? ''}`;
        reached.set(key, (reached.get(key) ?? 0) + 1);
        return run(sample);
      },
      () => sample.close(),
    );
    const warehouse = retryingWarehouse(withFaults(counting, parseFaults('warehouse:0.3,seed:9')!), {
      retries: 8,
      minTimeoutMs: 1,
      maxTimeoutMs: 10,
    });
    worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      deps: testDeps(warehouse, {
        configRepos: [configRepo],
        experiments: localExperimentSource(experimentsFile),
      }),
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await sample.close();
    await temporal.close();
  });

  test('config, SQL and unknown-experiment errors: one attempt each, in the history and in the warehouse', async () => {
    for (const c of CASES) {
      const handle = await temporal.client.workflow.start('analyzeExperiment', {
        taskQueue: temporal.taskQueue,
        workflowId: `failures/${c.slug}/${temporal.taskQueue}`,
        args: [{ slug: c.slug, date: '2026-03-15', periods: ['week'], dataset: 'faults_permanent' }],
      });
      const failure = await handle.result().then(
        () => assert.fail(`${c.slug} should fail`),
        (error: unknown) => error,
      );
      assert.equal(errorFromFailure(failure).name, c.errorType, c.slug);

      // The failed activity's attempts, as the history records them.
      const history = await handle.fetchHistory();
      const types = new Map<string, string>();
      const attempts = new Map<string, number>();
      let failed: string | null = null;
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled) types.set(String(event.eventId), scheduled.activityType?.name ?? '');
        const started = event.activityTaskStartedEventAttributes;
        if (started) attempts.set(String(started.scheduledEventId), started.attempt ?? 0);
        const failedEvent = event.activityTaskFailedEventAttributes;
        if (failedEvent) failed = String(failedEvent.scheduledEventId);
      }
      assert.ok(failed, `${c.slug}: an activity failed`);
      assert.equal(types.get(failed), c.activity, c.slug);
      assert.equal(attempts.get(failed), 1, `${c.slug}: ${c.errorType} is attempted once`);
    }
    // The rejected SQL reached the warehouse once: the retries around each call pass a permanent error on.
    assert.equal(reached.get('runToTable metrics_contrail_test_sql_error_clients_daily_week_1'), 1);
    assert.ok(
      [...reached.values()].some((n) => n > 1),
      'faults made some calls run again',
    );
  });
});
