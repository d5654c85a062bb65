import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { CliError } from '../../../src/client/errors.js';
import { dailyPolicies, deleteOutcome } from '../../../src/client/schedule.js';
import {
  dailyRunSettings,
  describeCatchupWindow,
  describeSchedule,
  runLines,
  updateOutcome,
} from '../../../src/client/schedule-describe.js';
import {
  recentLine,
  recentOutcome,
  type ScheduleRun,
  scheduledStartOf,
  TRIGGER_CLOCK_MARGIN_MS,
  triggerDelayMs,
  triggerOutcome,
} from '../../../src/client/schedule-runs.js';

const active = { paused: false, date: null };
const triggeredAt = new Date('2026-03-16T08:45:08.412Z');

/** A run of the schedule as its description lists it: the run id defaults to one per workflow id. */
const run = (workflowId: string, runId = `run-of-${workflowId}`) => ({
  workflowId,
  runId,
  scheduledAt: scheduledStartOf(workflowId) ?? new Date(0),
});
const ids = (...workflowIds: string[]) => workflowIds.map((id) => run(id));
const quiet = (recent: (ScheduleRun & { scheduledAt: Date })[]) => ({ running: [], recent });

test('a trigger names the run it started and the date it analyses, to follow with contrail status', () => {
  const before = quiet(ids('daily-2026-03-15T04:00:00Z'));
  const after = {
    running: ids('daily-2026-03-16T08:45:08Z'),
    recent: ids('daily-2026-03-15T04:00:00Z', 'daily-2026-03-16T08:45:08Z'),
  };
  assert.equal(
    triggerOutcome(before, after, active, triggeredAt),
    'triggered contrail-daily-analysis: started daily-2026-03-16T08:45:08Z, which analyses 2026-03-15; follow it with `contrail status daily-2026-03-16T08:45:08Z`',
  );
  // The date is the day before the run's scheduled start, which its id names: a trigger just
  // before midnight starts a run of that day's date, whenever the answer comes.
  const late = { running: ids('daily-2026-03-16T23:59:59Z'), recent: [] };
  assert.match(
    triggerOutcome(before, late, active, new Date('2026-03-17T00:00:01Z')),
    /started daily-2026-03-16T23:59:59Z, which analyses 2026-03-15;/,
  );
  // Not seen starting yet: the date of the trigger's time.
  assert.equal(
    triggerOutcome(before, before, active, triggeredAt),
    'triggered contrail-daily-analysis: a dailyAnalysis run of 2026-03-15 starts now; `contrail status` lists it',
  );
  // A schedule whose input names a date (made by another tool) analyses that date.
  assert.match(
    triggerOutcome(before, after, { paused: false, date: '2026-03-01' }, triggeredAt),
    /which analyses 2026-03-01;/,
  );
});

test('a trigger of a paused schedule says that this run starts and the daily runs stay paused', () => {
  const before = quiet([]);
  const after = { running: ids('daily-2026-03-16T08:45:08Z'), recent: ids('daily-2026-03-16T08:45:08Z') };
  assert.equal(
    triggerOutcome(before, after, { paused: true, date: null }, triggeredAt),
    'triggered contrail-daily-analysis: started daily-2026-03-16T08:45:08Z, which analyses 2026-03-15; the schedule stays paused: this run starts all the same, its daily runs do not until `contrail schedule unpause`; follow it with `contrail status daily-2026-03-16T08:45:08Z`',
  );
  assert.equal(
    triggerOutcome(before, null, { paused: true, date: null }, triggeredAt),
    'triggered contrail-daily-analysis: a dailyAnalysis run of 2026-03-15 starts now; the schedule stays paused: this run starts all the same, its daily runs do not until `contrail schedule unpause`; `contrail status` lists it',
  );
});

test("a schedule's run id names its scheduled start; other ids none", () => {
  assert.equal(scheduledStartOf('daily-2026-03-16T04:00:00Z')?.toISOString(), '2026-03-16T04:00:00.000Z');
  assert.equal(scheduledStartOf('daily/2026-03-15'), null);
});

