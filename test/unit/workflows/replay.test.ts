import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';

const historiesDir = fileURLToPath(new URL('../../histories/', import.meta.url));
const workflowsPath = fileURLToPath(new URL('../../../src/workflows/index.ts', import.meta.url));

/**
 * Committed histories (recorded by `npm run record-histories`) replayed with the current
 * workflow code: a change that would break running workflows fails here.
 */
test('committed workflow histories replay with the current workflow code', async () => {
  const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length > 0, 'no committed histories: run npm run record-histories');
  const histories = files.map((file) => {
    const recorded = JSON.parse(readFileSync(`${historiesDir}${file}`, 'utf8')) as {
      workflowId: string;
      history: unknown;
    };
    return { workflowId: recorded.workflowId, history: historyFromJSON(recorded.history) };
  });
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.deepEqual(failures, []);

  // Every workflow the worker registers has a history here, so none changes unguarded.
  const recorded = new Set(
    histories.map(
      ({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name,
    ),
  );
  const registered = Object.keys(await import('../../../src/workflows/index.js'));
  assert.deepEqual(
    registered.filter((name) => !recorded.has(name)),
    [],
    'workflows without a recorded history: add a scenario to scripts/record-histories.ts',
  );
});
