import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { describeRerun } from '../../src/client/outcomes.js';
import { scheduledRunDate } from '../../src/dates.js';
import { readAnchor } from '../../src/versions/anchor.js';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { createContrailWorker } from '../../src/worker.js';
import type { BackfillResult } from '../../src/workflows/backfill.js';
import type { Progress } from '../../src/workflows/common.js';
import { DAILY_SCHEDULE_ID, workflowIds } from '../../src/workflows/ids.js';
import type { RerunResult } from '../../src/workflows/rerun.js';
import { cliLauncher, runMain } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { lightConfigRepo } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

const SLUGS = ['contrail-demo-sidebar', 'contrail-demo-search-bar'];
/** A rerun of the weekly results of one experiment that the backfill below analysed. */
const RERUN = [
  'rerun',
  '--experiment_slug',
  'contrail-demo-search-bar',
  '--dataset_id',
  'backfill_test',
  '--analysis_periods',
  'week',
];

/**
 * A worker on a DuckDB file under CONTRAIL_HOME: first as its own process (`contrail worker`),
 * so it can be killed mid-backfill like a crashed machine; the one that takes over runs in this
 * process and stays for the CLI commands that only need a worker to be there (a worker process
 * more would cost a node start and every module again). Both read the demo configs with light
 * bootstraps: what is checked is which runs happened and what they wrote, not the width of an
 * interval.
 */
