import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { runningDashboard } from '../../src/client/dashboard-note.js';
import type { ViewResponse } from '../../src/dashboard/api.js';
import { DAY_MS } from '../../src/dates.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { BigQueryWarehouse } from '../../src/warehouse/bigquery.js';
import { WarehouseUnavailableError } from '../../src/warehouse/errors.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { WrappedWarehouse } from '../../src/warehouse/wrapped.js';
import { createContrailWorker } from '../../src/worker.js';
import { type BigQueryEmulator, startBigQueryEmulator } from '../helpers/bigquery-emulator.js';
import { type ReplayServer, startReplayServer } from '../helpers/bigquery-replay.js';
import { copySampleToBigQuery } from '../helpers/bigquery-sample.js';
import { type RunningCli, runMain, spawnCli } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { assertOnlyLoopback } from '../helpers/loopback.js';
import { lightConfigRepo, sampleWarehouse } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * `contrail preview` with BigQuery as the warehouse, on loopback only: on the emulator, a preview
 * of the demo prints its dry-run estimate before anything runs and writes its tables to a dataset
 * whose tables expire after 7 days; on recorded BigQuery responses (the emulator's dry runs
 * report 0 bytes), `--max-bytes` below the dry-run bytes refuses before any job runs.
 */
const ESTIMATE = 'cost before running (BigQuery dry run)';

/** The address a starting `contrail dashboard` prints. */
async function dashboardUrl(dashboard: RunningCli): Promise<string> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const match = /contrail dashboard: (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(dashboard.stdout());
    if (match?.[1]) return match[1];
    if (dashboard.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`contrail dashboard printed no address:\n${dashboard.stdout()}${dashboard.stderr()}`);
}

