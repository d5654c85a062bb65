import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import { awaitRuns, type StartedRun, waitingSince } from '../../../src/temporal/pinned-runs.js';
import { TOOL_VERSION } from '../../../src/temporal/search-attributes.js';

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

describe('awaitRuns', () => {
  /** A client double: one run, running until `end()`; each describe is counted. */
  const oneRun = () => {
    let status = 'RUNNING';
    let resolve: () => void = () => undefined;
    const ended = new Promise<void>((done) => {
      resolve = done;
    });
    const end = () => {
      status = 'COMPLETED';
      resolve();
    };
    const calls = { describe: 0, result: 0 };
    const client = {
      workflow: {
        getHandle: () => ({
          describe: async () => {
            calls.describe++;
            return { status: { name: status }, raw: { pendingWorkflowTask: null, pendingActivities: [] } };
          },
          result: async () => {
            calls.result++;
            await ended;
            return 'done';
          },
        }),
      },
    } as unknown as Client;
    const run: StartedRun = {
      workflowType: 'analyzeExperiment',
      // Its own id in each test: the long polls for closes are kept by id across waits.
      workflowId: `analysis/${randomUUID()}`,
      runId: 'r1',
      slug: 's',
      date: null,
      toolVersion: null,
      pinnedTo: null,
    };
    return { client, run, calls, end };
  };
  const options = { knownWaiting: [], maxWaitMs: 60_000, waitingAfterMs: 5_000, heartbeat: () => undefined };

  it('returns as soon as a run ends, without waiting for the next look at the runs', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { client, run, calls, end } = oneRun();
    const awaited = awaitRuns(client, [run], options);
    // The first look finds it running; the clock never moves, so only its end can wake the wait.
    while (calls.describe === 0) await new Promise((resolve) => setImmediate(resolve));
    end();
    const { finished, waiting } = await awaited;
    assert.deepEqual(finished, [{ workflowId: run.workflowId, status: 'completed', result: 'done' }]);
    assert.deepEqual(waiting, []);
    assert.equal(calls.describe, 2);
  });

  it('a later wait on the same run takes over its long poll rather than starting another', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { client, run, calls, end } = oneRun();
    const first = awaitRuns(client, [run], { ...options, maxWaitMs: 0 });
    assert.deepEqual((await first).finished, []);
    const second = awaitRuns(client, [run], options);
    while (calls.describe < 2) await new Promise((resolve) => setImmediate(resolve));
    end();
    assert.equal((await second).finished.length, 1);
    // One long poll for the close, plus the one that reads the result of the ended run.
    assert.equal(calls.result, 2);
  });

  it("another parent's run that waits for a worker is returned waiting with the tooling its start recorded", async () => {
    // A run of another parent, as startRuns returns it: its tooling is not known to this parent.
    const other: StartedRun = {
      workflowType: 'analyzeExperiment',
      workflowId: `analysis/${randomUUID()}`,
      runId: 'r1',
      slug: 'exp',
      date: '2026-03-15',
      toolVersion: null,
      pinnedTo: null,
    };
    const client = {
      workflow: {
        getHandle: () => ({
          describe: async () => ({
            status: { name: 'RUNNING' },
            raw: described({ task: { state: SCHEDULED, scheduled: 100 } }),
            typedSearchAttributes: new TypedSearchAttributes([{ key: TOOL_VERSION, value: '0.1.0+v1' }]),
          }),
          result: () => new Promise(() => undefined),
        }),
      },
    } as unknown as Client;
    const { finished, waiting } = await awaitRuns(client, [other], { ...options, now: () => at(200) });
    assert.deepEqual(finished, []);
    assert.deepEqual(waiting, [
      {
        workflowId: other.workflowId,
        slug: 'exp',
        date: '2026-03-15',
        toolVersion: '0.1.0+v1',
        buildId: null,
        since: new Date(at(100)).toISOString(),
      },
    ]);
  });
});
