import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunOutcome, StartedRun, WaitingRun } from '../../../src/activities/types.js';
import {
  type Failed,
  FanOut,
  notReached,
  type RunItem,
  type ToStart,
} from '../../../src/workflows/fan-out.js';

// A parent's fan-out driven as `runAll` drives it, with the activities' answers written out.

const item = (id: string): RunItem<string> => ({
  label: id,
  start: {
    workflowType: 'analyzeExperiment',
    workflowId: id,
    input: {},
    pinnedTo: null,
    slug: id,
    date: null,
    toolVersion: null,
    configCommit: null,
    summary: `analysis ${id}`,
  },
});
const run = (id: string, runId = `run-of-${id}`): StartedRun => ({
  workflowType: 'analyzeExperiment',
  workflowId: id,
  runId,
  slug: id,
  date: null,
  toolVersion: null,
  pinnedTo: null,
});
/** Another parent's run of the same id, as startRuns returns it. */
const busy = (id: string, startedBy = 'daily/2026-03-15') => ({
  busy: true as const,
  workflowId: id,
  run: run(id, `other-run-of-${id}`),
  startedBy,
});
const completed = (id: string, result = `result of ${id}`): RunOutcome<string> => ({
  workflowId: id,
  status: 'completed',
  result,
});
const failed = (id: string, storage?: 'full'): Failed<string> => ({
  workflowId: id,
  status: 'failed',
  errorType: 'WarehouseUnavailableError',
  message: `${id} could not write`,
  ...(storage ? { storage } : {}),
});
const waits = (id: string, since = '2026-03-16T04:00:00.000Z'): WaitingRun => ({
  workflowId: id,
  slug: id,
  date: null,
  toolVersion: '0.1.0+v1',
  buildId: 'v1',
  since,
});
const ids = (batch: readonly ToStart[]) => batch.map((b) => b.start.workflowId);

test('at most `concurrency` runs are open at once; decided items finish without a run; outcomes keep the order of the items', () => {
  const decided = completed('b', 'nothing due');
  const fanOut = new FanOut([item('a'), { label: 'b', outcome: decided }, item('c'), item('d')], {
    concurrency: 2,
    counts: { done: 5, failed: 1 },
  });
  const first = fanOut.nextBatch();
  assert.deepEqual(ids(first), ['a', 'c'], 'b is decided: it takes no place among the open runs');
  assert.deepEqual(fanOut.progress().done, 6, 'counting on from the counts given, b included');
  fanOut.started(first, [run('a'), run('c')]);
  assert.deepEqual(fanOut.progress(), {
    done: 6,
    failed: 1,
    current: ['a', 'c'],
    waiting: [],
    runs: ['a', 'c'],
    behind: [],
  });
  assert.deepEqual(fanOut.nextBatch(), [], 'two runs open: none more');
  assert.deepEqual(fanOut.toAwait(), [run('a'), run('c')]);

  fanOut.awaited({ finished: [failed('c')], waiting: [] });
  assert.deepEqual(fanOut.progress().current, ['a']);
  assert.deepEqual([fanOut.progress().done, fanOut.progress().failed], [7, 2]);
  const second = fanOut.nextBatch();
  assert.deepEqual(ids(second), ['d']);
  // A start answered by an outcome (refused, or found ended) finishes its item at once.
  fanOut.started(second, [completed('d')]);
  assert.deepEqual(fanOut.toAwait(), [run('a')]);
  fanOut.awaited({ finished: [completed('a')], waiting: [] });
  assert.equal(fanOut.pending, false);
  assert.deepEqual(fanOut.result(), {
    outcomes: [completed('a'), decided, failed('c'), completed('d')],
    waited: [],
    notStarted: [],
    stoppedBy: null,
  });
  assert.equal(fanOut.progress().done, 9);
});

test("an item behind another parent's run takes a place, is awaited after the parent's own runs, and starts again first once that run ended", () => {
  const fanOut = new FanOut([item('a'), item('b'), item('c')], { concurrency: 2 });
  const first = fanOut.nextBatch();
  fanOut.started(first, [busy('a'), run('b')]);
  assert.deepEqual(fanOut.nextBatch(), [], 'one run open and one held: no place for c');
  assert.deepEqual(fanOut.toAwait(), [run('b'), run('a', 'other-run-of-a')]);
  assert.deepEqual(fanOut.progress().behind, [
    { workflowId: 'a', label: 'a', startedBy: 'daily/2026-03-15' },
  ]);
  assert.deepEqual(fanOut.progress().current, ['b']);
  // Cancelled now, the parent cancels its own run only: the other parent's is left alone.
  assert.deepEqual(fanOut.openRuns(), [run('b')]);

  // The other parent's run failed: not this parent's outcome, its own run of a starts now.
  fanOut.awaited({ finished: [failed('a')], waiting: [] });
  assert.deepEqual([fanOut.progress().done, fanOut.progress().failed], [0, 0]);
  assert.deepEqual(fanOut.progress().behind, []);
  const again = fanOut.nextBatch();
  assert.deepEqual(ids(again), ['a'], 'a starts before c, and with b open there is no place for c');
  fanOut.started(again, [run('a')]);
  fanOut.awaited({ finished: [completed('b'), completed('a')], waiting: [] });
  const last = fanOut.nextBatch();
  assert.deepEqual(ids(last), ['c']);
  fanOut.started(last, [run('c')]);
  fanOut.awaited({ finished: [completed('c')], waiting: [] });
  assert.equal(fanOut.pending, false);
  assert.deepEqual(fanOut.result().outcomes, [completed('a'), completed('b'), completed('c')]);
});