describe('backfill survives a killed worker; schedules; detach; rerun', () => {
  let temporal: TestTemporal;
  const home = mkdtempSync(join(tmpdir(), 'contrail-backfill-'));
  let env: NodeJS.ProcessEnv;
  let workerProcess: ChildProcess | null = null;
  /** The worker in this process, on the warehouse file it holds open; made once. */
  let inProcess: Promise<{ warehouse: DuckDbWarehouse; worker: Worker; running: Promise<void> }> | null =
    null;
  const workerInProcess = () => {
    inProcess ??= (async () => {
      const warehouse = await openWarehouse();
      const worker = await createContrailWorker({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
        deps: testDeps(warehouse, { exportDir: join(home, 'exports'), configRepos: [lightConfigRepo()] }),
      });
      return { warehouse, worker, running: worker.run() };
    })();
    return inProcess;
  };

  const openWarehouse = () =>
    openDuckDbWarehouse({
      path: join(home, 'warehouse.duckdb'),
      attach: { mozdata: join(home, 'mozdata.duckdb') },
    });

  const startWorkerProcess = () => {
    const child = spawn(process.execPath, [cliLauncher, 'worker'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('exit', (code, signal) => {
      if (code && code !== 0) process.stderr.write(`worker exited ${code} ${signal}:\n${output}\n`);
    });
    return child;
  };
  const stopWorkerProcess = async (signal: NodeJS.Signals) => {
    const child = workerProcess;
    workerProcess = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };

  before(async () => {
    temporal = await testTemporal();
    env = {
      ...temporal.env,
      CONTRAIL_HOME: home,
      CONTRAIL_EXPORT_DIR: join(home, 'exports'),
      CONTRAIL_CONFIG_REPOS: lightConfigRepo(),
    };
    const sample = await runMain(['sample', '--clients', '1000'], { ...env, TEMPORAL_ADDRESS: '' });
    assert.equal(sample.code, 0, sample.stderr);
  });
  after(async () => {
    await stopWorkerProcess('SIGKILL');
    const own = await inProcess?.catch(() => null);
    if (own) {
      own.worker.shutdown();
      await own.running;
      await own.warehouse.close();
    }
    await temporal.close();
  });

  test('4 dates × 2 experiments, concurrency 3: killing the worker mid-way still analyses each once, no duplicate rows', async () => {
    workerProcess = startWorkerProcess();
    const input = {
      slugs: SLUGS,
      startDate: '2026-03-06',
      endDate: '2026-03-09',
      concurrency: 3,
      dataset: 'backfill_test',
    };
    const handle = await temporal.client.workflow.start('backfill', {
      taskQueue: temporal.taskQueue,
      workflowId: workflowIds.backfill(SLUGS, input.startDate, input.endDate, input.dataset),
      args: [input],
    });
    // Kill the worker (SIGKILL: no drain, like a lost machine) once some analyses are done. Four
    // experiment-days count as done without one: the demo's dates before its last enrollment
    // date (2026-03-09) and the search-bar experiment's after its end (2026-03-08).
    for (;;) {
      const progress = await handle.query<Progress>('progress').catch(() => null);
      if (progress && progress.done >= 4 + 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const killed = await handle.query<Progress>('progress');
    assert.ok(killed.done < 8, 'killed before the end');
    await stopWorkerProcess('SIGKILL');
    // Another worker takes over the killed one's work (its file lock went with it).
    await workerInProcess();

    const result = (await handle.result()) as BackfillResult;
    assert.equal(result.total, 8);
    assert.deepEqual(result.failed, []);
    assert.equal(result.analyzed + result.nothingDue, 8);
    assert.ok(result.analyzed >= 4, `${result.analyzed} analysed`);
    // Publishing counted the experiments it published, not the experiment-days again.
    const published = await handle.query<Progress>('progress');
    assert.deepEqual(
      [published.stage, published.done, published.total],
      ['done', SLUGS.length, SLUGS.length],
      JSON.stringify(published),
    );

    // Each experiment-day ran exactly once: one analyzeExperiment execution per id, completed.
    const runs = new Map<string, string[]>();
    for await (const execution of temporal.client.workflow.list({
      query: `WorkflowType = 'analyzeExperiment' AND TaskQueue = '${temporal.taskQueue}'`,
    })) {
      runs.set(execution.workflowId, [...(runs.get(execution.workflowId) ?? []), execution.status.name]);
    }
    assert.deepEqual([...runs.keys()].sort(), [
      workflowIds.analysis('contrail-demo-search-bar', '2026-03-06', 'backfill_test'),
      workflowIds.analysis('contrail-demo-search-bar', '2026-03-07', 'backfill_test'),
      workflowIds.analysis('contrail-demo-search-bar', '2026-03-08', 'backfill_test'),
      workflowIds.analysis('contrail-demo-sidebar', '2026-03-09', 'backfill_test'),
    ]);
    for (const [id, statuses] of runs) assert.deepEqual(statuses, ['COMPLETED'], id);

    // No table holds a row twice (an activity that ran again replaced its output).
    const { warehouse } = await workerInProcess();
    {
      const tables = await warehouse.listTables('backfill_test');
      assert.ok(tables.some((t) => t.ref.table.startsWith('statistics_contrail_demo_sidebar_')));
      for (const { ref } of tables) {
        const [row] = await warehouse.query<{ rows: number; distinct_rows: number }>(
          `SELECT (SELECT count(*) FROM backfill_test."${ref.table}") AS rows,
                  (SELECT count(*) FROM (SELECT DISTINCT * FROM backfill_test."${ref.table}")) AS distinct_rows`,
        );
        assert.equal(row?.rows, row?.distinct_rows, `${ref.table} has duplicate rows`);
      }
    }
  });

  describe('with a worker in this process', () => {
    before(async () => {
      await workerInProcess();
    });

    test('a schedule created twice is one schedule; triggering it starts dailyAnalysis', async () => {
      for (let i = 0; i < 2; i++) {
        const created = await runMain(['schedule', 'create', '--dataset_id', 'scheduled_test'], env);
        assert.equal(created.code, 0, created.stderr);
      }
      let schedules = 0;
      for await (const s of temporal.client.schedule.list())
        if (s.scheduleId === DAILY_SCHEDULE_ID) schedules++;
      assert.equal(schedules, 1);
      const described = await runMain(['schedule', 'describe'], env);
      assert.match(described.stdout, /every day at 04:00 UTC/);

      const triggered = await runMain(['schedule', 'trigger'], env);
      assert.equal(triggered.code, 0, triggered.stderr);
      let daily: string | null = null;
      for (let i = 0; i < 100 && !daily; i++) {
        for await (const e of temporal.client.workflow.list({
          query: `WorkflowType = 'dailyAnalysis' AND TaskQueue = '${temporal.taskQueue}'`,
        })) {
          daily = e.workflowId;
        }
        if (!daily) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(daily, 'the trigger started a dailyAnalysis run');
      // The date it names is the one the run analyses: the day before its scheduled start.
      const started = await temporal.client.workflow.getHandle(daily).describe();
      const scheduled = started.searchAttributes.TemporalScheduledStartTime?.[0];
      assert.ok(scheduled instanceof Date, 'a triggered run has a scheduled start time');
      assert.equal(
        triggered.stdout,
        `triggered ${DAILY_SCHEDULE_ID}: started ${daily}, which analyses ${scheduledRunDate(scheduled)}; follow it with \`contrail status ${daily}\`\n`,
      );
      // What it analyses depends on today's date; that it started is what the schedule owes.
      await temporal.client.workflow.getHandle(daily).terminate('the test has seen it start');

      // Paused, a trigger still starts one run, and says that the daily runs stay paused (once
      // the schedule has seen its run end: it starts no second one beside it).
      assert.equal((await runMain(['schedule', 'pause'], env)).code, 0);
      const schedule = temporal.client.schedule.getHandle(DAILY_SCHEDULE_ID);
      for (let i = 0; i < 100 && (await schedule.describe()).info.runningActions.length > 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      const whilePaused = await runMain(['schedule', 'trigger'], env);
      assert.equal(whilePaused.code, 0, whilePaused.stderr);
      const again =
        /^triggered \S+: started (\S+), which analyses \d{4}-\d{2}-\d{2}; the schedule stays paused: this run starts all the same, its daily runs do not until `contrail schedule unpause`; follow it with/.exec(
          whilePaused.stdout,
        );
      assert.ok(again, whilePaused.stdout);
      await temporal.client.workflow.getHandle(again[1] as string).terminate('the test has seen it start');
      const deleted = await runMain(['schedule', 'delete'], env);
      assert.equal(deleted.code, 0, deleted.stderr);
    });

    test('--detach prints the workflow id and the Web UI link, and the work goes on', async () => {
      const detached = await runMain(
        [
          'run',
          '--date',
          '2026-03-01',
          '--experiment_slug',
          'contrail-demo-sidebar',
          '--dataset_id',
          'detach_test',
          '--detach',
        ],
        { ...env, TEMPORAL_UI_URL: 'http://ui.example:8233' },
      );
      assert.equal(detached.code, 0, detached.stderr);
      // The run of one experiment is a one-day backfill, which runs the analysis on its pinned build.
      const workflowId = 'backfill/detach_test/contrail-demo-sidebar/2026-03-01..2026-03-01';
      assert.equal(
        detached.stdout,
        `started ${workflowId}\nhttp://ui.example:8233/namespaces/${temporal.namespace}/workflows/${encodeURIComponent(workflowId)}\n`,
      );
      // Before the experiment's start: the backfill counts the date as nothing due.
      const result = (await temporal.client.workflow.getHandle(workflowId).result()) as BackfillResult;
      assert.deepEqual([result.total, result.nothingDue, result.failed.length], [1, 1, 0]);
    });

    test('a rerun stopped before it publishes leaves the published results, and their anchor, as they were', async () => {
      // Read through the worker's own connection: it holds the file, and sees what it wrote.
      const { warehouse } = await workerInProcess();
      const published = async () => ({
        tables: (await warehouse.listTables('backfill_test', 'statistics_contrail_demo_search_bar'))
          .map((t) => t.ref.table)
          .sort(),
        // The anchor pins these results to the tooling and configs that made them.
        anchor: (await readAnchor(warehouse, 'backfill_test', 'contrail-demo-search-bar'))?.getTime(),
      });
      const before = await published();
      assert.ok(before.tables.length > 0, 'the backfill published statistics');
      assert.ok(before.anchor !== undefined);
      const started = await runMain([...RERUN, '--detach'], env);
      assert.equal(started.code, 0, started.stderr);
      const workflowId = /^started (\S+)/.exec(started.stdout)?.[1];
      assert.ok(workflowId, started.stdout);
      const handle = temporal.client.workflow.getHandle(workflowId);
      // Stopped once it has analysed a date: past where it used to drop the experiment's results.
      for (let i = 0; i < 600; i++) {
        const progress = await handle.query<Progress>('progress');
        if (progress.stage === 'analysing' && progress.done >= 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await handle.cancel();
      await assert.rejects(handle.result());
      assert.deepEqual(await published(), before);
    });

    test('rerun recomputes every date from the start and replaces the results, dropping none its configs still make', async () => {
      const { warehouse } = await workerInProcess();
      const statistics = async () =>
        (await warehouse.listTables('backfill_test', 'statistics_contrail_demo_search_bar'))
          .map((t) => t.ref.table)
          .sort();
      const before = await statistics();
      const result = await runMain([...RERUN, '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      const rerun = JSON.parse(result.stdout) as RerunResult;
      // The configs are unchanged: every earlier table is published over, none dropped (and none
      // of the tables it published is said dropped).
      assert.deepEqual(rerun.dropped, []);
      const after = await statistics();
      assert.deepEqual(
        before.filter((t) => !after.includes(t)),
        [],
      );
      const published = rerun.published ?? assert.fail('the rerun says what it published');
      // Every weekly window's statistics and metrics tables, and the views over them.
      assert.ok(
        published.tables > after.filter((t) => /_week_\d+$/.test(t)).length,
        `${published.tables} tables`,
      );
      assert.ok(published.views > 0, `${published.views} views published`);
      assert.match(
        describeRerun(rerun).report,
        new RegExp(
          `^rerun of contrail-demo-search-bar: published ${published.tables} tables and ${published.views} views, dropped 0 earlier tables and views;`,
        ),
      );
      assert.ok(rerun.dates >= 28, `${rerun.dates} dates`);
      assert.deepEqual(rerun.failed, []);
      assert.ok(rerun.analyzed >= 4, 'the weekly windows were recomputed');
      // Its dates before its last enrollment date (2026-02-16) and the day after its end
      // (2026-03-08) have nothing due: counted so, with no analysis started for them.
      assert.equal(rerun.analyzed, rerun.dates - 8);
      // Each id once, though the rerun stopped before this one started some of them too.
      const analyses = new Set<string>();
      for await (const execution of temporal.client.workflow.list({
        query: `WorkflowType = 'analyzeExperiment' AND TaskQueue = '${temporal.taskQueue}'`,
      }))
        if (execution.workflowId.includes('contrail-demo-search-bar/2026-02-1'))
          analyses.add(execution.workflowId);
      assert.deepEqual(
        [...analyses].sort(),
        ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19'].map((date) =>
          workflowIds.analysis('contrail-demo-search-bar', date, 'backfill_test'),
        ),
      );
      assert.equal(
        await temporal.client.workflow
          .getHandle(workflowIds.analysis('contrail-demo-search-bar', '2026-03-09', 'backfill_test'))
          .describe()
          .then(
            () => 'started',
            (error: Error) => error.name,
          ),
        'WorkflowNotFoundError',
      );
    });
  });
});
