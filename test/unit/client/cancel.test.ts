import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { RetryState } from '@temporalio/common';
import { cancelWorkflow } from '../../../src/client/cancel.js';
import type { Progress } from '../../../src/workflows/common.js';
import { DAILY_SCHEDULE_ID } from '../../../src/workflows/ids.js';

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

/** One run of a workflow id, as a fake cluster holds it. */
interface FakeRun {
  runId: string;
  type: string;
  status: string;
  progress?: Progress;
  result?: () => Promise<unknown>;
}

/**
 * A cluster where each id may have several runs, the last the one a handle without a run id
 * reaches: cancelling a run ends it cancelled, and `afterCancel` then runs (another backfill
 * starting its own run of a reused analysis id, as it does as soon as the one before it ends).
 */
function clusterOfRuns(runs: Map<string, FakeRun[]>, afterCancel: () => void): Client {
  const find = (id: string, runId: string | undefined) => {
    const all = runs.get(id) ?? [];
    const run = runId === undefined ? all.at(-1) : all.find((r) => r.runId === runId);
    if (run === undefined) throw new Error(`no run ${id} ${runId}`);
    return run;
  };
  const client = {
    options: { namespace: 'default' },
    workflow: {
      getHandle: (id: string, runId?: string) => ({
        workflowId: id,
        describe: async () => {
          const r = find(id, runId);
          return {
            workflowId: id,
            runId: r.runId,
            type: r.type,
            status: { name: r.status },
            closeTime: r.status === 'RUNNING' ? undefined : new Date('2026-04-01T00:00:00Z'),
            raw: {},
          };
        },
        query: async () => find(id, runId).progress,
        cancel: async () => {
          const r = find(id, runId);
          r.status = 'CANCELLED';
          // A parent cancels the runs it started as it stops.
          for (const started of r.progress?.runs ?? []) {
            const child = runs.get(started)?.at(-1);
            if (child) child.status = 'CANCELLED';
          }
          afterCancel();
        },
        result: async () => {
          const r = find(id, runId);
          if (r.status === 'CANCELLED')
            throw new WorkflowFailedError('cancelled', undefined, RetryState.NON_RETRYABLE_FAILURE);
          return await (r.result?.() ?? Promise.resolve(null));
        },
      }),
    },
    workflowService: { getWorkflowExecutionHistory: async () => ({ history: { events: [] } }) },
    withDeadline: (_deadline: number, call: () => Promise<unknown>) => call(),
    withAbortSignal: (_signal: AbortSignal, call: () => Promise<unknown>) => call(),
  };
  return client as unknown as Client;
}

const OPTIONS = {
  server: '127.0.0.1:7233 (namespace default)',
  address: '127.0.0.1:7233',
  follow: true,
  progressBar: false,
  log: () => undefined,
};

const ANALYSIS = 'analysis/x/2026-03-22';
const progressOfAnalysis: Progress = {
  workflow: 'analyzeExperiment',
  stage: 'statistics',
  total: 6,
  done: 4,
  failed: 0,
  current: ['week 2'],
  waiting: [],
};

/** Another backfill's run of the same analysis id, started once the cancelled one has ended: it completes later. */
const othersRun = (): FakeRun => ({
  runId: 'theirs',
  type: 'analyzeExperiment',
  status: 'RUNNING',
  result: async () => ({ status: 'analyzed' }),
});

describe('contrail cancel of a run whose id another run takes up as it ends', () => {
  it('says how the run it cancelled ended, not how the next run of the id is doing', async () => {
    const runs = new Map<string, FakeRun[]>([
      [
        ANALYSIS,
        [{ runId: 'mine', type: 'analyzeExperiment', status: 'RUNNING', progress: progressOfAnalysis }],
      ],
    ]);
    const report = await cancelWorkflow(
      clusterOfRuns(runs, () => runs.get(ANALYSIS)?.push(othersRun())),
      ANALYSIS,
      OPTIONS,
    );
    assert.equal(report.status, 'cancelled');
    assert.deepEqual(report.cancelled, [ANALYSIS]);
    assert.match(report.summary, /^analysis\/x\/2026-03-22 stopped/);
    // The other backfill's run goes on: it was not cancelled.
    assert.equal(runs.get(ANALYSIS)?.at(-1)?.status, 'RUNNING');
  });

  it('counts the runs a parent started as they ended, not the runs of their ids started after', async () => {
    const parent = 'backfill/x/2026-03-01..2026-03-26';
    const runs = new Map<string, FakeRun[]>([
      [
        parent,
        [
          {
            runId: 'p',
            type: 'backfill',
            status: 'RUNNING',
            progress: { ...progressOfAnalysis, workflow: 'backfill', stage: 'analysing', runs: [ANALYSIS] },
          },
        ],
      ],
      [ANALYSIS, [{ runId: 'mine', type: 'analyzeExperiment', status: 'RUNNING' }]],
    ]);
    const report = await cancelWorkflow(
      clusterOfRuns(runs, () => runs.get(ANALYSIS)?.push(othersRun())),
      parent,
      OPTIONS,
    );
    assert.equal(report.status, 'cancelled');
    assert.deepEqual(report.cancelled, [parent, ANALYSIS]);
    // The other backfill's run is neither waited for nor said to have finished first.
    assert.doesNotMatch(report.summary, /finished/);
  });
});

/** A cluster that knows none of the ids asked for, running the workflows `running`. */
function clusterRunning(running: readonly string[]): Client {
  const client = {
    options: { namespace: 'default' },
    workflow: {
      getHandle: (id: string) => ({
        describe: async () => {
          throw new WorkflowNotFoundError(`workflow not found: ${id}`, id, undefined);
        },
      }),
      list: async function* () {
        for (const workflowId of running) yield { workflowId };
      },
    },
  };
  return client as unknown as Client;
}

describe('contrail cancel of an id that is no workflow', () => {
  const running = [
    'daily-2026-03-16T04:00:00Z',
    'analysis/x/2026-03-15',
    'backfill/contrail-demo-sidebar/2026-03-01..2026-03-26',
  ];

  it("says the daily schedule's id is the schedule's, and names its run under way", async () => {
    await assert.rejects(
      cancelWorkflow(clusterRunning(running), DAILY_SCHEDULE_ID, OPTIONS),
      (error: Error) => {
        assert.match(error.message, /contrail-daily-analysis is the daily schedule on .*, not a workflow/);
        assert.match(error.message, /its run under way is daily-2026-03-16T04:00:00Z/);
        assert.match(error.message, /`contrail schedule pause`/);
        return true;
      },
    );
  });

  it('names the running workflow an id cut short begins', async () => {
    await assert.rejects(
      cancelWorkflow(clusterRunning(running), 'backfill/contrail-demo-sidebar', OPTIONS),
      /no workflow backfill\/contrail-demo-sidebar \(running ids that begin with it: backfill\/contrail-demo-sidebar\/2026-03-01\.\.2026-03-26\)/,
    );
  });
});