describe('contrail preview on BigQuery', () => {
  let temporal: TestTemporal;
  let emulator: BigQueryEmulator;
  let replay: ReplayServer;
  let duck: Warehouse;
  const workers: { worker: Worker; running: Promise<void> }[] = [];

  const startWorker = async (warehouse: Warehouse, taskQueue: string) => {
    const worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      // Light bootstraps: what is checked is the estimate, the tables and their expiry, not intervals.
      deps: testDeps(warehouse, { configRepos: [lightConfigRepo()] }),
    });
    workers.push({ worker, running: worker.run() });
  };

  /** A one-day preview of the demo experiment on 2026-03-15 into `dataset`. */
  const previewArgs = (dataset: string, ...extra: string[]) => [
    'preview',
    '--experiment_slug',
    DEMO_SLUG,
    '--dataset_id',
    dataset,
    '--end_date',
    '2026-03-15',
    '--num-days',
    '1',
    ...extra,
  ];

  before(async () => {
    temporal = await testTemporal();
    [emulator, replay, duck] = await Promise.all([
      startBigQueryEmulator(),
      startReplayServer(),
      sampleWarehouse(300),
    ]);
    const bigquery = emulator.warehouse();
    await copySampleToBigQuery(duck, emulator);
    await startWorker(bigquery, temporal.taskQueue);
    const recorded = new BigQueryWarehouse({
      project: 'contrail-recorded',
      sourceProject: 'moz-fx-data-shared-prod',
      location: 'US',
      apiEndpoint: replay.endpoint,
      maximumBytesBilled: null,
      pollIntervalMs: 10,
      clientOptions: { retryOptions: { autoRetry: false } },
    });
    await startWorker(recorded, `${temporal.taskQueue}-recorded`);
    // BigQuery stops answering once the estimate is made: every dataset call gets no answer.
    const unanswered = new WrappedWarehouse(
      bigquery.dialect,
      bigquery.sqlDialect,
      async (call, run) => {
        if (call.method === 'createDataset')
          throw new WarehouseUnavailableError({
            warehouseMessage: 'BigQuery gave no answer: connect ECONNREFUSED 127.0.0.1:9 (stopped)',
            permanent: false,
          });
        return await run(bigquery);
      },
      async () => undefined,
    );
    await startWorker(unanswered, `${temporal.taskQueue}-unanswered`);
  });
  after(async () => {
    for (const { worker } of workers) worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    await duck?.close();
    await emulator?.stop();
    await replay?.stop();
    await temporal.close();
    assertOnlyLoopback();
  });

  test('the dry-run estimate comes first; the tables go to a dataset whose tables expire after 7 days; `contrail dashboard` on BigQuery shows them', async () => {
    // The dashboard on contrail's BigQuery project, started before the preview: the preview names its port.
    const home = mkdtempSync(join(tmpdir(), 'contrail-bq-dashboard-'));
    const bigQueryEnv = {
      CONTRAIL_HOME: home,
      CONTRAIL_WAREHOUSE: 'bigquery',
      CONTRAIL_BIGQUERY_PROJECT: emulator.project,
      CONTRAIL_BIGQUERY_ENDPOINT: emulator.endpoint,
      METADATA_SERVER_DETECTION: 'none',
    };
    const dashboard = spawnCli(['dashboard', '--port', '0', '--dataset_id', 'bq_preview'], {
      env: bigQueryEnv,
    });
    try {
      const url = new URL(await dashboardUrl(dashboard));
      assert.match(
        dashboard.stdout(),
        new RegExp(`reads BigQuery project ${emulator.project} \\(location US\\)`),
      );
      assert.equal(runningDashboard(join(home, `bigquery-${emulator.project}`))?.port, Number(url.port));

      const result = await runMain(
        previewArgs('bq_preview', '--analysis_periods', 'day', '--sample_size', '100'),
        { ...temporal.env, ...bigQueryEnv },
      );
      assert.equal(result.code, 0, result.stderr);
      const estimateAt = result.stderr.indexOf(ESTIMATE);
      assert.ok(estimateAt >= 0, result.stderr);
      assert.ok(
        estimateAt < result.stderr.indexOf('analysing'),
        `the estimate comes first:\n${result.stderr}`,
      );
      assert.match(result.stdout, /statistics_contrail_demo_sidebar_day_\d+/);
      assert.match(
        result.stdout,
        new RegExp(
          `^dashboard: http://127\\.0\\.0\\.1:${url.port}/\\?dataset=bq_preview&experiment=${DEMO_SLUG}$`,
          'm',
        ),
      );
      assert.doesNotMatch(result.stderr, /the dashboard is not running/);

      const response = await fetch(
        `${emulator.endpoint}/bigquery/v2/projects/${emulator.project}/datasets/bq_preview`,
      );
      const dataset = (await response.json()) as { defaultTableExpirationMs?: string };
      assert.equal(Number(dataset.defaultTableExpirationMs), 7 * DAY_MS);
      const tables = await emulator.warehouse().listTables('bq_preview');
      const statistics = tables.find((t) => t.ref.table.startsWith('statistics_contrail_demo_sidebar_day_'));
      assert.ok(statistics, tables.map((t) => t.ref.table).join(', '));

      // What the page shows is what the preview wrote to BigQuery.
      const view = (await (
        await fetch(`${url.origin}/api/view?dataset=bq_preview&experiment=${DEMO_SLUG}`)
      ).json()) as ViewResponse;
      assert.equal(view.selection.experiment, 'contrail_demo_sidebar');
      assert.equal(view.selection.period, 'day');
      const offered = view.choices.datasets.map((d) => d.name);
      assert.ok(offered.includes('bq_preview'), offered.join(', '));
      const { basis, segment, metric, statistic } = view.selection;
      const written = (await emulator.warehouse().readRows(statistics.ref)).filter(
        (r) =>
          r.analysis_basis === basis &&
          r.segment === segment &&
          r.metric === metric &&
          r.statistic === statistic,
      );
      assert.ok(written.length > 0);
      const key = (r: Record<string, unknown>) =>
        JSON.stringify([
          r.branch,
          r.comparison,
          r.comparison_to_branch,
          r.parameter,
          r.point,
          r.lower,
          r.upper,
        ]);
      assert.deepEqual(view.rows.map(key).sort(), written.map(key).sort());
      // The overview's query reads BigQuery's tables too: every metric's uplift at the latest day.
      assert.ok(
        view.overview.metrics.some((m) => m.rows.length > 0),
        `the overview of every metric: ${JSON.stringify(view.overview)}`,
      );
      assert.ok(view.costs.present && view.costs.rows.length > 0, 'the per-query costs of the preview');
      assert.ok(view.errors.present, 'the logs table of the preview');
    } finally {
      dashboard.child.kill('SIGINT');
      await dashboard.done;
    }
    assert.equal(runningDashboard(join(home, `bigquery-${emulator.project}`)), null, 'the note went with it');
  });

  test('a BigQuery that stops answering while the preview dataset is prepared fails the preview after a few tries, never waits without end', {
    timeout: 120_000,
  }, async () => {
    const result = await runMain(
      // One period: what is checked comes after the estimate, whose dry runs cost the emulator
      // a second or so of CPU time per query.
      previewArgs('bq_unanswered', '--analysis_periods', 'day'),
      { ...temporal.env, CONTRAIL_TASK_QUEUE: `${temporal.taskQueue}-unanswered` },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /retrying prepareDataset \(attempt 5\)/);
    assert.doesNotMatch(result.stderr, /attempt 6/);
    assert.match(result.stderr, /^contrail: .*failed: .*BigQuery gave no answer: connect ECONNREFUSED/m);
  });

  test('--max-bytes below the dry-run bytes refuses before any job runs', async () => {
    replay.requests.length = 0;
    const result = await runMain(previewArgs('bq_refused', '--max-bytes', '1TiB'), {
      ...temporal.env,
      CONTRAIL_TASK_QUEUE: `${temporal.taskQueue}-recorded`,
    });
    assert.equal(result.code, 1, result.stderr);
    const estimateAt = result.stderr.indexOf(ESTIMATE);
    const refusalAt = result.stderr.indexOf('more than --max_bytes 1.00 TiB');
    assert.ok(estimateAt >= 0 && refusalAt > estimateAt, result.stderr);
    const jobs = replay.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs'));
    assert.ok(jobs.length > 0, 'the queries were dry-run');
    for (const job of jobs) {
      const configuration = (job.body as { configuration?: { dryRun?: boolean } }).configuration;
      assert.equal(
        configuration?.dryRun,
        true,
        `only dry runs reached BigQuery: ${JSON.stringify(job.body)}`,
      );
    }
    assert.ok(
      !replay.requests.some((r) => r.method === 'POST' && r.path.endsWith('/datasets')),
      'no dataset was created',
    );
  });
});
