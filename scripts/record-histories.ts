/**
 * Records fresh workflow histories into test/histories/ for the replay test. After a deliberate
 * workflow change, add a scenario for its new path and record that one (and commit the result):
 * npm run record-histories -- <scenario>
 * Each scenario runs real workflows on a private dev server with a real worker and an
 * in-memory warehouse. Named scenarios (`npm run record-histories -- rerun`) record only
 * those: the others stay as an older build wrote them, which the replay test holds new code to.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import {
  CancelledFailure,
  Client,
  Connection,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createActivities } from '../src/activities/index.js';
import { startDevServer } from '../src/client/dev-server.js';
import { embeddedStorageError } from '../src/warehouse/errors.js';
import { WrappedWarehouse } from '../src/warehouse/wrapped.js';
import { connectWorker, createContrailWorker } from '../src/worker.js';
import { workflowIds } from '../src/workflows/ids.js';
import { testDeps } from '../test/helpers/deps.js';
import { sampleWarehouse } from '../test/helpers/sample.js';

const outDir = fileURLToPath(new URL('../test/histories/', import.meta.url));
const taskQueue = 'record-histories';

interface Scenario {
  name: string;
  run: (client: Client) => Promise<string>; // resolves to the workflow id to record
}

/** A run a parent started (an analysis, a publication), once it has completed. */
const startedBy = async (client: Client, workflowId: string) => {
  await client.workflow.getHandle(workflowId).result();
  return workflowId;
};

/** Runs one workflow to completion and returns its id. */
const complete = async (client: Client, workflowType: string, workflowId: string, input?: unknown) => {
  const handle = await client.workflow.start(workflowType, {
    taskQueue,
    workflowId,
    args: input === undefined ? [] : [input],
  });
  await handle.result();
  return workflowId;
};

const DEMO = 'contrail-demo-sidebar';

/** While set, the tables the warehouse writes that it holds are refused as a read-only file system refuses them. */
let readOnly: ((table: string) => boolean) | null = null;
/** While set, every table the warehouse writes waits for it to be released (a long job); `held` says one does. */
let holding: Promise<void> | null = null;
let held = false;

/**
 * A backfill that reaches an experiment-day whose analysis a daily run is running: it waits for
 * that analysis to end, then runs its own. The daily run's analysis is held in its first query
 * until the backfill says it waits.
 */
const backfillBehindDaily = async (client: Client) => {
  let release = () => {};
  holding = new Promise<void>((resolve) => {
    release = resolve;
  });
  const date = '2026-03-17';
  const backfillId = 'backfill/behind-daily';
  try {
    const daily = await client.workflow.start('dailyAnalysis', {
      taskQueue,
      workflowId: `daily/${date}`,
      args: [{ date }],
    });
    while (!held) await new Promise((r) => setTimeout(r, 100));
    const backfill = await client.workflow.start('backfill', {
      taskQueue,
      workflowId: backfillId,
      args: [{ slugs: [DEMO], startDate: date, endDate: date, periods: ['week'] }],
    });
    for (;;) {
      const progress = await backfill.query<{ behind?: unknown[] }>('progress').catch(() => null);
      if (progress?.behind?.length) break;
      if ((await backfill.describe()).status.name !== 'RUNNING')
        throw new Error(`${backfillId} did not wait`);
      await new Promise((r) => setTimeout(r, 100));
    }
    release();
    await daily.result();
    await backfill.result();
    return backfillId;
  } finally {
    release();
    holding = null;
    held = false;
  }
};
/** Runs a scenario on a warehouse whose storage refuses its writes (of the tables `refused` holds: every one unless told). */
/** While set, the publish activity waits for it to be released (a BigQuery swap of many copy jobs takes its time); `publishing` says one does. */
let holdingPublish: Promise<void> | null = null;
let publishing = false;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (what: string, done: () => boolean | Promise<boolean>) => {
  for (const end = Date.now() + 60_000; !(await done()); await sleep(100))
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
};
const eventsOf = async (client: Client, workflowId: string) =>
  (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];

