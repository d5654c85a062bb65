import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownEnv, runMain } from '../../helpers/cli.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * runMain runs a command in this process with its environment set for the call, while other
 * tests of the file run: a process one of them starts meanwhile must get this process's own
 * environment (ownEnv), and a second command asked for meanwhile waits for the first.
 */
test('while a command runs in-process, ownEnv is the environment outside it and a second command waits', async () => {
  process.env.CONTRAIL_TEST_PROBE = 'outside';
  const seen = new Set<string>();
  const timer = setInterval(() => {
    seen.add(`${process.env.CONTRAIL_TEST_PROBE}/${ownEnv().CONTRAIL_TEST_PROBE}`);
  }, 1);
  try {
    const plan = [
      'plan',
      '--experiment_slug',
      'contrail-demo-sidebar',
      '--date',
      '2026-03-15',
      '--experiments_file',
      DEMO_EXPERIMENTS_FILE,
      '--config_repos',
      DEMO_CONFIG_REPO,
    ];
    const order: string[] = [];
    const [first, second] = await Promise.all([
      runMain(plan, { CONTRAIL_TEST_PROBE: 'first' }).then((r) => {
        order.push('first');
        return r;
      }),
      runMain(['plan', '--help'], { CONTRAIL_TEST_PROBE: 'second' }).then((r) => {
        order.push('second');
        return r;
      }),
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(order, ['first', 'second']);
    assert.ok(seen.has('first/outside'), [...seen].join(' '));
    assert.ok(
      [...seen].every((s) => s.endsWith('/outside')),
      `ownEnv was always the outside value: ${[...seen].join(' ')}`,
    );
    assert.equal(process.env.CONTRAIL_TEST_PROBE, 'outside');
  } finally {
    clearInterval(timer);
    delete process.env.CONTRAIL_TEST_PROBE;
  }
});
