import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError } from '@temporalio/client';
import { describeUnexpected } from '../../../src/client/errors.js';

test('an unexpected Temporal error says why, from its cause, not only what failed', () => {
  // As the client throws it when the server refuses a start.
  const error = new ServiceError('Failed to start Workflow', {
    cause: Object.assign(new Error('3 INVALID_ARGUMENT: WorkflowId length exceeds limit.'), { code: 3 }),
  });
  assert.equal(
    describeUnexpected(error),
    'Failed to start Workflow: 3 INVALID_ARGUMENT: WorkflowId length exceeds limit.',
  );
});

test('a cause that repeats its error is said once; a thrown string is said as it is', () => {
  const inner = new Error('disk full');
  assert.equal(
    describeUnexpected(new Error('writing x: disk full', { cause: inner })),
    'writing x: disk full',
  );
  assert.equal(describeUnexpected('plain'), 'plain');
});