/**
 * A run cancelled while it publishes: its first publication is held in the publish activity,
 * the run `start` starts is cancelled, and the publication goes on only once `publisher` (the
 * run whose activity it is: the same one, or a child the cancellation reaches) has taken the
 * cancellation in, a workflow task completed after its request. Publishing runs to its end, so
 * the history shows the cancellation requested and the publish activity completed, never asked
 * to cancel: code that heeded the cancellation there would ask it to, and fail to replay.
 * Resolves to the id of the run `start` started.
 */
const cancelledWhilePublishing = async (
  client: Client,
  start: () => Promise<WorkflowHandle>,
  publisher: string,
) => {
  let release = () => {};
  holdingPublish = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    const handle = await start();
    await until(`${publisher} to publish`, () => publishing);
    await handle.cancel();
    await until(`${publisher} to take the cancellation in`, async () => {
      const events = await eventsOf(client, publisher);
      const requested = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
      return requested >= 0 && events.slice(requested).some((e) => e.workflowTaskCompletedEventAttributes);
    });
    release();
    // A backfill or rerun cancelled ends cancelled, once it has passed the cancellation on to its
    // publication: that run publishes to its end by itself.
    await handle.result().catch((error: unknown) => {
      if (
        !(
          publisher !== handle.workflowId &&
          error instanceof WorkflowFailedError &&
          error.cause instanceof CancelledFailure
        )
      )
        throw error;
    });
    await client.workflow.getHandle(publisher).result();
    const events = await eventsOf(client, publisher);
    if (events.some((e) => e.activityTaskCancelRequestedEventAttributes))
      throw new Error(`${publisher} cancelled its publish activity: publishing did not run to its end`);
    return handle.workflowId;
  } finally {
    release();
    holdingPublish = null;
    publishing = false;
  }
};