test("a trigger within the second of another of the schedule's runs waits past that second, so its run gets an id of its own", () => {
  const now = new Date('2026-03-16T08:45:08.412Z');
  // A run triggered a moment before, already ended: the next second, and the clocks' margin.
  const moment = new Date('2026-03-16T08:45:08.300Z');
  assert.equal(triggerDelayMs([moment], now), 588 + TRIGGER_CLOCK_MARGIN_MS);
  // A scheduled run that ended at once, at its time to the millisecond.
  const four = new Date('2026-03-16T04:00:00Z');
  assert.equal(triggerDelayMs([four], new Date('2026-03-16T04:00:00.950Z')), 50 + TRIGGER_CLOCK_MARGIN_MS);
  // The run the schedule is about to start: it would wait behind the triggered run, then start
  // under the id of the second they share.
  assert.equal(triggerDelayMs([four], new Date('2026-03-16T03:59:59.950Z')), 1050 + TRIGGER_CLOCK_MARGIN_MS);
  // Whatever their order, the second that holds the trigger's time counts.
  assert.equal(
    triggerDelayMs([new Date('2026-03-17T04:00:00Z'), moment, four], now),
    588 + TRIGGER_CLOCK_MARGIN_MS,
  );
  // Runs of other seconds, or none: no wait.
  assert.equal(triggerDelayMs([new Date('2026-03-16T08:45:07.899Z')], now), 0);
  assert.equal(triggerDelayMs([four, new Date('2026-03-16T08:45:09.600Z')], now), 0);
  assert.equal(triggerDelayMs([], now), 0);
});

test('a trigger that started a run under the id of an earlier run names it, and says the id is shared', () => {
  // Triggered elsewhere (the Temporal CLI, the Web UI) in the second of the run before it.
  const earlier = run('daily-2026-03-16T08:45:08Z', 'first');
  const later = run('daily-2026-03-16T08:45:08Z', 'second');
  assert.equal(
    triggerOutcome(quiet([earlier]), { running: [later], recent: [earlier, later] }, active, triggeredAt),
    "triggered contrail-daily-analysis: started daily-2026-03-16T08:45:08Z (run second: the schedule's run before it, started in the same second, has the same id; `contrail status daily-2026-03-16T08:45:08Z` shows this one), which analyses 2026-03-15; follow it with `contrail status daily-2026-03-16T08:45:08Z`",
  );
});

test("describe's recent runs each say how their own run stands when two share a workflow id", async () => {
  // The earlier run of the id was terminated; the later, started in the same second, runs.
  const runs: Record<string, { status: string; result: () => Promise<unknown> }> = {
    first: {
      status: 'TERMINATED',
      result: () => Promise.reject(new Error('terminated by the operator')),
    },
    second: { status: 'RUNNING', result: () => new Promise(() => undefined) },
  };
  const latest = 'second';
  const client = {
    workflow: {
      getHandle: (_id: string, runId?: string, options?: { firstExecutionRunId?: string }) => {
        const which = runId ?? latest;
        const own = options?.firstExecutionRunId ?? which;
        return {
          describe: async () => ({ status: { name: runs[which]?.status } }),
          result: () => (runs[own] as { result: () => Promise<unknown> }).result(),
        };
      },
    },
  } as unknown as Client;
  const id = 'daily-2026-03-16T08:45:08Z';
  assert.deepEqual(await recentOutcome(client, id, 'first'), {
    status: 'ended',
    how: 'terminated',
    message: null,
  });
  assert.deepEqual(await recentOutcome(client, id, 'second'), { status: 'running' });
});

test('a trigger while a scheduled run still runs says that nothing starts, and which run to follow', () => {
  const before = { running: ids('contrail-daily-analysis-2026-03-16T04:00:00Z'), recent: [] };
  assert.throws(
    () => triggerOutcome(before, null, active, triggeredAt),
    (error: unknown) =>
      error instanceof CliError &&
      error.exitCode === 1 &&
      /not triggered: its run contrail-daily-analysis-2026-03-16T04:00:00Z is still running/.test(
        error.message,
      ) &&
      /`contrail status contrail-daily-analysis-2026-03-16T04:00:00Z`/.test(error.message),
  );
});

