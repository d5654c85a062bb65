import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
import { runCli, spawnCli } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { BACKFILL, type CleanRun, cleanRun, envFor, SUMMARY } from '../helpers/embedded-backfill.js';
import { exited, warehouseProcess } from '../helpers/other-process.js';
import { marked, processMarker } from '../helpers/processes.js';
import { configRepoWith, DEMO_EXPERIMENTS_FILE, sampleWarehouse } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * The clean run the embedded backfills are compared with, made once. It runs the CLI's main in
 * this process, which sets this process's environment and captures its output while it runs:
 * the in-process worker of the permanent-error tests starts only after it.
 */
let cleanMade: Promise<CleanRun> | null = null;
const theCleanRun = () => {
  cleanMade ??= cleanRun('contrail-failures-');
  return cleanMade;
};

/**
 * The two groups share nothing but the clean run (each its own data directories, task queues
 * and workflow ids) and run side by side: the embedded backfills mostly wait on processes of
 * their own, which leaves room for the permanent-error workflows on the test server.
 */
describe('failure behaviour', { concurrency: true }, () => {
  /**
   * An embedded backfill of the demo experiment over 2 days (test/helpers/embedded-backfill.ts),
   * once with 30 % of warehouse calls failing and another process taking the warehouse file now
   * and then, once killed (SIGKILL) at four points and run again: each must end with the clean
   * run's tables and exports and leave no process behind. The two share one clean run and run
   * side by side, each in its own data directory. A marker in the environment finds every process
   * a command started.
   */
  describe('an embedded backfill under warehouse faults, a second process, or SIGKILL', {
    concurrency: true,
  }, () => {
    let clean: CleanRun;
    before(async () => {
      clean = await theCleanRun();
    });

    test('30 % of warehouse calls failing, another process taking the file: the same results, exit 0 with the summary', async () => {
      const faulty = clean.copyOfSample('faulty');
      const path = join(faulty, 'warehouse.duckdb');
      // Another process takes the warehouse file for 1.5 s every 4 s while the backfill runs.
      // One process taking it again and again: it prints "open" each time it has the file.
      const taker = warehouseProcess(['cycle', path, '2500', '1500']);
      // It may end before it first had the file, which `ready` reports as an error.
      taker.ready.catch(() => undefined);
      let said = '';
      taker.child.stdout.on('data', (d: Buffer) => {
        said += d.toString();
      });
      // Which calls fail is a hash of the seed and the call: this seed fails 45 of the backfill's
      // calls (each retry is a call too), well past the 30 checked below, none five times running.
      const run = await runCli(BACKFILL, {
        env: envFor(faulty, { CONTRAIL_FAULTS: 'warehouse:0.3,seed:7' }),
      });
      taker.child.stdin.end();
      assert.equal(await exited(taker.child), 0, 'the other process ended without an error');
      const holds = said.match(/^open$/gm)?.length ?? 0;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, SUMMARY);
      const injected = run.stderr.match(/contrail fault: injected fault/g)?.length ?? 0;
      assert.ok(injected > 30, `${injected} faults injected`);
      assert.ok(holds > 0, 'another process held the file during the backfill');
      await clean.assertSameAsClean(faulty);
    });

    test('killed after enrollments, mid-metrics, mid-statistics and mid-publish, then run again: the same results, nothing left running', async () => {
      const killed = clean.copyOfSample('killed');
      const points = [
        'stop:runToTable:staging_@1', // enrollments written, the first metrics scan starting
        'stop:runToTable:staging_@4', // some metrics scans and per-basis metrics tables staged
        'stop:writeRows:staging_@3', // some statistics tables staged
        'stop:execute@2', // tables swapped in, views half written, no export yet
      ];
      for (const point of points) {
        const marker = processMarker();
        const cli = spawnCli(BACKFILL, {
          env: envFor(killed, { CONTRAIL_FAULTS: point, ...marker.env }),
        });
        try {
          await cli.waitForStderr(/contrail fault: stopped at (.*)/);
          const at = /contrail fault: stopped at (.*)/.exec(cli.stderr())?.[1];
          assert.ok(marker.pids().length > 1, 'the dev server runs beside it');
          cli.child.kill('SIGKILL');
          await cli.done;
          assert.deepEqual(
            await marked(marker.pids, 15_000),
            [],
            `nothing left running after the kill at ${at}`,
          );
        } finally {
          // Whatever the outcome, this test leaves nothing it started running.
          cli.child.kill('SIGKILL');
          for (const pid of marker.pids()) process.kill(pid, 'SIGKILL');
        }
      }
      const run = await runCli(BACKFILL, { env: envFor(killed) });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, SUMMARY);
      await clean.assertSameAsClean(killed);
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
      // An experiment nobody knows: refused by the first step, before any pin or plan.
      {
        slug: 'contrail-test-unknown',
        errorType: 'UnknownExperimentError',
        activity: 'resolveVersions',
        config: null,
      },
    ];

    before(async () => {
      // Its failure is the other group's to report.
      await theCleanRun().catch(() => undefined);
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
      const rejected = [...reached].filter(([key]) =>
        /^runToTable staging_[a-z0-9]+_metrics_23_contrail_test_sql_error_clients_daily_week_1$/.test(key),
      );
      assert.deepEqual(
        rejected.map(([, n]) => n),
        [1],
      );
      assert.ok(
        [...reached.values()].some((n) => n > 1),
        'faults made some calls run again',
      );
    });
  });
});
