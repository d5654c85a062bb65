import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { cliEntry, repoRoot, runCli } from '../helpers/cli.js';
import { BACKFILL, type CleanRun, cleanRun, envFor, SUMMARY } from '../helpers/embedded-backfill.js';
import { processesWithEnv } from '../helpers/processes.js';

/**
 * The embedded backfill of test/helpers/embedded-backfill.ts killed (SIGKILL) at four points
 * and run again must end with the clean run's tables and exports, and leave no process behind.
 * A marker in the environment finds every process a command started.
 */

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

describe('an embedded backfill killed with SIGKILL and run again', () => {
  let clean: CleanRun;
  before(async () => {
    clean = await cleanRun('contrail-failures-killed-');
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
    await clean.assertSameAsClean(killed);
  });
});
