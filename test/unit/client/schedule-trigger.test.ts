import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../../src/client/errors.js';
import { dailyRunSettings, triggerOutcome, updateOutcome } from '../../../src/client/schedule.js';

test('a trigger names the run it started, to follow with contrail status', () => {
  const before = { running: [], recent: ['contrail-daily-analysis-2026-03-15T04:00:00Z'] };
  const after = {
    running: ['contrail-daily-analysis-2026-03-16T08:45:08Z'],
    recent: ['contrail-daily-analysis-2026-03-15T04:00:00Z', 'contrail-daily-analysis-2026-03-16T08:45:08Z'],
  };
  assert.equal(
    triggerOutcome(before, after),
    'triggered contrail-daily-analysis: started contrail-daily-analysis-2026-03-16T08:45:08Z; follow it with `contrail status contrail-daily-analysis-2026-03-16T08:45:08Z`',
  );
});

test('a trigger while a scheduled run still runs says that nothing starts, and which run to follow', () => {
  const before = { running: ['contrail-daily-analysis-2026-03-16T04:00:00Z'], recent: [] };
  assert.throws(
    () => triggerOutcome(before, null),
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
  const before = dailyRunSettings([{ hour: [{ start: 4 }], minute: [{ start: 0 }] }], {
    taskQueue: 'contrail',
    args: [{ dataset: 'contrail', concurrency: 4 }],
  });
  // As `create` builds it from another shell's CONTRAIL_TASK_QUEUE and --dataset_id.
  const after = dailyRunSettings([{ hour: 4, minute: 0 }], {
    taskQueue: 'staging',
    args: [{ dataset: 'scratch', concurrency: 4 }],
  });
  assert.equal(
    updateOutcome(before, after),
    'updated it (task queue contrail → staging, dataset contrail → scratch): dailyAnalysis every day at 04:00 UTC, task queue staging, dataset scratch, 4 experiments at once',
  );
  assert.equal(
    updateOutcome(before, { ...before }),
    'unchanged: dailyAnalysis every day at 04:00 UTC, task queue contrail, dataset contrail, 4 experiments at once',
  );
});
