import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { basename, dirname, relative } from 'node:path';
import { test } from 'node:test';
import { dataDirPath } from '../../../src/paths.js';

// The runner (scripts/run-tests.ts) marks every process it starts with CONTRAIL_TEST_RUN.
test('under the test runner, temporary files and the default data directory are in the run directory it deletes at the end', {
  skip: process.env.CONTRAIL_TEST_RUN ? false : 'run through scripts/run-tests.ts',
}, () => {
  assert.equal(basename(tmpdir()), 'tmp');
  assert.match(basename(dirname(tmpdir())), /^contrail-test-run-/);
  // Nor the data directory of whoever runs the tests: the run's own, unless a test sets one.
  assert.equal(process.env.CONTRAIL_HOME, undefined);
  const run = dirname(tmpdir());
  assert.ok(!relative(run, dataDirPath()).startsWith('..'), `${dataDirPath()} is inside ${run}`);
});
