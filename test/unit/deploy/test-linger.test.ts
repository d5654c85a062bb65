import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LINGERED_EXIT } from '../../../scripts/test-linger.mjs';

const watch = fileURLToPath(new URL('../../../scripts/test-linger.mjs', import.meta.url));

/** Runs a test file as the runner does, with the watch loaded first; its exit code and stderr. */
function runTestFile(source: string, lingerMs: string): { status: number | null; stderr: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'contrail-linger-')), 'fixture.test.mjs');
  writeFileSync(file, source);
  const run = spawnSync(process.execPath, [`--import=${watch}`, '--test-reporter=dot', file], {
    // The watch works only in processes the runner marks.
    env: {
      ...process.env,
      CONTRAIL_TEST_RUN: process.env.CONTRAIL_TEST_RUN ?? 'linger',
      CONTRAIL_TEST_LINGER_MS: lingerMs,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr };
}

describe('a test process that keeps running after its tests', () => {
  it('is ended once the linger time has passed, naming what kept it alive', () => {
    // A before hook leaves a timer running that no after hook clears.
    const { status, stderr } = runTestFile(
      "import { before, test } from 'node:test';\nbefore(() => { setInterval(() => {}, 1000); });\ntest('t', () => {});\n",
      '300',
    );
    assert.equal(status, LINGERED_EXIT);
    assert.match(
      stderr,
      /its tests ended 0.3 s ago, but the process was still running, kept alive by: .*Timeout/,
    );
  });

  it('one that leaves nothing open exits as it would without the watch', () => {
    const { status, stderr } = runTestFile(
      "import { test } from 'node:test';\ntest('t', async () => { await new Promise((r) => setTimeout(r, 50)); });\n",
      '60000',
    );
    assert.equal(status, 0, stderr);
  });
});
