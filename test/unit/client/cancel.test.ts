import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { cancelWorkflow } from '../../../src/client/cancel.js';
import type { Progress } from '../../../src/workflows/common.js';

const ID = 'preview/x';
const DATES = ['2026-03-24', '2026-03-25', '2026-03-26', '2026-03-27', '2026-03-28', '2026-03-29'];

/**
 * A cluster holding one running preview: asked how far it has got, it has finished `doneBefore`
 * dates; by the time the cancellation reaches it, it has finished all but its last, which it
 * stops on, and it returns what it finished.
 */
function clusterWithPreview(doneBefore: number): Client {
  let cancelled = false;
  const progress: Progress = {
    workflow: 'preview',
    stage: 'analysing',
    total: DATES.length,
    done: doneBefore,
    failed: 0,
    current: [DATES[doneBefore] as string],
    waiting: [],
  };
  const result = {
    slug: 'x',
    dataset: 'tmp',
    startDate: DATES[0],
    endDate: DATES.at(-1),
    sampleSize: 10,
    pin: { toolVersion: '0.1.0', buildId: 'dev', configCommit: null, anchor: null, reason: 'running' },
    days: DATES.slice(0, -1).map((date) => ({ date, status: 'analyzed', reason: null, statistics: [] })),
    views: [],
    interrupted: { date: DATES.at(-1), notRun: [] },
  };
  const handle = {
    describe: async () => ({
      workflowId: ID,
      type: 'preview',
      status: { name: cancelled ? 'COMPLETED' : 'RUNNING' },
      closeTime: cancelled ? new Date('2026-04-01T00:00:00Z') : undefined,
    }),
    query: async () => progress,
    cancel: async () => {
      cancelled = true;
    },
    result: async () => result,
  };
  const client = {
    options: { namespace: 'default' },
    workflow: { getHandle: () => handle },
    workflowService: { getWorkflowExecutionHistory: async () => ({ history: { events: [] } }) },
    withDeadline: (_deadline: number, call: () => Promise<unknown>) => call(),
    withAbortSignal: (_signal: AbortSignal, call: () => Promise<unknown>) => call(),
  };
  return client as unknown as Client;
}

describe('contrail cancel of a preview', () => {
  it('ends with a line that agrees with the report of the dates it finished, not a count from before', async () => {
    const report = await cancelWorkflow(clusterWithPreview(4), ID, {
      server: '127.0.0.1:7233 (namespace default)',
      address: '127.0.0.1:7233',
      follow: true,
      progressBar: false,
      log: () => undefined,
    });
    // The report names the five dates that finished before the stop.
    assert.match(
      report.report ?? '',
      /^Interrupted: 2026-03-24, .*, 2026-03-28 finished; 2026-03-29 stopped/m,
    );
    // Four were done when it was asked how far it had got: said after the report, that read
    // as if the report were wrong.
    assert.doesNotMatch(report.summary, /4 of 6/);
    assert.equal(report.summary, `${ID} stopped where its report says: cancelled ${ID}`);
    // What it had reached when asked stays in the JSON, under that name.
    assert.equal(report.reached?.done, 4);
  });
});