const onReadOnlyStorage = async (
  run: () => Promise<string>,
  refused: (table: string) => boolean = () => true,
) => {
  readOnly = refused;
  try {
    return await run();
  } finally {
    readOnly = null;
  }
};
const scenarios: Scenario[] = [
  { name: 'health-check', run: (c) => complete(c, 'healthCheck', 'health/record') },
  {
    name: 'analyze-experiment',
    run: (c) =>
      complete(c, 'analyzeExperiment', `analysis/${DEMO}/2026-03-15`, { slug: DEMO, date: '2026-03-15' }),
  },
  {
    name: 'analyze-experiment-nothing-due',
    run: (c) =>
      complete(c, 'analyzeExperiment', `analysis/${DEMO}/2026-03-03`, { slug: DEMO, date: '2026-03-03' }),
  },
  {
    name: 'preview',
    run: (c) =>
      complete(c, 'preview', `preview/${DEMO}`, {
        slug: DEMO,
        startDate: '2026-03-14',
        endDate: '2026-03-15',
        sampleSize: 50,
      }),
  },
  {
    name: 'daily-analysis',
    run: (c) => complete(c, 'dailyAnalysis', 'daily/2026-03-16', { date: '2026-03-16' }),
  },
  // An analysis the daily run started on its pinned build, with the pin in its input.
  { name: 'analyze-experiment-pinned', run: (c) => startedBy(c, `analysis/${DEMO}/2026-03-16`) },
  {
    name: 'backfill-continue-as-new',
    run: (c) =>
      complete(c, 'backfill', 'backfill/record', {
        slugs: [DEMO],
        startDate: '2026-03-13',
        endDate: '2026-03-15',
        periods: ['week'],
        continueAsNewAfter: 2,
      }),
  },
  { name: 'publish-experiment', run: (c) => startedBy(c, `publish/${DEMO}`) },
  {
    name: 'rerun',
    run: (c) =>
      complete(c, 'rerun', `rerun/contrail-demo-search-bar`, {
        slug: 'contrail-demo-search-bar',
        periods: ['overall'],
      }),
  },
  {
    name: 'rerun-skip',
    run: (c) =>
      complete(c, 'rerunSkip', 'rerun-skip/contrail-demo-search-bar', { slug: 'contrail-demo-search-bar' }),
  },
  {
    name: 'versions-report',
    run: (c) => complete(c, 'versionsReport', 'versions', { date: '2026-03-16' }),
  },
  // Dates before the experiment's last enrollment date are counted as nothing due without an
  // analysis each; the ones after it are analysed.
  {
    name: 'backfill-outside-dates',
    run: (c) =>
      complete(c, 'backfill', 'backfill/outside', {
        slugs: [DEMO],
        startDate: '2026-03-07',
        endDate: '2026-03-10',
        periods: ['week'],
      }),
  },
  // A pinned-tabs still enrolling and a search-bar ended: nothing due, no analysis started.
  {
    name: 'daily-analysis-outside-dates',
    run: (c) => complete(c, 'dailyAnalysis', 'daily/2026-03-20', { date: '2026-03-20' }),
  },
  // Its dates while enrolling and the day after its end: nothing due, no analysis started.
  {
    name: 'rerun-outside-dates',
    run: (c) =>
      complete(c, 'rerun', `rerun/contrail-demo-search-bar`, {
        slug: 'contrail-demo-search-bar',
        periods: ['week'],
      }),
  },
  // The first date's enrollments refused by a read-only disk: the later dates are not attempted.
  {
    name: 'preview-storage-stopped',
    run: (c) =>
      onReadOnlyStorage(() =>
        complete(c, 'preview', `preview/storage/${DEMO}`, {
          slug: DEMO,
          startDate: '2026-03-13',
          endDate: '2026-03-15',
          dataset: 'storage',
          sampleSize: 50,
        }),
      ),
  },
  // The same for a backfill: no later experiment-day started, nothing published.
  {
    name: 'backfill-storage-stopped',
    run: (c) =>
      onReadOnlyStorage(() =>
        complete(c, 'backfill', 'backfill/storage', {
          slugs: [DEMO],
          startDate: '2026-03-13',
          endDate: '2026-03-15',
          periods: ['week'],
          dataset: 'storage',
          concurrency: 1,
        }),
      ),
  },
  // The daily run's one experiment due refused: nothing after it started.
  {
    name: 'daily-analysis-storage-stopped',
    run: (c) =>
      onReadOnlyStorage(() =>
        complete(c, 'dailyAnalysis', 'daily/storage/2026-03-16', {
          date: '2026-03-16',
          dataset: 'storage',
          periods: ['day'],
          concurrency: 1,
        }),
      ),
  },
  // A rerun's last date (analysed first, alone) refused: no other date started, nothing published.
  {
    name: 'rerun-storage-stopped',
    run: (c) =>
      onReadOnlyStorage(() =>
        complete(c, 'rerun', 'rerun/storage/contrail-demo-search-bar', {
          slug: 'contrail-demo-search-bar',
          dataset: 'storage',
          periods: ['week'],
          concurrency: 1,
        }),
      ),
  },
  // Its last date (week 3) goes through; the first of the others to write its window's metrics is refused.
  {
    name: 'rerun-storage-stopped-later',
    run: (c) =>
      onReadOnlyStorage(
        () =>
          complete(c, 'rerun', 'rerun/storage_later/contrail-demo-search-bar', {
            slug: 'contrail-demo-search-bar',
            dataset: 'storage_later',
            periods: ['week'],
            concurrency: 1,
          }),
        (table) => /_week_[12]$/.test(table) && !table.includes('preenrollment'),
      ),
  },
  { name: 'backfill-behind-daily', run: backfillBehindDaily },
  // Cancelled while it publishes: the publication runs to its end and the analysis completes.
  {
    name: 'analyze-experiment-cancelled-publishing',
    run: (c) => {
      const workflowId = `analysis/cancel_publish/${DEMO}/2026-03-15`;
      return cancelledWhilePublishing(
        c,
        () =>
          c.workflow.start('analyzeExperiment', {
            taskQueue,
            workflowId,
            args: [{ slug: DEMO, date: '2026-03-15', dataset: 'cancel_publish', periods: ['week'] }],
          }),
        workflowId,
      );
    },
  },
  // Cancelled while its first date publishes: that date finishes, the next is not started.
  {
    name: 'preview-cancelled-publishing',
    run: (c) => {
      const workflowId = `preview/cancel_preview/${DEMO}`;
      return cancelledWhilePublishing(
        c,
        () =>
          c.workflow.start('preview', {
            taskQueue,
            workflowId,
            args: [
              {
                slug: DEMO,
                startDate: '2026-03-15',
                endDate: '2026-03-16',
                periods: ['week'],
                dataset: 'cancel_preview',
                sampleSize: 50,
              },
            ],
          }),
        `${workflowId}/2026-03-15`,
      );
    },
  },
  // A backfill cancelled while its publication publishes: the backfill passes the cancellation on
  // and ends cancelled; the publication (the history recorded) publishes to its end and completes.
  {
    name: 'publish-experiment-cancelled-publishing',
    run: async (c) => {
      const dataset = 'cancel_publication';
      const publication = workflowIds.publish(DEMO, dataset);
      await cancelledWhilePublishing(
        c,
        () =>
          c.workflow.start('backfill', {
            taskQueue,
            workflowId: `backfill/${dataset}`,
            args: [
              { slugs: [DEMO], startDate: '2026-03-15', endDate: '2026-03-15', periods: ['week'], dataset },
            ],
          }),
        publication,
      );
      return publication;
    },
  },
];

