import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import { test } from 'node:test';

// The runner (scripts/run-tests.ts) marks every process it starts with CONTRAIL_TEST_RUN.
test('under the test runner, temporary files go to the run directory it deletes at the end', {
  skip: process.env.CONTRAIL_TEST_RUN ? false : 'run through scripts/run-tests.ts',
}, () => {
  assert.equal(basename(tmpdir()), 'tmp');
  assert.match(basename(dirname(tmpdir())), /^contrail-test-run-/);
});