test('runs waiting for a worker of their build: the own ones in the progress and in `waited` as first seen, the ones waited for in `behind`', () => {
  const fanOut = new FanOut([item('a'), item('b')], { concurrency: 2 });
  fanOut.started(fanOut.nextBatch(), [run('a'), busy('b')]);
  assert.deepEqual(fanOut.knownWaiting, []);
  fanOut.awaited({ finished: [], waiting: [waits('a'), waits('b')] });
  assert.deepEqual(fanOut.knownWaiting, ['a', 'b'], 'the next await returns early only when this changes');
  assert.deepEqual(fanOut.progress().waiting, [waits('a')]);
  assert.deepEqual(fanOut.progress().behind, [
    {
      workflowId: 'b',
      label: 'b',
      startedBy: 'daily/2026-03-15',
      waitsForWorker: { toolVersion: '0.1.0+v1', since: '2026-03-16T04:00:00.000Z' },
    },
  ]);
  fanOut.awaited({ finished: [], waiting: [waits('a', '2026-03-16T05:00:00.000Z')] });
  assert.deepEqual(fanOut.progress().behind, [
    { workflowId: 'b', label: 'b', startedBy: 'daily/2026-03-15' },
  ]);
  fanOut.awaited({ finished: [completed('a'), completed('b')], waiting: [] });
  assert.deepEqual(fanOut.progress().waiting, []);
  fanOut.started(fanOut.nextBatch(), [run('b')]);
  fanOut.awaited({ finished: [completed('b')], waiting: [] });
  assert.deepEqual(fanOut.result().waited, [waits('a')], 'as first seen waiting, once');
});

test('after an outcome meets `stopOn` nothing more starts: held, to start again and unreached items never start, decided ones keep their outcome', () => {
  const asked: string[] = [];
  const decided = completed('e', 'nothing due');
  const fanOut = new FanOut(
    [item('a'), item('b'), item('c'), item('d'), { label: 'e', outcome: decided }, item('f')],
    {
      concurrency: 4,
      counts: { done: 0, failed: 0 },
      stopOn: (outcome) => {
        asked.push(outcome.workflowId);
        return outcome.status === 'failed' && outcome.storage ? outcome : null;
      },
    },
  );
  fanOut.started(fanOut.nextBatch(), [run('a'), run('b'), busy('c'), busy('d')]);
  // a fails on the storage as d's other run ends: d would start again, c still waits.
  fanOut.awaited({ finished: [failed('a', 'full'), completed('d')], waiting: [] });
  assert.deepEqual(fanOut.nextBatch(), [], 'no run starts after the stop');
  assert.deepEqual(
    fanOut.toAwait(),
    [run('b')],
    'the run already started ends as it ends; c is not waited for',
  );
  assert.deepEqual(fanOut.progress().behind, []);
  // Neither done nor failed: the items never started never ran.
  assert.deepEqual([fanOut.progress().done, fanOut.progress().failed], [2, 1]);
  fanOut.awaited({ finished: [failed('b', 'full')], waiting: [] });
  assert.equal(fanOut.pending, false);
  assert.deepEqual(asked, ['a'], 'once stopped, no outcome is asked again');
  const notStarted = (id: string) => ({
    workflowId: id,
    status: 'failed',
    errorType: 'WarehouseUnavailableError',
    message: 'not started after a failed: a could not write',
  });
  assert.deepEqual(fanOut.result(), {
    outcomes: [
      failed('a', 'full'),
      failed('b', 'full'),
      notStarted('c'),
      notStarted('d'),
      decided,
      notStarted('f'),
    ],
    waited: [],
    notStarted: [2, 3, 5],
    stoppedBy: { index: 0, failure: failed('a', 'full') },
  });
});

test('the items a stopped parent never reaches: the decided ones counted as they would have been, the others not attempted', () => {
  const dates = ['2026-03-13', '2026-03-14', '2026-03-15', '2026-03-16'];
  // Nothing is due on the first and last date: their outcomes are known without a run.
  const itemOf = (date: string): RunItem<string> =>
    date === '2026-03-13' || date === '2026-03-16'
      ? { label: date, outcome: completed(`analysis/exp/${date}`, 'nothing due') }
      : item(`analysis/exp/${date}`);
  const counted: [string, RunOutcome<string>][] = [];
  const notAttempted = notReached(dates, itemOf, (date, outcome) => counted.push([date, outcome]));
  assert.equal(notAttempted, 2);
  assert.deepEqual(counted, [
    ['2026-03-13', completed('analysis/exp/2026-03-13', 'nothing due')],
    ['2026-03-16', completed('analysis/exp/2026-03-16', 'nothing due')],
  ]);
  assert.equal(
    notReached([], itemOf, () => assert.fail('nothing to count')),
    0,
  );
});