const named = process.argv.slice(2);
const unknown = named.filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `no scenario ${unknown.join(', ')} (scenarios: ${scenarios.map((s) => s.name).join(', ')})\n`,
  );
  process.exit(2);
}
const recorded = named.length === 0 ? scenarios : scenarios.filter((s) => named.includes(s.name));

const server = await startDevServer({ startTimeoutMs: 120_000 });
const sample = await sampleWarehouse(2000);
const warehouse = new WrappedWarehouse(
  sample.dialect,
  sample.sqlDialect,
  async (call, run) => {
    if (readOnly !== null && call.method === 'runToTable' && readOnly(call.table?.table ?? '')) {
      const file = '/var/lib/contrail/warehouse.duckdb';
      throw embeddedStorageError({
        file,
        duckdbMessage: `IO Error: Could not write file "${file}.wal": Read-only file system`,
      });
    }
    if (holding && call.method === 'runToTable') {
      held = true;
      await holding;
    }
    return run(sample);
  },
  () => sample.close(),
);
const nativeConnection = await connectWorker(server.address, null);
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
try {
  const deps = testDeps(warehouse);
  const activities = createActivities(deps);
  const worker = await createContrailWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps,
    overrides: {
      activities: {
        ...activities,
        publish: async (input: Parameters<typeof activities.publish>[0]) => {
          if (holdingPublish) {
            publishing = true;
            const context = Context.current();
            const beat = setInterval(() => context.heartbeat(), 1_000);
            try {
              await holdingPublish;
            } finally {
              clearInterval(beat);
            }
          }
          return await activities.publish(input);
        },
      },
    },
  });
  await worker.runUntil(async () => {
    for (const scenario of recorded) {
      const workflowId = await scenario.run(client);
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const file = `${outDir}${scenario.name}.json`;
      writeFileSync(
        file,
        `{"workflowId":${JSON.stringify(workflowId)},"history":${historyToJSON(history)}}\n`,
      );
      process.stdout.write(`recorded ${file}\n`);
    }
  });
} finally {
  await connection.close();
  await nativeConnection.close();
  await warehouse.close();
  await server.stop();
}
