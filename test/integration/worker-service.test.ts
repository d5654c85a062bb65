import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { type DevServer, startDevServer } from '../../src/client/dev-server.js';
import { freePort } from '../../src/client/ports.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { ownEnv, runCli, spawnCli } from '../helpers/cli.js';
import { marked, processMarker } from '../helpers/processes.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * `contrail worker` as an operator runs it: a service on a Temporal server of its own (this file
 * stops and restarts that server, so it cannot be the test run's shared one).
 */
describe('contrail worker, a long-running service', { concurrency: true }, () => {
  let temporal: TestTemporal;
  before(async () => {
    temporal = await testTemporal();
  });
  after(async () => {
    await temporal.close();
  });

  test('killed, it is not taken for a live worker: doctor names it with its last poll and gives up once it has been silent for over a minute', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-worker-killed-'));
    const env = { ...temporal.env, CONTRAIL_HOME: home, CONTRAIL_TASK_QUEUE: `killed-${randomUUID()}` };
    const marker = processMarker();
    const worker = spawnCli(['worker'], { env: { ...env, ...marker.env }, timeoutMs: 300_000 });
    try {
      await worker.waitForStderr(/state: 'RUNNING'/);
      const live = await runCli(['doctor'], { env, timeoutMs: 180_000 });
      assert.equal(live.code, 0, live.stderr);
      assert.match(live.stdout, /^ {2}worker {5}contrail \S+ \(build \S+\) on (\S+) ran the check$/m);
      const identity = (/on (\S+) ran the check/.exec(live.stdout)?.[1] ?? '').replace(
        /[.*+?^${}()|[\]\\]/g,
        '\\$&',
      );
      assert.match(live.stdout, new RegExp(`^ {15}${identity}, last polled \\d+ s ago$`, 'm'));
    } finally {
      worker.child.kill('SIGKILL');
    }
    await worker.done;
    assert.deepEqual(await marked(marker.pids, 10_000), []);
    // The server lists the killed worker for about 90 s: before, doctor's check waited its whole
    // two minutes for it and then said only that the listed workers "may have stopped".
    const doctor = await runCli(['doctor'], { env, timeoutMs: 180_000 });
    assert.equal(doctor.code, 1, doctor.stderr);
    assert.match(
      doctor.stderr,
      new RegExp(
        `^contrail: still waiting for a worker of task queue '${env.CONTRAIL_TASK_QUEUE}' to take the check; the server lists \\S+ \\(last polled \\d+ s ago\\), but a live worker takes the check at once: it has likely stopped; `,
        'm',
      ),
    );
    assert.match(
      doctor.stderr,
      new RegExp(
        `^contrail: Temporal at ${temporal.address.replace(/\./g, '\\.')} answered, but no worker has polled task queue '${env.CONTRAIL_TASK_QUEUE}' for over a minute \\(the server still lists \\S+ \\(last polled \\d+ s ago\\), which a live worker never is: it has likely stopped\\); start one with \`contrail worker\`$`,
        'm',
      ),
    );
    assert.ok(doctor.ms < 110_000, `gave up after ${doctor.ms} ms`);
  });

  test('stopped mid-activity by SIGTERM: it says what is under way and for how long, cancels it at the grace time, counts it and exits 0; a closed terminal (SIGHUP) drains it too, and a second signal stops it at once (exit 130)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-worker-stop-'));
    const env = { ...temporal.env, CONTRAIL_HOME: home, CONTRAIL_TASK_QUEUE: `stopped-${randomUUID()}` };
    const sample = await runCli(['sample', '--clients', '200'], { env });
    assert.equal(sample.code, 0, sample.stderr);
    const marker = processMarker();
    // The first staged table write stops where it is (until its activity is cancelled), so the
    // signal always comes with an activity under way.
    const workerEnv = { ...env, ...marker.env, CONTRAIL_FAULTS: 'stop:runToTable:staging_@1' };
    const first = spawnCli(['worker'], { env: workerEnv, timeoutMs: 300_000 });
    let second: ReturnType<typeof spawnCli> | null = null;
    const started = await runCli(
      ['run', '--date', '2026-03-15', '--experiment_slug', DEMO_SLUG, '--detach'],
      {
        env,
      },
    );
    assert.equal(started.code, 0, started.stderr);
    const workflowId = /^started (\S+)$/m.exec(started.stdout)?.[1] ?? assert.fail(started.stdout);
    try {
      await first.waitForStderr(/contrail fault: stopped at/, 120_000);
      first.child.kill('SIGTERM');
      await first.waitForStderr(
        /^contrail worker: stopping \(SIGTERM\): no new work is taken; \d+ activities under way \([^)]*computeMetrics[^)]*\) get 10 s to finish, then are cancelled and retried by Temporal on another worker; SIGTERM again stops at once$/m,
      );
      const stopped = await first.done;
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(
        stopped.stdout,
        /^contrail worker stopped \(SIGTERM\): (\d+ activit(y|ies) finished, )?\d+ activit(y|ies) cancelled \(Temporal retries (it|them) on another worker\)\.$/m,
      );
      // The retried activity stops at the same point on the next worker: stopped twice, it ends at once.
      const next = spawnCli(['worker'], { env: workerEnv, timeoutMs: 300_000 });
      second = next;
      await next.waitForStderr(/contrail fault: stopped at/, 120_000);
      // Its terminal closed (SIGHUP): drained as on SIGTERM. Left to Node's default, the worker
      // ended there and then, its activity left to Temporal's heartbeat timeout.
      next.child.kill('SIGHUP');
      await next.waitForStderr(
        /^contrail worker: stopping \(SIGHUP\): no new work is taken; \d+ activit(y|ies) under way \([^)]*computeMetrics[^)]*\) gets? 10 s to finish/m,
      );
      next.child.kill('SIGHUP');
      const result = await next.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(
        result.stderr,
        /^contrail worker: stopped at once \(SIGHUP again\): \d+ activit(y|ies) under way \([^)]*computeMetrics[^)]*\) left unfinished; Temporal retries (it|them) once (its|their) heartbeat timeout passes$/m,
      );
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      if (workflowId)
        await temporal.client.workflow
          .getHandle(workflowId)
          .terminate('test')
          .catch(() => undefined);
    }
    assert.deepEqual(await marked(marker.pids, 10_000), []);
  });

  test('its Temporal server goes away and comes back: a line for each, no gRPC dump, and it serves again; SIGTERM stops it cleanly (exit 0)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-worker-service-'));
    const dbFile = join(home, 'temporal.sqlite');
    const port = await freePort();
    const start = () => startDevServer({ port, dbFile, startTimeoutMs: 120_000, env: ownEnv() });
    let server: DevServer = await start();
    const address = server.address;
    const env = { TEMPORAL_ADDRESS: address, CONTRAIL_HOME: home, CONTRAIL_TASK_QUEUE: 'worker-service' };
    const marker = processMarker();
    const worker = spawnCli(['worker'], { env: { ...env, ...marker.env }, timeoutMs: 400_000 });
    const escaped = address.replace(/\./g, '\\.');
    // A run the operator follows meanwhile: no worker polls its task queue, so it stays open.
    const workflowId = `followed/${randomUUID()}`;
    const connection = await Connection.connect({ address });
    await new Client({ connection }).workflow.start('healthCheck', { taskQueue: 'nobody', workflowId });
    await connection.close();
    const status = spawnCli(['status', workflowId], { env: { ...env, ...marker.env }, timeoutMs: 400_000 });
    try {
      await worker.waitForStderr(/state: 'RUNNING'/);
      await status.waitForStderr(/no worker polls task queue 'nobody'/);
      await server.stop();
      await status.waitForStderr(
        new RegExp(
          `^Temporal at ${escaped} does not answer; waiting for it \\(${workflowId} is durable and goes on once it is back; Ctrl-C stops following\\)$`,
          'm',
        ),
        90_000,
      );
      await worker.waitForStderr(
        new RegExp(
          `^contrail worker: lost Temporal at ${escaped} \\(connection (refused|closed)\\); retrying until it answers, then this worker goes on by itself \\(runs wait on the server meanwhile; Ctrl-C stops the worker\\)$`,
          'm',
        ),
        90_000,
      );
      server = await start();
      await worker.waitForStderr(
        new RegExp(
          `^contrail worker: Temporal at ${escaped} answers again \\(no answer for at least \\d+ s\\); this worker polls again$`,
          'm',
        ),
        90_000,
      );
      // The command following the run recovers too, and goes on following it.
      await status.waitForStderr(new RegExp(`^Temporal at ${escaped} answers again$`, 'm'), 90_000);
      status.child.kill('SIGINT');
      const followed = await status.done;
      assert.equal(followed.code, 130, followed.stderr);
      assert.doesNotMatch(followed.stderr, /lost Temporal/);
      // It serves again: doctor's check runs on it.
      const doctor = await runCli(['doctor'], { env, timeoutMs: 180_000 });
      assert.equal(doctor.code, 0, doctor.stderr);
      assert.match(doctor.stdout, /every link answered/);
      // The SDK's retries (a raw gRPC status each, several a second) are not shown.
      assert.doesNotMatch(worker.stderr(), /gRPC call|Status \{|tonic/);
      assert.equal(
        worker.stderr().match(/lost Temporal at/g)?.length,
        1,
        `said once for one loss:\n${worker.stderr()}`,
      );
      worker.child.kill('SIGTERM');
      const result = await worker.done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /contrail worker stopped/);
    } finally {
      worker.child.kill('SIGKILL');
      status.child.kill('SIGKILL');
      await server.stop();
    }
    assert.deepEqual(await marked(marker.pids, 10_000), []);
  });
});
