import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { followWorkflow } from '../../src/client/follow.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { createContrailWorker } from '../../src/worker.js';
import type { BackfillResult } from '../../src/workflows/backfill.js';
import { workflowIds } from '../../src/workflows/ids.js';
import type { BackfillInput, PreviewInput } from '../../src/workflows/inputs.js';
import { testDeps } from '../helpers/deps.js';
import { configRepoWith, sampleWarehouse } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

// Week 1 of the demo experiment completes on 2026-03-15 (enrollment 2026-03-02 … 03-08).
const WEEK_1 = '2026-03-15';
const DATASET = 'follow_runs';
/** What the warehouse says the first two times the analysis computes its metrics. */
const FULL = 'No space left on device (writing the embedded warehouse)';

/**
 * What a follower prints about a run on the real dev server and worker: the retries of the
 * analyses a backfill starts as workflows of their own (pinned to their build), not children;
 * a preview's cost estimate in its place among the progress lines.
 */
describe('following runs', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  let worker: Worker;
  let running: Promise<void>;
  let failuresLeft = 2;

  before(async () => {
    temporal = await testTemporal();
    warehouse = await sampleWarehouse(3000);
    const deps = testDeps(warehouse, { configRepos: [configRepoWith({}, { light: true })] });
    const activities = createActivities(deps);
    worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      deps,
      overrides: {
        activities: {
          ...activities,
          computeMetrics: async (input: Parameters<typeof activities.computeMetrics>[0]) => {
            if (failuresLeft > 0) {
              failuresLeft--;
              throw new Error(FULL);
            }
            return await activities.computeMetrics(input);
          },
        },
      },
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await warehouse.close();
    await temporal.close();
  });

  test("says each attempt of the analysis's retrying activity, naming the analysis and its failure", async () => {
    const workflowId = `backfill-follow/${temporal.taskQueue}`;
    const input: BackfillInput = {
      slugs: [DEMO_SLUG],
      startDate: WEEK_1,
      endDate: WEEK_1,
      periods: ['week'],
      dataset: DATASET,
    };
    await temporal.client.workflow.start('backfill', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [input],
    });
    const lines: string[] = [];
    const result = await followWorkflow<BackfillResult>(temporal.client, workflowId, {
      progressBar: false,
      log: (line) => lines.push(line),
      retryCheckMs: 200,
    });
    assert.deepEqual(result.failed, []);
    const analysis = workflowIds.analysis(DEMO_SLUG, WEEK_1, DATASET);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('retrying')),
      [
        `retrying computeMetrics (attempt 2) in ${analysis}: ${FULL}`,
        `retrying computeMetrics (attempt 3) in ${analysis}: ${FULL}`,
      ],
      lines.join('\n'),
    );
  });

  test("a preview refused for its estimate prints the estimating stage's line before the estimate, however late its progress is first seen", async () => {
    const workflowId = `preview-refused/${temporal.taskQueue}`;
    const input: PreviewInput = {
      slug: DEMO_SLUG,
      startDate: '2026-03-14',
      endDate: WEEK_1,
      periods: ['week'],
      sampleSize: 100,
      dataset: 'following_refused',
      maxBytes: 1000,
    };
    const handle = await temporal.client.workflow.start('preview', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [input],
    });
    await assert.rejects(handle.result(), WorkflowFailedError);
    // Followed once it has failed, its progress is first seen by the last query: in the stage
    // it failed in, with the notes that stage found, as a follower whose polls all came too
    // late (a loaded machine) sees it.
    const lines: string[] = [];
    await assert.rejects(
      followWorkflow(temporal.client, workflowId, { progressBar: false, log: (l) => lines.push(l) }),
      /more than --max-bytes 1000 B/,
    );
    assert.equal(lines[0], 'estimating cost (0/2)', lines.join('\n'));
    assert.match(lines[1] ?? '', /^cost before running/, lines.join('\n'));
    assert.equal(lines.filter((l) => l.startsWith('estimating cost')).length, 1, lines.join('\n'));
  });
});
