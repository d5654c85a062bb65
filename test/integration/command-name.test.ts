import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { ownEnv, repoRoot, spawnProgram } from '../helpers/cli.js';
import { marked, processMarker } from '../helpers/processes.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * bin/contrail as a person types it in a shell: the command a message says to run next is
 * named as that person can type it. From a checkout, where no `contrail` is on PATH, that is
 * the launcher's path as typed (the README's `bin/contrail …`); installed, `contrail`.
 */
describe('the commands the messages of bin/contrail name', () => {
  const home = mkdtempSync(join(tmpdir(), 'contrail-command-name-'));
  /** A loopback address nothing listens on: a connection there is refused at once. */
  let refused = '';
  before(async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    refused = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  /** `line` started by sh in `cwd`, as typed at a prompt there (in a process group of its own). */
  const started = (line: string, cwd: string, env: NodeJS.ProcessEnv = {}) =>
    spawnProgram('sh', ['-c', line], {
      cwd,
      env: { ...ownEnv(), CONTRAIL_HOME: home, TEMPORAL_ADDRESS: refused, CONTRAIL_LOG_LEVEL: '', ...env },
      name: line,
      detached: true,
    });
  /** `line` run by sh in `cwd` to its end. */
  const shell = async (line: string, cwd: string, env: NodeJS.ProcessEnv = {}) =>
    await started(line, cwd, env).done;

  const noServer = (command: string) =>
    `contrail: cannot reach Temporal at ${refused} (TEMPORAL_ADDRESS): connection refused (nothing listens there): is a Temporal server running there? \`${command} server\` starts one on this machine`;

  test('run by its path, from the checkout or elsewhere, the hint names that path', async () => {
    const atRoot = await shell('bin/contrail status some-run', repoRoot);
    assert.equal(atRoot.code, 1, atRoot.stderr);
    assert.equal(atRoot.stderr.trim(), noServer('bin/contrail'));
    const below = await shell('../bin/contrail status some-run', join(repoRoot, 'test'));
    assert.equal(below.stderr.trim(), noServer('../bin/contrail'));
    const absolute = await shell(`${join(repoRoot, 'bin', 'contrail')} status some-run`, home);
    assert.equal(absolute.stderr.trim(), noServer(join(repoRoot, 'bin', 'contrail')));
  });

  test('found through PATH, as an installed contrail is, the hint says `contrail`', async () => {
    const result = await shell('contrail status some-run', home, {
      PATH: `${join(repoRoot, 'bin')}:${process.env.PATH ?? ''}`,
    });
    assert.equal(result.stderr.trim(), noServer('contrail'));
  });

  test("the demo's preview on a warehouse without telemetry says to run `bin/contrail sample`, from its embedded worker", async () => {
    const marker = processMarker();
    const result = await shell(`bin/contrail preview --experiment_slug ${DEMO_SLUG} --num-days 1`, repoRoot, {
      TEMPORAL_ADDRESS: '',
      ...marker.env,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /which holds no telemetry yet: run `bin\/contrail sample` to write demo telemetry/,
    );
    assert.doesNotMatch(result.stderr, /`contrail /);
    assert.deepEqual(await marked(marker.pids, 10_000), [], 'its server and worker are gone');
  });

  test('a worker serving a cluster, started as bin/contrail, says `contrail`: its messages reach whoever started the run, elsewhere', async () => {
    const temporal: TestTemporal = await testTemporal();
    const marker = processMarker();
    const env = { ...temporal.env, CONTRAIL_TASK_QUEUE: `command-name-${randomUUID()}` };
    const worker = started('bin/contrail worker', repoRoot, { ...env, ...marker.env });
    try {
      await worker.waitForStderr(/state: 'RUNNING'/);
      const result = await shell(
        `${join(repoRoot, 'bin', 'contrail')} preview --experiment_slug ${DEMO_SLUG} --num-days 1`,
        home,
        env,
      );
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        /which holds no telemetry yet: run `contrail sample` to write demo telemetry/,
      );
    } finally {
      if (worker.child.pid !== undefined) process.kill(-worker.child.pid, 'SIGTERM');
      await worker.done;
      await temporal.close();
    }
    assert.deepEqual(await marked(marker.pids, 10_000), [], 'the worker is gone');
  });
});