test('a second create names every setting of the daily run it changed, old and new', () => {
  // As the server describes the schedule: calendars of ranges, the action's input decoded.
  const before = dailyRunSettings(
    [{ hour: [{ start: 4 }], minute: [{ start: 0 }] }],
    {
      taskQueue: 'contrail',
      args: [{ dataset: 'contrail', concurrency: 4 }],
    },
    { overlap: 'BUFFER_ALL', catchupWindow: 7 * 86_400_000 },
  );
  // As `create` builds it from another shell's CONTRAIL_TASK_QUEUE and --dataset_id.
  const after = dailyRunSettings(
    [{ hour: 4, minute: 0 }],
    {
      taskQueue: 'staging',
      args: [{ dataset: 'scratch', concurrency: 4 }],
    },
    dailyPolicies(),
  );
  assert.equal(
    updateOutcome(before, after),
    'updated it (task queue contrail → staging, dataset contrail → scratch): dailyAnalysis every day at 04:00 UTC, task queue staging, dataset scratch, 4 experiments at once, runs missed while the server is down caught up within 7 days',
  );
  assert.equal(
    updateOutcome(before, { ...before }),
    'unchanged: dailyAnalysis every day at 04:00 UTC, task queue contrail, dataset contrail, 4 experiments at once, runs missed while the server is down caught up within 7 days',
  );
});

test('a second create over a schedule that skips a run due while the previous one runs says the update makes such a run wait for it', () => {
  const calendars = [{ hour: 4, minute: 0 }];
  const action = { taskQueue: 'contrail', args: [{ dataset: 'contrail', concurrency: 4 }] };
  assert.equal(
    updateOutcome(
      dailyRunSettings(calendars, action, { overlap: 'SKIP', catchupWindow: 7 * 86_400_000 }),
      dailyRunSettings(calendars, action, dailyPolicies()),
    ),
    'updated it (a run due while the previous one runs is skipped, leaving its date unanalysed → waits for it): dailyAnalysis every day at 04:00 UTC, task queue contrail, dataset contrail, 4 experiments at once, runs missed while the server is down caught up within 7 days',
  );
});

test('runs the server missed while down for a weekend start when it is back: a week by default, --catchup_days otherwise', () => {
  const day = 86_400_000;
  assert.deepEqual(dailyPolicies(), { overlap: 'BUFFER_ALL', catchupWindow: 7 * day });
  assert.deepEqual(dailyPolicies(3), { overlap: 'BUFFER_ALL', catchupWindow: 3 * day });
  const calendars = [{ hour: 4, minute: 0 }];
  const action = { taskQueue: 'contrail', args: [{ dataset: 'contrail', concurrency: 4 }] };
  // A schedule an earlier contrail created caught up a day; a second create widens it, and says so.
  const earlier = dailyRunSettings(calendars, action, { overlap: 'BUFFER_ALL', catchupWindow: day });
  assert.equal(
    updateOutcome(earlier, dailyRunSettings(calendars, action, dailyPolicies())),
    'updated it (catch-up window 1 day → 7 days): dailyAnalysis every day at 04:00 UTC, task queue contrail, dataset contrail, 4 experiments at once, runs missed while the server is down caught up within 7 days',
  );
  assert.match(
    updateOutcome(
      dailyRunSettings(calendars, action, dailyPolicies()),
      dailyRunSettings(calendars, action, dailyPolicies(30)),
    ),
    /^updated it \(catch-up window 7 days → 30 days\): .* caught up within 30 days$/,
  );
  // As another tool may have set it.
  assert.equal(describeCatchupWindow(36 * 3_600_000), '36 hours');
  assert.equal(describeCatchupWindow(90_000), '90 seconds');
  assert.equal(describeCatchupWindow(undefined), "(the server's default)");
});

test('describe names the run under way, the runs waiting behind it and those the schedule never started', () => {
  const quiet = { running: [], waiting: 0, skipped: 0, missed: 0, catchupWindowMs: 7 * 86_400_000 };
  assert.deepEqual(runLines(quiet), []);
  assert.deepEqual(
    runLines({ ...quiet, running: ['daily-2026-03-16T04:00:00Z'], waiting: 2, skipped: 3, missed: 1 }),
    [
      '  running: daily-2026-03-16T04:00:00Z (`contrail status daily-2026-03-16T04:00:00Z` follows it)',
      '  waiting: 2 runs due since, each to start when the one before it ends',
      '  never started, since it was created: 3 runs skipped while the previous one ran; 1 run missed while the server was down longer than the catch-up window (7 days); their dates have no daily results unless `contrail backfill` analysed them (`contrail schedule create --catchup_days <days>` widens the window)',
    ],
  );
  // Only skipped runs: the catch-up window is no matter.
  assert.deepEqual(runLines({ ...quiet, skipped: 1 }), [
    '  never started, since it was created: 1 run skipped while the previous one ran; their dates have no daily results unless `contrail backfill` analysed them',
  ]);
});

