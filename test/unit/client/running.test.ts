import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitingLine } from '../../../src/client/progress-line.js';
import { runningReport } from '../../../src/client/running.js';

const now = new Date('2026-03-16T08:30:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

test('contrail status without an id lists the running daily runs and backfills with their progress', () => {
  const report = runningReport(
    [
      {
        workflowId: 'backfill/exp-a+exp-b/2026-03-09..2026-03-22',
        type: 'backfill',
        startTime: minutesAgo(12),
        progress: {
          workflow: 'backfill',
          stage: 'analysing',
          total: 28,
          done: 9,
          failed: 1,
          current: ['exp-a 2026-03-14', 'exp-b 2026-03-14'],
          waiting: [],
        },
      },
      {
        workflowId: 'analysis/exp-a/2026-03-14',
        type: 'analyzeExperiment',
        startTime: minutesAgo(1),
        progress: null,
      },
      {
        workflowId: 'analysis/exp-b/2026-03-14',
        type: 'analyzeExperiment',
        startTime: minutesAgo(1),
        progress: null,
      },
      { workflowId: 'daily/2026-03-15', type: 'dailyAnalysis', startTime: minutesAgo(0), progress: null },
    ],
    '127.0.0.1:7233 (namespace default)',
    now,
  );
  assert.equal(
    report,
    [
      'running on 127.0.0.1:7233 (namespace default):',
      '  backfill/exp-a+exp-b/2026-03-09..2026-03-22  (backfill, for 12 min)  analysing (9/28, 1 failed) running: exp-a 2026-03-14, exp-b 2026-03-14',
      '  daily/2026-03-15  (dailyAnalysis, for under a minute)  no progress answer (is a worker running?)',
      '  and 2 analyses of single experiments (most for the runs above)',
      'follow one with `contrail status backfill/exp-a+exp-b/2026-03-09..2026-03-22`',
    ].join('\n'),
  );
});

test('nothing running is said as such', () => {
  assert.equal(
    runningReport([], '127.0.0.1:7233 (namespace default)', now),
    'nothing runs on 127.0.0.1:7233 (namespace default)',
  );
});

test('an analysis waiting for a worker of its pinned build is said to wait, not only listed as running', () => {
  const report = runningReport(
    [
      {
        workflowId: 'daily/2026-03-15',
        type: 'dailyAnalysis',
        startTime: minutesAgo(3),
        progress: {
          workflow: 'dailyAnalysis',
          stage: 'analysing',
          total: 1,
          done: 0,
          failed: 0,
          current: ['contrail-demo-sidebar 2026-03-13'],
          waiting: [
            {
              workflowId: 'analysis/contrail-demo-sidebar/2026-03-13',
              slug: 'contrail-demo-sidebar',
              date: '2026-03-13',
              toolVersion: '0.1.0+buildA',
              buildId: 'buildA',
              since: minutesAgo(2).toISOString(),
            },
          ],
        },
      },
    ],
    '127.0.0.1:7233 (namespace default)',
    now,
  );
  assert.match(
    report,
    /analysing \(0\/1\) running: contrail-demo-sidebar 2026-03-13; waiting for a worker of contrail 0\.1\.0\+buildA: contrail-demo-sidebar 2026-03-13$/m,
  );
});

test("a day waiting for another parent's run of the same id is said to wait for it, naming who started it", () => {
  const report = runningReport(
    [
      {
        workflowId: 'backfill/contrail-demo-sidebar/2026-03-14..2026-03-15',
        type: 'backfill',
        startTime: minutesAgo(3),
        progress: {
          workflow: 'backfill',
          stage: 'analysing',
          total: 2,
          done: 1,
          failed: 0,
          current: [],
          waiting: [],
          behind: [
            {
              workflowId: 'analysis/contrail-demo-sidebar/2026-03-15',
              label: 'contrail-demo-sidebar 2026-03-15',
              startedBy: 'daily-2026-03-16T04:00:00Z',
            },
          ],
        },
      },
    ],
    '127.0.0.1:7233 (namespace default)',
    now,
  );
  assert.match(
    report,
    /analysing \(1\/2\); contrail-demo-sidebar 2026-03-15: waiting for analysis\/contrail-demo-sidebar\/2026-03-15, started by daily-2026-03-16T04:00:00Z, to end before starting its own$/m,
  );
});

test("a day behind another parent's run that waits for a worker of its build says that nothing moves until one runs", () => {
  const behind = {
    workflowId: 'analysis/contrail-demo-sidebar/2026-03-15',
    label: 'contrail-demo-sidebar 2026-03-15',
    startedBy: 'daily-2026-03-16T04:00:00Z',
  };
  const progress = {
    workflow: 'backfill',
    stage: 'analysing',
    total: 2,
    done: 1,
    failed: 0,
    current: [],
    waiting: [],
    behind: [{ ...behind, waitsForWorker: { toolVersion: '0.1.0+v1', since: minutesAgo(5).toISOString() } }],
  };
  const report = runningReport(
    [
      {
        workflowId: 'backfill/contrail-demo-sidebar/2026-03-14..2026-03-15',
        type: 'backfill',
        startTime: minutesAgo(3),
        progress,
      },
    ],
    '127.0.0.1:7233 (namespace default)',
    now,
  );
  assert.match(
    report,
    /analysing \(1\/2\); contrail-demo-sidebar 2026-03-15: waiting for analysis\/contrail-demo-sidebar\/2026-03-15, started by daily-2026-03-16T04:00:00Z, which waits for a worker of contrail 0\.1\.0\+v1, to end before starting its own$/m,
  );
  // That run on the current version (unversioned, or started without its tooling known) says so.
  assert.match(
    waitingLine({ waiting: [], behind: [{ ...behind, waitsForWorker: { toolVersion: null, since: '' } }] }),
    /, which waits for a worker of contrail the current version, to end before starting its own$/,
  );
});
