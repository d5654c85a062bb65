import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { createContrailWorker } from '../../src/worker.js';
import type { DailyAnalysisResult } from '../../src/workflows/daily.js';
import { DAILY_SCHEDULE_ID } from '../../src/workflows/ids.js';
import { runMain } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/** Polls `check` every 200 ms until it gives a value, for at most `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | null>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The daily schedule as an operator lives it on a cluster: created with `contrail schedule
 * create`, its runs falling due while no worker polls, and a worker coming back.
 */
describe('the daily schedule on a cluster', () => {
  let temporal: TestTemporal;
  let env: NodeJS.ProcessEnv;
  let warehouse: Warehouse | null = null;
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;

  before(async () => {
    temporal = await testTemporal();
    const home = mkdtempSync(join(tmpdir(), 'contrail-schedule-'));
    env = { ...temporal.env, CONTRAIL_HOME: home };
  });
  after(async () => {
    await temporal.client.schedule
      .getHandle(DAILY_SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
    if (worker) {
      worker.shutdown();
      await running;
    }
    await warehouse?.close();
    await temporal.close();
  });

  test('runs due while the worker is down each run for their own date when it is back, one after another', async () => {
    const created = await runMain(['schedule', 'create'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created schedule contrail-daily-analysis: /);

    // Three days' scheduled times pass with no worker on the task queue: what the server does at
    // each is what it does for scheduled times it fills in, with the schedule's own policies.
    const handle = temporal.client.schedule.getHandle(DAILY_SCHEDULE_ID);
    await handle.backfill({ start: new Date('2025-06-02T03:59:00Z'), end: new Date('2025-06-04T04:01:00Z') });
    const first = 'daily-2025-06-02T04:00:00Z';
    const held = await eventually('the first run to start and the others to be held or dropped', async () => {
      const d = await handle.describe();
      const waiting = Number(d.raw.info?.bufferSize ?? 0);
      const skipped = d.info.numActionsSkippedOverlap;
      return d.info.runningActions.length === 1 && waiting + skipped === 2 ? { waiting, skipped } : null;
    });
    assert.deepEqual(
      held,
      { waiting: 2, skipped: 0 },
      'no run due while the first waits for a worker is dropped',
    );
    const described = await runMain(['schedule', 'describe'], env);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /a run due while the previous one runs waits for it/);
    // Runs missed while the server is down are started when it is back, a week back by default.
    assert.match(
      described.stdout,
      /^ {2}a run missed while the server was down starts when it is back, if within 7 days of its time$/m,
    );
    assert.equal((await handle.describe()).policies.catchupWindow, 7 * 86_400_000);
    assert.match(
      described.stdout,
      new RegExp(`running: ${first} \\(\`contrail status ${first}\` follows it\\)`),
    );
    assert.match(described.stdout, /waiting: 2 runs due since, each to start when the one before it ends/);
    assert.doesNotMatch(described.stdout, /never started/);

    // The worker comes back (dates before the demo experiments: nothing is eligible, so each
    // run ends at once with its date in its result).
    warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
    worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      deps: testDeps(warehouse),
    });
    running = worker.run();
    const runs = await eventually('three daily runs to complete', async () => {
      const found: { id: string; start: number; close: number }[] = [];
      for await (const e of temporal.client.workflow.list({
        query: `WorkflowType = 'dailyAnalysis' AND TaskQueue = '${temporal.taskQueue}' AND ExecutionStatus = 'Completed'`,
      })) {
        found.push({ id: e.workflowId, start: e.startTime.getTime(), close: e.closeTime?.getTime() ?? 0 });
      }
      return found.length === 3 ? found.sort((a, b) => a.start - b.start) : null;
    });
    assert.deepEqual(
      runs.map((r) => r.id),
      [first, 'daily-2025-06-03T04:00:00Z', 'daily-2025-06-04T04:00:00Z'],
    );
    const dates = await Promise.all(
      runs.map(
        async (r) => ((await temporal.client.workflow.getHandle(r.id).result()) as DailyAnalysisResult).date,
      ),
    );
    assert.deepEqual(
      dates,
      ['2025-06-01', '2025-06-02', '2025-06-03'],
      'each analyses the day before its time',
    );
    for (let i = 1; i < runs.length; i++) {
      const [earlier, later] = [runs[i - 1], runs[i]] as [(typeof runs)[0], (typeof runs)[0]];
      assert.ok(later.start >= earlier.close, `${later.id} started after ${earlier.id} ended`);
    }
    const quiet = await runMain(['schedule', 'describe'], env);
    assert.doesNotMatch(quiet.stdout, /running:|waiting:|never started/);
    // Each recent run as it ended, with the date it analysed.
    for (const [i, date] of dates.entries())
      assert.match(
        quiet.stdout,
        new RegExp(
          `Z ${runs[i]?.id}: daily analysis ${date}: 0 analysed, \\d+ with nothing due, 0 failed$`,
          'm',
        ),
      );

    // A second create with a wider window sets it on the server and says what it changed.
    const widened = await runMain(['schedule', 'create', '--catchup-days', '30'], env);
    assert.equal(widened.code, 0, widened.stderr);
    assert.match(
      widened.stdout,
      /^schedule contrail-daily-analysis exists; updated it \(catch-up window 7 days → 30 days\): /,
    );
    assert.equal((await handle.describe()).policies.catchupWindow, 30 * 86_400_000);

    // Paused, it names no times it would run at.
    assert.equal((await runMain(['schedule', 'pause'], env)).code, 0);
    const paused = await runMain(['schedule', 'describe'], env);
    assert.match(paused.stdout, /^schedule contrail-daily-analysis: PAUSED/);
    assert.match(paused.stdout, /^ {2}next: none while paused \(`contrail schedule unpause` resumes it\)$/m);
  });

  test('two triggers within one second each start a run of its own id, which status and describe tell apart', async () => {
    // The schedule (paused by the test before) names a run by the second it starts: the second
    // trigger comes within the first's second, once the run that started has ended.
    const handle = temporal.client.schedule.getHandle(DAILY_SCHEDULE_ID);
    while (Date.now() % 1000 > 100) await new Promise((resolve) => setTimeout(resolve, 5));
    const startedBy = async () => {
      const triggered = await runMain(['schedule', 'trigger'], env);
      assert.equal(triggered.code, 0, triggered.stderr);
      const id = /^triggered \S+: started (daily-\S+), which analyses/.exec(triggered.stdout)?.[1];
      assert.ok(id, triggered.stdout);
      await temporal.client.workflow
        .getHandle(id)
        .terminate('the test has seen it start')
        .catch(() => undefined);
      await eventually('the run to end', async () =>
        (await handle.describe()).info.runningActions.length === 0 ? true : null,
      );
      return id;
    };
    const first = await startedBy();
    const second = await startedBy();
    assert.notEqual(second, first, 'the second run has an id of its own');
    // One execution under each id: `contrail status <id>` and `cancel <id>` reach that run.
    for (const id of [first, second]) {
      let executions = 0;
      for await (const e of temporal.client.workflow.list({ query: `WorkflowId = '${id}'` })) {
        assert.equal(e.type, 'dailyAnalysis');
        executions++;
      }
      assert.equal(executions, 1, id);
    }
    const described = await runMain(['schedule', 'describe'], env);
    assert.equal(described.code, 0, described.stderr);
    for (const id of [first, second]) assert.match(described.stdout, new RegExp(`Z ${id}: `));
  });
});
