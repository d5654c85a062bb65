/**
 * Orchestration overhead: the real workflows on a real dev server and worker, with activities
 * that do no work (so only Temporal's share is measured).
 *   node --import tsx bench/orchestration.ts [experiments in the dailyAnalysis fan-out]
 * Targets: ≤ 200 ms per experiment-day; dailyAnalysis over 200 experiments ≤ 60 s.
 */
import { Client, Connection } from '@temporalio/client';
import { runActivities } from '../src/activities/runs.js';
import type { AnalysisActivities, Pin, RunActivities } from '../src/activities/types.js';
import { startDevServer } from '../src/client/dev-server.js';
import { connectWorker } from '../src/worker.js';
import { workflowSource } from '../src/workflow-source.js';
import { workflowIds } from '../src/workflows/ids.js';

const pin: Pin = {
  toolVersion: '0.0.0',
  buildId: 'bench',
  configCommit: 'bench',
  anchor: null,
  reason: 'no-anchor',
  resolvedAt: '2026-01-01T00:00:00Z',
};
// The fan-out size: 200 by default, fewer for a smoke run (`npm run bench -- --quick`).
const experiments = Array.from({ length: Number(process.argv[2] ?? 200) }, (_, i) => ({
  slug: `bench-experiment-${i}`,
  appName: 'firefox_desktop',
  status: 'live' as const,
}));

// Trivial activities with the real contract: one week window due each day, empty results. The
// activities that start and await a parent's runs are the real ones (their cost is Temporal's).
const trivial: AnalysisActivities &
  RunActivities & { prepareDataset(): Promise<void>; checkWarehouse(): Promise<never> } = {
  ...runActivities(null),
  // `bench-dated-…` experiments run 2026-01-01..2026-01-28 with a week of enrollment: a parent
  // that asks for their dates learns that only 2026-01-07..2026-01-28 can have anything due.
  resolveVersions: async ({ slugs, dates }) =>
    Object.fromEntries(
      slugs.map((slug) => [
        slug,
        {
          pin,
          configChanged: [],
          refusal: null,
          ...(dates && slug.startsWith('bench-dated')
            ? {
                dates: {
                  slug,
                  skip: false,
                  startDate: '2026-01-01',
                  firstDueDate: '2026-01-07',
                  endDate: '2026-01-28',
                },
              }
            : {}),
        },
      ]),
    ),
  touch: async () => ({ anchor: null, tables: [] }),
  versionsReport: async () => [],
  describeExperiment: async () => ({
    startDate: '2026-01-01',
    endDate: null,
    status: 'live',
    lastAnalysisDate: '2026-01-10',
  }),
  planDay: async () => ({
    enrollmentsDue: true,
    windows: [{ period: 'week', windowIndex: 1 }],
    reason: null,
  }),
  computeEnrollments: async () => ({ table: 'enrollments_x', rows: 0, created: false }),
  buildPopulationSample: async () => ({ table: 'enrollments_x', rows: 0 }),
  computeMetrics: async () => [{ table: 'x_enrollments_ds_week_1', rows: 0 }],
  computeStatistics: async () => ({
    table: 'statistics_x_week_1',
    rows: 0,
    period: 'week',
    windowIndex: 1,
    warnings: [],
    warningCount: 0,
    headline: [],
    sampleRatioMismatch: null,
  }),
  publish: async () => ({ published: [], views: [], exports: [] }),
  recordError: async () => undefined,
  listEligibleExperiments: async () => experiments,
  dropResults: async () => ({ dropped: [] }),
  estimatePreviewCost: async () => {
    throw new Error('not used');
  },
  recordQueryCosts: async () => ({ rows: [] }),
  prepareDataset: async () => undefined,
  checkWarehouse: async () => {
    throw new Error('not used');
  },
};

const { Worker } = await import('@temporalio/worker');
const server = await startDevServer({ startTimeoutMs: 120_000 });
const nativeConnection = await connectWorker(server.address, null);
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const taskQueue = 'bench-orchestration';
try {
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    activities: trivial,
    // The bundle a worker of this checkout runs (bundled once per change of the sources).
    ...(await workflowSource()),
  });
  await worker.runUntil(async () => {
    // Warm-up: the first workflow pays for isolate creation.
    await client.workflow.execute('analyzeExperiment', {
      taskQueue,
      workflowId: 'bench/warmup',
      args: [{ slug: 'warmup', date: '2026-01-10' }],
    });
    // One experiment over 20 dates: the per-day cost of a backfill, one at a time and at the default concurrency.
    const n = 20;
    let started = 0;
    for (const concurrency of [1, 3]) {
      started = performance.now();
      await client.workflow.execute('backfill', {
        taskQueue,
        workflowId: `bench/backfill-${concurrency}`,
        args: [{ slugs: ['bench-sequential'], startDate: '2026-01-01', endDate: '2026-01-20', concurrency }],
      });
      process.stdout.write(
        `backfill of ${n} experiment-days, concurrency ${concurrency}, trivial activities: ${((performance.now() - started) / n).toFixed(0)} ms per experiment-day (target ≤ 200 ms)\n`,
      );
    }
    // A year around a four-week experiment: only its 22 dates with something due start an
    // analysis (a parent that does not ask for the dates starts 365).
    started = performance.now();
    const year = (await client.workflow.execute('backfill', {
      taskQueue,
      workflowId: 'bench/backfill-year',
      args: [{ slugs: ['bench-dated'], startDate: '2025-07-01', endDate: '2026-06-30' }],
    })) as { total: number; analyzed: number; nothingDue: number };
    process.stdout.write(
      `backfill of a year (${year.total} dates) around a 4-week experiment, concurrency 3: ${((performance.now() - started) / 1000).toFixed(1)} s, ${year.analyzed} analysed, ${year.nothingDue} with nothing due\n`,
    );
    // The same from a client starting each analysis itself and waiting for its result.
    started = performance.now();
    for (let i = 0; i < n; i++) {
      await client.workflow.execute('analyzeExperiment', {
        taskQueue,
        workflowId: workflowIds.analysis(`bench-${i}`, '2026-01-10'),
        args: [{ slug: `bench-${i}`, date: '2026-01-10' }],
      });
    }
    process.stdout.write(
      `client start + wait for result, per analysis: ${((performance.now() - started) / n).toFixed(0)} ms\n`,
    );
    // Inside the server: first event to last event of one analysis's history.
    const history = await client.workflow
      .getHandle(workflowIds.analysis('bench-0', '2026-01-10'))
      .fetchHistory();
    const ms = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null } | undefined) =>
      Number(e?.eventTime?.seconds ?? 0) * 1000 + (e?.eventTime?.nanos ?? 0) / 1e6;
    const events = history.events ?? [];
    process.stdout.write(
      `one analysis from its first to its last history event: ${(ms(events.at(-1)) - ms(events[0])).toFixed(0)} ms (${events.length} events)\n`,
    );

    started = performance.now();
    const daily = (await client.workflow.execute('dailyAnalysis', {
      taskQueue,
      workflowId: workflowIds.daily('2026-01-10'),
      args: [{ date: '2026-01-10', concurrency: 20 }],
    })) as { analyzed: unknown[]; failed: unknown[] };
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `dailyAnalysis fan-out over ${experiments.length} experiments (concurrency 20, one worker): ${seconds.toFixed(1)} s, ${daily.analyzed.length} analysed, ${daily.failed.length} failed (target ≤ 60 s)\n`,
    );
  });
} finally {
  await connection.close();
  await nativeConnection.close();
  await server.stop();
}
