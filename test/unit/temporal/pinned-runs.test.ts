import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import { waitingSince } from '../../../src/temporal/pinned-runs.js';

/** A describe response with the given pending workflow task and activities (times in seconds). */
const described = (parts: {
  task?: { state: number; scheduled: number; original?: number };
  activities?: { state: number; scheduled: number; next?: number; lastCompleted?: number }[];
}): WorkflowExecutionDescription['raw'] => {
  const ts = (s: number) => msNumberToTs(s * 1000);
  return {
    pendingWorkflowTask: parts.task
      ? {
          state: parts.task.state,
          scheduledTime: ts(parts.task.scheduled),
          ...(parts.task.original === undefined ? {} : { originalScheduledTime: ts(parts.task.original) }),
        }
      : null,
    pendingActivities: (parts.activities ?? []).map((a) => ({
      state: a.state,
      scheduledTime: ts(a.scheduled),
      ...(a.next === undefined ? {} : { nextAttemptScheduleTime: ts(a.next) }),
      ...(a.lastCompleted === undefined ? {} : { lastAttemptCompleteTime: ts(a.lastCompleted) }),
    })),
  };
};
const SCHEDULED = 1;
const STARTED = 2;
const at = (s: number) => s * 1000;

describe('waitingSince: a run waits for a worker of its build', () => {
  it('when its workflow task has been scheduled and not taken for the threshold, since it was first scheduled', () => {
    const raw = described({ task: { state: SCHEDULED, scheduled: 100, original: 90 } });
    assert.equal(waitingSince(raw, at(96), 5000), at(90));
    assert.equal(waitingSince(raw, at(94), 5000), null, 'not yet for the threshold');
  });

  it('not while a worker runs its task', () => {
    assert.equal(waitingSince(described({ task: { state: STARTED, scheduled: 10 } }), at(100), 5000), null);
  });

  it('when an activity is scheduled and not taken, but not while it waits out a retry backoff', () => {
    assert.equal(
      waitingSince(described({ activities: [{ state: SCHEDULED, scheduled: 50 }] }), at(60), 5000),
      at(50),
    );
    const backingOff = described({ activities: [{ state: SCHEDULED, scheduled: 50, next: 200 }] });
    assert.equal(waitingSince(backingOff, at(60), 5000), null);
    // After the backoff, the wait counts from when the attempt became due.
    assert.equal(waitingSince(backingOff, at(210), 5000), at(200));
    assert.equal(
      waitingSince(described({ activities: [{ state: STARTED, scheduled: 50 }] }), at(100), 5000),
      null,
    );
  });

  it('nothing pending: not waiting', () => {
    assert.equal(waitingSince(described({}), at(100), 5000), null);
  });
});
