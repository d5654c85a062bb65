import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { localExperimentSource } from '../../src/experiments/source.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { createContrailWorker } from '../../src/worker.js';
import type { BackfillResult } from '../../src/workflows/backfill.js';
import { type RunningCli, runMain, spawnCli } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { configRepoWith, DEMO_EXPERIMENTS_FILE } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

const BROKEN = 'contrail-test-broken';

/**
 * The CLI against a running Temporal (TEMPORAL_ADDRESS), its worker in this process: exit
 * codes of runs with failures, starts that meet a running workflow of the same id, and
 * `contrail status`. The broken experiment fails at once, so nothing here computes statistics.
 */
describe('the CLI against a running Temporal', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  let worker: Worker;
  let running: Promise<void>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    temporal = await testTemporal();
    warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: {} });
    const dir = mkdtempSync(join(tmpdir(), 'contrail-cli-workflows-'));
    const experimentsFile = join(dir, 'experiments.json');
    const demo = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[];
    const sidebar = demo.find((e) => e.slug === DEMO_SLUG)!;
    writeFileSync(experimentsFile, JSON.stringify([{ ...sidebar, slug: BROKEN }]));
    const configRepo = configRepoWith({
      [`jetstream/${BROKEN}.toml`]:
        '[metrics]\nweekly = ["active_hours"]\n\n[metrics.active_hours.statistics.bootstrap_mean]\nnum_sampels = 100\n',
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
    env = temporal.env;
  });
  after(async () => {
    worker.shutdown();
    await running;
    await warehouse.close();
    await temporal.close();
  });

  test('a backfill with a failed experiment-day reports it once and exits 1', async () => {
    const result = await runMain(
      [
        'backfill',
        '--experiment_slug',
        BROKEN,
        '--start_date',
        '2026-03-15',
        '--end_date',
        '2026-03-15',
        '--dataset_id',
        'backfill_once',
        '--json',
      ],
      env,
    );
    assert.equal(result.code, 1, result.stderr);
    const backfill = JSON.parse(result.stdout) as BackfillResult;
    assert.equal(backfill.total, 1);
    assert.deepEqual(
      backfill.failed.map((f) => [f.slug, f.date, f.errorType]),
      [[BROKEN, '2026-03-15', 'ConfigError']],
    );
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      'contrail: 1 experiment-day: 0 analysed, 0 with nothing due, 1 failed',
    );
  });

  test('a preview with other inputs than the running one of the same id is refused, naming it; the same inputs join it', async () => {
    // Nothing serves this queue: the first preview stays running for as long as the test needs.
    const idle = { ...env, CONTRAIL_TASK_QUEUE: `idle-${randomUUID()}` };
    const preview = ['preview', '--experiment_slug', DEMO_SLUG, '--dataset_id', 'same_id', '--detach'];
    const first = await runMain([...preview, '--sample_size', '5'], idle);
    assert.equal(first.code, 0, first.stderr);
    const id = 'preview/same_id/contrail-demo-sidebar';
    assert.equal(first.stdout.split('\n')[0], `started ${id}`);
    try {
      const other = await runMain([...preview, '--sample_size', '50'], idle);
      assert.equal(other.code, 1);
      assert.equal(other.stdout, '');
      assert.match(
        other.stderr,
        new RegExp(
          `^contrail: ${id} is already running with other inputs \\(sampleSize: 5 there, 50 here\\)`,
        ),
      );
      assert.match(other.stderr, new RegExp(`contrail status ${id}`));

      const same = await runMain([...preview, '--sample_size', '5'], idle);
      assert.equal(same.code, 0, same.stderr);
      assert.equal(same.stdout.split('\n')[0], `attached ${id}`);
      let runs = 0;
      for await (const _ of temporal.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs++;
      assert.equal(runs, 1, 'one preview ran');

      const status = await runMain(['status', id, '--no-follow'], idle);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stderr, new RegExp(`^${id}: preview, running, started `));
      // A mistyped id is named with the running workflow it resembles, as every id a command takes is.
      const typo = await runMain(['status', id.replace('sidebar', 'sidbar'), '--no-follow'], idle);
      assert.equal(typo.code, 1);
      assert.match(
        typo.stderr,
        new RegExp(`^contrail: no workflow \\S+sidbar \\(did you mean '${id}'\\?\\) on `),
      );

      // Without an id: what runs, here a preview no worker serves.
      const all = await runMain(['status'], idle);
      assert.equal(all.code, 0, all.stderr);
      assert.match(
        all.stdout,
        new RegExp(
          `^  ${id}  \\(preview, for under a minute\\)  no progress answer \\(is a worker running\\?\\)$`,
          'm',
        ),
      );
    } finally {
      await temporal.client.workflow.getHandle(id).terminate('test over');
    }
  });

  test('Ctrl-C while following a run on a cluster stops following it, names it, and leaves it running', async () => {
    // Nothing serves this queue: the run waits for as long as the test needs.
    const idle = { ...env, CONTRAIL_TASK_QUEUE: `idle-${randomUUID()}` };
    const id = 'daily/follow_interrupted/2026-03-17';
    const run = spawnCli(['run', '--date', '2026-03-17', '--dataset_id', 'follow_interrupted'], {
      env: idle,
    });
    try {
      await run.waitForStderr(new RegExp(`following ${id}`));
      run.child.kill('SIGINT');
      const result = await run.done;
      assert.equal(result.code, 130, result.stderr);
      assert.equal(
        result.stderr.trim().split('\n').at(-1),
        `contrail: stopped following (SIGINT); ${id} keeps running on ${env.TEMPORAL_ADDRESS}: \`contrail status ${id}\` shows it`,
      );
      const description = await temporal.client.workflow.getHandle(id).describe();
      assert.equal(description.status.name, 'RUNNING');
    } finally {
      run.child.kill('SIGKILL');
      await temporal.client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    }
  });

  test('contrail cancel of a run no worker serves: --no-wait requests it and returns; Ctrl-C while waiting stops waiting, not the cancellation', async () => {
    // Nothing serves this queue: the run cannot stop for as long as the test needs.
    const idle = { ...env, CONTRAIL_TASK_QUEUE: `idle-${randomUUID()}` };
    const id = `backfill/cancel_waiting/${BROKEN}/2026-03-15..2026-03-16`;
    const detached = await runMain(
      [
        'backfill',
        '--slug',
        BROKEN,
        '--start_date',
        '2026-03-15',
        '--end_date',
        '2026-03-16',
        '--dataset_id',
        'cancel_waiting',
        '--detach',
      ],
      idle,
    );
    assert.equal(detached.code, 0, detached.stderr);
    assert.equal(detached.stdout.split('\n')[0], `started ${id}`);
    const handle = temporal.client.workflow.getHandle(id);
    const requested = async () =>
      (await handle.fetchHistory()).events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes) ??
      false;
    let cancel: RunningCli | undefined;
    try {
      const noWait = await runMain(['cancel', id, '--no-wait'], idle);
      assert.equal(noWait.code, 0, noWait.stderr);
      assert.equal(
        noWait.stdout,
        `requested the cancellation of ${id} (backfill): it stops at its next step, with the runs it started; a backfill publishes at its end: unless it was publishing, the published results are as they were; \`contrail status ${id}\` shows how it ends\n`,
      );
      assert.equal(await requested(), true);
      assert.equal((await handle.describe()).status.name, 'RUNNING');

      cancel = spawnCli(['cancel', id], { env: idle });
      await cancel.waitForStderr(new RegExp(`cancelling ${id}: waiting for it to stop`));
      cancel.child.kill('SIGINT');
      const result = await cancel.done;
      assert.equal(result.code, 130, result.stderr);
      assert.equal(
        result.stderr.trim().split('\n').at(-1),
        `contrail: stopped waiting (SIGINT); the cancellation of ${id} stays requested and goes on: \`contrail status ${id}\` shows how it ends`,
      );
      assert.equal(
        (await handle.describe()).status.name,
        'RUNNING',
        'it stops once a worker takes its next step',
      );
    } finally {
      cancel?.child.kill('SIGKILL');
      await handle.terminate('test over').catch(() => undefined);
    }
  });

  test('contrail status follows a detached run to its result and exit code, and shows it again once finished', async () => {
    const detached = await runMain(
      ['run', '--date', '2026-03-16', '--dataset_id', 'status_test', '--detach'],
      env,
    );
    assert.equal(detached.code, 0, detached.stderr);
    const id = 'daily/status_test/2026-03-16';
    assert.equal(detached.stdout.split('\n')[0], `started ${id}`);

    const followed = await runMain(['status', id], env);
    assert.equal(followed.code, 1, 'a failed experiment fails the status too');
    assert.match(
      followed.stdout,
      /^daily analysis 2026-03-16: 0 analysed, 1 failed\n {2}FAIL {2}contrail-test-broken: ConfigError: /,
    );
    assert.equal(
      followed.stderr.trim().split('\n').at(-1),
      'contrail: daily analysis 2026-03-16: 0 analysed, 1 failed',
    );

    const shown = await runMain(['status', id, '--json'], env);
    assert.equal(shown.code, 1);
    assert.match(shown.stderr, new RegExp(`^${id}: dailyAnalysis, completed, started `));
    assert.equal((JSON.parse(shown.stdout) as { failed: unknown[] }).failed.length, 1);

    const unknown = await runMain(['status', 'daily/no-such-run'], env);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /^contrail: no workflow daily\/no-such-run on 127\.0\.0\.1:\d+ \(namespace /,
    );
  });
});
