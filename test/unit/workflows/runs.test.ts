import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StartOptions } from '../../../src/client/follow.js';
import { behindRuns, type RunItem } from '../../../src/workflows/fan-out.js';
import * as registered from '../../../src/workflows/index.js';
import type { RerunResult } from '../../../src/workflows/rerun.js';
import { rerun } from '../../../src/workflows/rerun.js';
import { pinnedAnalysis, pinnedPublication, runStart } from '../../../src/workflows/runs.js';
import { anchoredPin as pin } from '../../helpers/pin.js';

const experiment = { slug: 'exp', dataset: 'results', periods: ['day' as const], lenient: false, pin };

test("an experiment's analysis runs on its pinned build, staged under a backfill's names when given", () => {
  const start = pinnedAnalysis(experiment, '2026-03-15', {
    stagedUnder: 'backfill/exp/2026-03-14..2026-03-15',
  });
  assert.equal(start.workflowType, 'analyzeExperiment');
  assert.equal(start.pinnedTo, 'b2');
  assert.equal(start.toolVersion, '0.2.0+b2');
  assert.equal(start.configCommit, 'abc123');
  assert.deepEqual(start.input, {
    slug: 'exp',
    date: '2026-03-15',
    dataset: 'results',
    periods: ['day'],
    lenient: false,
    pin,
    publish: false,
    run: 'backfill/exp/2026-03-14..2026-03-15',
  });
  // Without a parent's staging names the analysis publishes itself.
  assert.equal('publish' in (pinnedAnalysis(experiment, '2026-03-15').input as object), false);
  assert.equal(pinnedPublication(experiment, 'rerun/exp').workflowType, 'publishExperiment');
  // A start carries the result type of its workflow: a parent reads an analysis's outcome as an
  // analysis result, never as another workflow's.
  const item: RunItem<RerunResult> = {
    label: 'exp',
    // @ts-expect-error an analysis's start where a rerun's result is read
    start: pinnedAnalysis(experiment, '2026-03-15'),
  };
  assert.equal(item.label, 'exp');
});

test('a parent starts a workflow by reference under the name the worker registers it by', () => {
  // The worker registers each workflow under its export's name; a run is started by the
  // function's own name: the two must be the same for every workflow.
  for (const [name, workflow] of Object.entries(registered)) assert.equal(workflow.name, name);
  const about = {
    workflowId: 'rerun/exp',
    pinnedTo: null,
    slug: 'exp',
    date: null,
    toolVersion: null,
    configCommit: null,
    summary: 'rerun of exp',
  };
  const input = {
    slug: 'exp',
    dataset: 'results',
    periods: ['day' as const],
    lenient: false,
    concurrency: 2,
  };
  assert.equal(runStart(rerun, input, about).workflowType, 'rerun');
  // The type checker (part of `npm test`) fails this file when these are no longer refused.
  // @ts-expect-error another workflow's input: a rerun has no date
  runStart(rerun, { ...input, date: '2026-03-15' }, about);
  // @ts-expect-error the CLI starts registered workflows only
  const unregistered: StartOptions['workflowType'] = 'analyseExperiment';
  assert.equal(unregistered.length > 0, true);
});

test("the daily run stops on the warehouse's storage failing in a rerun it started as in an analysis", async () => {
  const { storageFailure } = await import('../../../src/workflows/daily.js');
  const message = 'the embedded warehouse /data/warehouse.duckdb is on a read-only file system';
  const analysisFailed = {
    workflowId: 'analysis/exp/2026-03-15',
    status: 'failed' as const,
    errorType: 'WarehouseUnavailableError',
    message,
  };
  assert.equal(storageFailure(analysisFailed), null, 'not its storage: no stop');
  const onStorage = { ...analysisFailed, storage: 'read-only' as const };
  assert.deepEqual(storageFailure(onStorage), onStorage);
  const reran = (stop: RerunResult['storageStopped']) => ({
    workflowId: 'rerun/exp',
    status: 'completed' as const,
    result: {
      slug: 'exp',
      dropped: [],
      anchor: null,
      pin,
      dates: 3,
      analyzed: 1,
      statisticsTables: 1,
      failed: [{ date: '2026-03-14', errorType: 'WarehouseUnavailableError', message }],
      waited: [],
      ...(stop ? { storageStopped: stop } : {}),
    } satisfies RerunResult,
  });
  // A rerun that only failed on a date goes on as before; one that stopped stops the daily run.
  assert.equal(storageFailure(reran(undefined)), null);
  assert.deepEqual(
    storageFailure(
      reran({ date: '2026-03-14', storage: 'full', notAttempted: 1, recreated: false, anchor: 'restored' }),
    ),
    {
      workflowId: 'rerun/exp',
      status: 'failed',
      errorType: 'WarehouseUnavailableError',
      message,
      storage: 'full',
    },
  );
});

test("an item behind another parent's run that waits for a worker of its build is said to wait on that worker too", () => {
  // As startRuns returns another parent's run: its id and run, its tooling unknown.
  const other = (workflowId: string) => ({
    workflowType: 'analyzeExperiment',
    workflowId,
    runId: `run-of-${workflowId}`,
    slug: 'exp',
    date: '2026-03-15',
    toolVersion: null,
    pinnedTo: null,
  });
  const held = [
    { label: 'exp 2026-03-15', other: other('analysis/exp/2026-03-15'), startedBy: 'daily/2026-03-15' },
    { label: 'exp 2026-03-16', other: other('analysis/exp/2026-03-16'), startedBy: 'daily/2026-03-16' },
  ];
  const waits = (workflowId: string) => ({
    workflowId,
    slug: 'exp',
    date: '2026-03-15',
    toolVersion: '0.1.0+v1',
    buildId: null,
    since: '2026-03-16T04:00:00.000Z',
  });
  // What the await found waiting: one of the runs waited for, and one of this parent's own.
  const behind = behindRuns(held, [waits('analysis/exp/2026-03-15'), waits('analysis/other/2026-03-15')]);
  assert.deepEqual(behind, [
    {
      workflowId: 'analysis/exp/2026-03-15',
      label: 'exp 2026-03-15',
      startedBy: 'daily/2026-03-15',
      waitsForWorker: { toolVersion: '0.1.0+v1', since: '2026-03-16T04:00:00.000Z' },
    },
    { workflowId: 'analysis/exp/2026-03-16', label: 'exp 2026-03-16', startedBy: 'daily/2026-03-16' },
  ]);
});