test("describe's recent runs say how each stands: a completed run's report line, with its failures pointed to", () => {
  const at = new Date('2026-03-16T04:00:01Z');
  const id = 'daily-2026-03-16T04:00:00Z';
  assert.equal(
    recentLine(at, id, {
      status: 'completed',
      summary: 'daily analysis 2026-03-15: 3 analysed, 1 failed',
      failed: 1,
    }),
    '    2026-03-16T04:00:01.000Z daily-2026-03-16T04:00:00Z: daily analysis 2026-03-15: 3 analysed, 1 failed (`contrail status daily-2026-03-16T04:00:00Z` names them and why)',
  );
  assert.equal(
    recentLine(at, id, { status: 'running' }),
    '    2026-03-16T04:00:01.000Z daily-2026-03-16T04:00:00Z: running',
  );
  assert.equal(
    recentLine(at, id, { status: 'ended', how: 'failed', message: 'ConfigError: boom' }),
    '    2026-03-16T04:00:01.000Z daily-2026-03-16T04:00:00Z: failed: ConfigError: boom',
  );
});

test("describe's recent runs that share a workflow id name their run ids; other runs' lines stay as they were", async () => {
  // A scheduled run completed; one triggered from the Temporal CLI in the same second as the
  // next was terminated, and that next one runs: the last two share their workflow id.
  const shared = 'daily-2026-03-16T08:45:08Z';
  const recentActions = [
    { takenAt: new Date('2026-03-16T04:00:00.120Z'), workflowId: 'daily-2026-03-16T04:00:00Z', runId: 'r1' },
    { takenAt: new Date('2026-03-16T08:45:08.210Z'), workflowId: shared, runId: 'r2' },
    { takenAt: new Date('2026-03-16T08:45:08.730Z'), workflowId: shared, runId: 'r3' },
  ].map(({ takenAt, workflowId, runId }) => ({
    takenAt,
    action: { workflow: { workflowId, firstExecutionRunId: runId } },
  }));
  const runs: Record<string, { status: string; result: () => Promise<unknown> }> = {
    r1: {
      status: 'COMPLETED',
      result: async () => ({ date: '2026-03-15', analyzed: [], failed: [], reran: [], waited: [] }),
    },
    r2: { status: 'TERMINATED', result: () => Promise.reject(new Error('terminated')) },
    r3: { status: 'RUNNING', result: () => new Promise(() => undefined) },
  };
  const client = {
    schedule: {
      getHandle: () => ({
        describe: async () => ({
          scheduleId: 'contrail-daily-analysis',
          spec: { calendars: [{ hour: [{ start: 4 }], minute: [{ start: 0 }] }] },
          action: { taskQueue: 'contrail', args: [{ dataset: 'contrail', concurrency: 4 }] },
          policies: { overlap: 'SKIP', catchupWindow: 7 * 86_400_000 },
          state: { paused: false },
          raw: { info: {} },
          info: {
            runningActions: [{ workflow: { workflowId: shared, firstExecutionRunId: 'r3' } }],
            numActionsSkippedOverlap: 0,
            numActionsMissedCatchupWindow: 0,
            nextActionTimes: [],
            recentActions,
          },
        }),
      }),
    },
    workflow: {
      getHandle: (_id: string, runId: string) => ({
        describe: async () => ({ status: { name: runs[runId]?.status } }),
        result: () => (runs[runId] as { result: () => Promise<unknown> }).result(),
      }),
    },
  } as unknown as Client;
  const described = (await describeSchedule(client)).split('\n');
  const recent = described.slice(described.indexOf('  recent:') + 1);
  assert.equal(recent.length, 3);
  assert.match(
    recent[0] as string,
    /^ {4}2026-03-16T04:00:00\.120Z daily-2026-03-16T04:00:00Z: daily analysis /,
  );
  assert.deepEqual(recent.slice(1), [
    `    2026-03-16T08:45:08.210Z ${shared} (run r2): terminated`,
    `    2026-03-16T08:45:08.730Z ${shared} (run r3): running`,
  ]);
});

test('deleting the schedule says that its run under way goes on and the runs behind it will not start', () => {
  assert.equal(deleteOutcome([], 0), 'deleted contrail-daily-analysis');
  assert.equal(
    deleteOutcome(['daily-2026-03-16T04:00:00Z'], 2),
    'deleted contrail-daily-analysis; its run daily-2026-03-16T04:00:00Z goes on (`contrail status daily-2026-03-16T04:00:00Z` follows it); 2 runs that waited behind it will not start: `contrail backfill` analyses their dates',
  );
});
