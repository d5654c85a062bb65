import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { type RunningCli, runMain, spawnCli } from '../helpers/cli.js';
import { marked, processMarker } from '../helpers/processes.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/** `text` matched literally in a RegExp. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits until the process has printed `pattern` on stdout. */
async function waitForStdout(cli: RunningCli, pattern: RegExp, withinMs = 90_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!pattern.test(cli.stdout())) {
    if (cli.child.exitCode !== null || Date.now() > deadline)
      assert.fail(`did not print ${pattern}:\n${cli.stdout()}\n${cli.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One data directory, so one embedded warehouse file, used by an embedded command (a Temporal
 * server of its own) and by a cluster's `contrail worker` (the test run's shared server): the
 * cluster keeps its own analyses of an experiment-day apart, never an embedded command's, so the
 * two never analyse there at once.
 */
describe('an embedded command and a cluster worker on one warehouse file', () => {
  let temporal: TestTemporal;
  before(async () => {
    temporal = await testTemporal();
  });
  after(async () => {
    await temporal.close();
  });

  test('a worker waits for the embedded command analysing there, naming it; once it serves, an embedded command is refused before it starts anything, naming the worker and the settings that run it on its server', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-shared-warehouse-'));
    const file = literal(join(home, 'warehouse.duckdb'));
    const address = literal(temporal.address);
    const embedded = { CONTRAIL_HOME: home, TEMPORAL_ADDRESS: '', CONTRAIL_LOG_LEVEL: '' };
    const sample = await runMain(['sample', '--clients', '200'], embedded);
    assert.equal(sample.code, 0, sample.stderr);
    const marker = processMarker();
    // The first staged table write stops where it is: the preview analyses until it is stopped.
    const preview = spawnCli(['preview', '--experiment_slug', DEMO_SLUG, '--num-days', '1'], {
      env: { ...embedded, ...marker.env, CONTRAIL_FAULTS: 'stop:runToTable:staging_@1' },
      detached: true,
    });
    let worker: RunningCli | null = null;
    try {
      await preview.waitForStderr(/contrail fault: stopped at/);
      worker = spawnCli(['worker'], {
        env: { ...temporal.env, CONTRAIL_HOME: home, ...marker.env },
        timeoutMs: 120_000,
      });
      await worker.waitForStderr(/waiting to serve/, 30_000);
      assert.match(
        worker.stderr(),
        new RegExp(
          `^contrail worker: waiting to serve the warehouse ${file}: \`contrail preview --experiment_slug ${DEMO_SLUG} --num-days 1\` \\(pid ${preview.child.pid}, since [^)]+\\) analyses ${DEMO_SLUG} in dataset tmp there on an embedded Temporal server of its own, which this worker's server would not keep apart from its analyses; serving once it has finished \\(or stop it: Ctrl-C in its terminal\\)$`,
          'm',
        ),
      );
      assert.doesNotMatch(worker.stdout(), /contrail worker on/, 'not serving while the preview analyses');
      process.kill(-(preview.child.pid as number), 'SIGINT');
      const stopped = await preview.done;
      assert.equal(stopped.code, 130, stopped.stderr);
      // The preview gone, the worker serves.
      await waitForStdout(worker, /^contrail worker on /m);
      assert.equal(worker.stderr().split('waiting to serve').length - 1, 1, 'said once');

      // In this process: the refusal is what is checked, not the process that prints it.
      const refused = await runMain(
        ['run', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'],
        embedded,
      );
      assert.equal(refused.code, 1, refused.stderr);
      const queue = temporal.env.CONTRAIL_TASK_QUEUE;
      assert.match(
        refused.stderr,
        new RegExp(
          `^contrail: a contrail worker serves this warehouse \\(${file}\\) for the Temporal server at ${address} \\(namespace ${temporal.namespace}, task queue ${queue}\\): \`contrail worker\` \\(pid ${worker.child.pid}, since [^)]+\\); that server keeps its own analyses of an experiment-day apart, but not from this command's embedded server, and the two would write the same tables at once\\. Run this on that server \\(set TEMPORAL_ADDRESS=${address} TEMPORAL_NAMESPACE=${temporal.namespace} CONTRAIL_TASK_QUEUE=${queue}\\), or stop the worker first$`,
          'm',
        ),
      );
      assert.doesNotMatch(refused.stderr, /starting an embedded Temporal dev server/);
      // Its claim went with it: only the worker's note is left.
      assert.deepEqual(readdirSync(join(home, 'warehouse.duckdb.claims')), [
        `worker@${worker.child.pid}.json`,
      ]);

      worker.child.kill('SIGTERM');
      const ended = await worker.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.deepEqual(readdirSync(join(home, 'warehouse.duckdb.claims')), [], 'the worker took its note');
      assert.deepEqual(await marked(marker.pids, 10_000), [], 'nothing left running');
    } finally {
      preview.child.kill('SIGKILL');
      worker?.child.kill('SIGKILL');
      for (const pid of marker.pids()) process.kill(pid, 'SIGKILL');
    }
  });
});
