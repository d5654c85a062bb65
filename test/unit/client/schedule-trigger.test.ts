import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../../src/client/errors.js';
import { triggerOutcome } from '../../../src/client/schedule.js';

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
