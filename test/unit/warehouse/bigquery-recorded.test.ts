import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../../../src/activities/index.js';
import { checkMaxBytes } from '../../../src/analysis/cost-report.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { dryRunAnalysis } from '../../../src/sql/dry-run.js';
import { currentToolVersion } from '../../../src/versions/tool-version.js';
import { BigQueryWarehouse } from '../../../src/warehouse/bigquery.js';
import { bigQueryError } from '../../../src/warehouse/bigquery-errors.js';
import { billedBytes, describeCost, formatBytes, onDemandCostUsd } from '../../../src/warehouse/cost.js';
import { WarehouseQueryError, WarehouseUnavailableError } from '../../../src/warehouse/errors.js';
import { WrappedWarehouse } from '../../../src/warehouse/wrapped.js';
import {
  type RecordedName,
  type ReplayServer,
  startReplayServer,
  startSilentServer,
} from '../../helpers/bigquery-replay.js';
import { testDeps } from '../../helpers/deps.js';
import { allowOnlyLoopback, assertOnlyLoopback } from '../../helpers/loopback.js';
import { freePort } from '../../helpers/processes-net.js';
import { programArgs } from '../../helpers/program.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * The BigQuery adapter against recorded BigQuery REST responses on loopback: what the emulator
 * cannot show. Google's client runs unchanged; only its endpoint is ours.
 */
const PROJECT = 'contrail-recorded';
const T = { dataset: 'contrail', table: 'long_running' };
let server: ReplayServer;

function warehouse(
  options: { maximumBytesBilled?: number; requestTimeoutMs?: number; pollIntervalMs?: number } = {},
): BigQueryWarehouse {
  return new BigQueryWarehouse({
    project: PROJECT,
    sourceProject: 'moz-fx-data-shared-prod',
    location: 'US',
    apiEndpoint: server.endpoint,
    maximumBytesBilled: options.maximumBytesBilled ?? null,
    pollIntervalMs: options.pollIntervalMs ?? 10,
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
  });
}

before(async () => {
  allowOnlyLoopback();
  process.env.METADATA_SERVER_DETECTION = 'none';
  server = await startReplayServer();
});

beforeEach(() => {
  server.requests.length = 0;
  server.jobs.clear();
  server.insertAnswers = [];
  server.newJobStates = ['jobDone'];
});

after(async () => {
  await server?.stop();
  assertOnlyLoopback();
});

const inserts = () => server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs'));

describe('BigQuery adapter on recorded responses', () => {
  test('a dry run reports the bytes BigQuery would scan and the tables it references, and what that is billed on demand', async () => {
    const { bytesProcessed, referencedTables } = await warehouse().dryRun(
      'SELECT * FROM `moz-fx-data-shared-prod.telemetry.clients_daily`',
    );
    assert.equal(bytesProcessed, 3_298_534_883_328); // 3 TiB
    assert.deepEqual(referencedTables, ['moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6']);
    const billed = billedBytes(bytesProcessed ?? 0, referencedTables?.length ?? 0);
    assert.equal(onDemandCostUsd(billed), 18.75);
    assert.equal(
      describeCost(bytesProcessed ?? 0, billed),
      '3.00 TiB billed, about $18.75 at $6.25/TiB on demand',
    );
    // A small query is billed BigQuery's 10 MB for each table it references, not what it scans.
    server.insertAnswers = ['dryRunSmall'];
    const small = await warehouse().dryRun('SELECT 1');
    assert.equal(small.bytesProcessed, 1_536_000);
    assert.equal(small.referencedTables?.length, 2);
    assert.equal(
      describeCost(1_536_000, billedBytes(1_536_000, 2)),
      '20.00 MiB billed (1.46 MiB scanned), about $0.0001 at $6.25/TiB on demand',
    );
    const insert = inserts()[0]?.body as { configuration: { dryRun: boolean } } | undefined;
    assert.equal(insert?.configuration.dryRun, true);
  });

  test('the maximumBytesBilled guard is sent with every job, and hitting it is permanent', async () => {
    server.newJobStates = ['jobDoneBytesBilledLimit'];
    await assert.rejects(
      warehouse({ maximumBytesBilled: 1_000_000_000 }).runToTable({ sql: 'SELECT 1', destination: T }),
      (error) => {
        assert.ok(error instanceof WarehouseQueryError);
        assert.equal(error.permanent, true);
        assert.match(error.warehouseMessage, /bytesBilledLimitExceeded.*limit for bytes billed/);
        return true;
      },
    );
    const insert = inserts()[0]?.body as { configuration: { query: Record<string, unknown> } } | undefined;
    const query = insert?.configuration.query ?? {};
    assert.equal(query.maximumBytesBilled, '1000000000');
    assert.equal(query.useLegacySql, false);
    assert.equal(query.writeDisposition, 'WRITE_TRUNCATE');
    assert.deepEqual(query.destinationTable, {
      projectId: PROJECT,
      datasetId: 'contrail',
      tableId: 'long_running',
    });
  });

  for (const [name, answer] of [
    ['backendError (500)', 'backendError'],
    ['service unavailable (503)', 'serviceUnavailable'],
    ['rateLimitExceeded (403)', 'rateLimitExceeded'],
    ['too many requests (429)', 'tooManyRequests'],
    ['quotaExceeded (403)', 'quotaExceeded'],
  ] as const) {
    test(`${name} is a transient ContrailError: the activity retries it`, async () => {
      server.insertAnswers = [answer];
      await assert.rejects(warehouse().runToTable({ sql: 'SELECT 1', destination: T }), (error) => {
        assert.ok(error instanceof WarehouseQueryError);
        assert.equal(error.permanent, false, error.message);
        assert.deepEqual(error.destination, T);
        return true;
      });
    });
  }

  test('no answer at all is WarehouseUnavailableError, naming the endpoint that did not answer (Google: the network and credentials); a dry run of a whole analysis stops at it', async () => {
    // Nothing listens here: the connection is refused, as when the emulator is not started.
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const closed = new BigQueryWarehouse({
      project: PROJECT,
      sourceProject: 'moz-fx-data-shared-prod',
      location: 'US',
      apiEndpoint: endpoint,
      maximumBytesBilled: null,
    });
    const unavailable = (error: unknown) => {
      assert.ok(error instanceof WarehouseUnavailableError, String(error));
      assert.equal(error.permanent, false, 'the network may come back');
      assert.match(
        error.message,
        new RegExp(
          `BigQuery gave no answer: .*ECONNREFUSED.*\\(nothing answered at ${endpoint}, where CONTRAIL_BIGQUERY_ENDPOINT sends every request: check that the emulator runs there, or correct the setting\\)`,
        ),
      );
      // An emulator is asked for no credentials: they are not what to check.
      assert.doesNotMatch(error.message, /GOOGLE_APPLICATION_CREDENTIALS/);
      return true;
    };
    // Google's own endpoint unreachable: the network, or the credentials.
    assert.match(
      bigQueryError(new Error('getaddrinfo EAI_AGAIN bigquery.googleapis.com'), null, {
        project: PROJECT,
        sourceProject: 'moz-fx-data-shared-prod',
        location: 'US',
        endpoint: null,
      }).message,
      /BigQuery gave no answer: .*\(check the network and the credentials: GOOGLE_APPLICATION_CREDENTIALS/,
    );
    await assert.rejects(closed.dryRun('SELECT 1'), unavailable);
    let dryRuns = 0;
    const counting = new WrappedWarehouse(
      closed.dialect,
      closed.sqlDialect,
      (call, run) => {
        if (call.method === 'dryRun') dryRuns++;
        return run(closed);
      },
      () => closed.close(),
    );
    const collection = await loadConfigCollection({ repos: [DEMO_CONFIG_REPO] });
    const experiment = (await localExperimentSource(DEMO_EXPERIMENTS_FILE).list()).find(
      (e) => e.slug === DEMO_SLUG,
    );
    assert.ok(experiment);
    const { spec } = resolveAnalysisSpec(collection, experiment);
    await assert.rejects(
      dryRunAnalysis(counting, spec, { dataset: 'contrail', dialect: closed.sqlDialect }),
      unavailable,
    );
    assert.equal(dryRuns, 1, 'not one failure per query');
  });

  test('an endpoint that accepts and never answers is WarehouseUnavailableError within the request timeout, and the connection is dropped', async () => {
    const silent = await startSilentServer();
    try {
      const hung = new BigQueryWarehouse({
        project: PROJECT,
        sourceProject: 'moz-fx-data-shared-prod',
        location: 'US',
        apiEndpoint: silent.endpoint,
        maximumBytesBilled: null,
        requestTimeoutMs: 300,
      });
      for (const call of [
        () => hung.dryRun('SELECT 1'),
        () => hung.runToTable({ sql: 'SELECT 1', destination: T }),
        () => hung.tableExists(T),
      ]) {
        const started = Date.now();
        // Bounded here too, so a client that waits forever fails this test instead of hanging it.
        const bounded = Promise.race([
          call(),
          new Promise<never>((_, reject) =>
            setTimeout(
              () => reject(new Error('still waiting after 5 s: the request was never bounded')),
              5000,
            ),
          ),
        ]);
        await assert.rejects(bounded, (error) => {
          assert.ok(error instanceof WarehouseUnavailableError, String(error));
          assert.equal(error.permanent, false, "contrail's retries try again");
          assert.match(
            error.message,
            /BigQuery gave no answer: .*no answer within 300 ms \(CONTRAIL_BIGQUERY_TIMEOUT_MS; ETIMEDOUT\).*nothing answered at http:\/\/127\.0\.0\.1:\d+, where CONTRAIL_BIGQUERY_ENDPOINT sends every request/,
          );
          return true;
        });
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 250 && elapsed < 5000, `gave up after ${elapsed} ms`);
      }
      assert.equal(silent.accepted(), 3, 'one request each: the client itself does not retry');
      const deadline = Date.now() + 2000;
      while (silent.closedByClient() < 3 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(silent.closedByClient(), 3, 'a timed-out request leaves no connection open');
    } finally {
      await silent.stop();
    }
  });

  test('the timeout bounds each request, not the job: a job running for several timeouts is polled to the end', async () => {
    server.newJobStates = [...Array<RecordedName>(8).fill('jobRunning'), 'jobDone'];
    const started = Date.now();
    const result = await warehouse({ requestTimeoutMs: 500, pollIntervalMs: 150 }).runToTable({
      sql: 'SELECT 1 AS x',
      destination: T,
    });
    assert.ok(Date.now() - started > 1000, 'the job outlived two request timeouts');
    assert.equal(result.rows, 1_250_000);
    assert.equal([...server.jobs.values()][0]?.polls, 9);
  });

  test('a client that finds no credentials is permanent: retrying finds none either', () => {
    const error = bigQueryError(new Error('Could not load the default credentials. Browse to …'));
    assert.ok(error instanceof WarehouseUnavailableError);
    assert.equal(error.permanent, true);
  });

  test('a statement BigQuery failed for a concurrent update of its table is transient, although its reason is invalidQuery', () => {
    // As BigQuery answers a request, and as a finished job reports its errorResult.
    for (const failure of [
      {
        code: 400,
        message:
          'Could not serialize access to table contrail-recorded:contrail.logs due to concurrent update',
        errors: [
          {
            domain: 'global',
            reason: 'invalidQuery',
            message:
              'Could not serialize access to table contrail-recorded:contrail.logs due to concurrent update',
          },
        ],
      },
      {
        reason: 'invalidQuery',
        message:
          'Transaction is aborted due to concurrent update against table contrail-recorded:contrail.logs. Transaction ID: 61e30eea-0000-2dab-8e60-94eb2c1b1a92 at [1:1]',
      },
    ]) {
      const error = bigQueryError(failure, { dataset: 'contrail', table: 'logs' });
      assert.ok(error instanceof WarehouseQueryError);
      assert.equal(error.permanent, false, error.message);
      assert.match(error.warehouseMessage, /^BigQuery \(invalidQuery\): .*concurrent update/);
    }
    // Any other invalidQuery stays permanent.
    assert.equal(
      bigQueryError({ reason: 'invalidQuery', message: 'Unrecognized name: x at [1:8]' }).permanent,
      true,
    );
  });

  test("the BigQuery emulator's word for the same conflict (a DuckLake commit that lost a race) is transient too", () => {
    const error = bigQueryError(
      {
        code: 400,
        message: 'Failed to commit: Failed to commit DuckLake transaction.',
        errors: [
          { reason: 'invalidQuery', message: 'Failed to commit: Failed to commit DuckLake transaction.' },
        ],
      },
      null,
      {
        project: 'contrail-test',
        sourceProject: 'moz-fx-data-shared-prod',
        location: 'US',
        endpoint: 'http://127.0.0.1:9050',
      },
    );
    assert.ok(error instanceof WarehouseQueryError);
    assert.equal(error.permanent, false, error.message);
  });

  test("an invalid query is permanent, with BigQuery's own message and position", async () => {
    server.insertAnswers = ['invalidQuery'];
    await assert.rejects(
      warehouse().runToTable({ sql: 'SELECT active_hours_sum2', destination: T }),
      (error) => {
        assert.ok(error instanceof WarehouseQueryError);
        assert.equal(error.permanent, true);
        assert.match(
          error.warehouseMessage,
          /invalidQuery.*Unrecognized name: active_hours_sum2.*at \[12:5\]/,
        );
        return true;
      },
    );
  });

  test('a job reports what BigQuery billed beside what it scanned: a small query is billed its 10 MB', async () => {
    server.newJobStates = ['jobRunning', 'jobDoneSmall'];
    const result = await warehouse().runToTable({ sql: 'SELECT 1 AS x', destination: T });
    assert.equal(result.bytesProcessed, 48_213);
    assert.equal(result.bytesBilled, 10 * 2 ** 20);
  });

  test('a job that fails while running with backendError is transient; the retry runs the next incarnation', async () => {
    server.newJobStates = ['jobRunning', 'jobDoneBackendError'];
    const wh = warehouse();
    const work = { sql: 'SELECT 1 AS x', destination: T, jobKey: 'wf:run:act' };
    await assert.rejects(
      wh.runToTable(work),
      (error) => error instanceof WarehouseQueryError && !error.permanent,
    );
    server.newJobStates = ['jobRunning', 'jobDone'];
    const result = await wh.runToTable(work);
    assert.equal(result.bytesProcessed, 52_613_349_376);
    const ids = [...server.jobs.keys()];
    assert.equal(ids.length, 2, ids.join(', '));
    assert.ok(ids[1]?.startsWith(ids[0] as string) && ids[1]?.endsWith('_r1'), ids.join(', '));
  });

  test('waiting polls the job and reports progress on every poll (the activity heartbeats from it)', async () => {
    server.newJobStates = ['jobRunning', 'jobRunning', 'jobRunning', 'jobRunning', 'jobDone'];
    const ticks: string[] = [];
    const result = await warehouse().runToTable({
      sql: 'SELECT 1 AS x',
      destination: T,
      onProgress: (info) => ticks.push(info.detail ?? ''),
    });
    assert.ok(ticks.length >= 4, `${ticks.length} progress reports`);
    assert.match(ticks[0] as string, /RUNNING/);
    assert.equal(result.rows, 1_250_000);
    const job = [...server.jobs.values()][0];
    assert.equal(job?.polls, 5);
  });

  test('a job is polled soon after it starts, then less and less often, never less often than the poll interval', async () => {
    server.newJobStates = [...Array<RecordedName>(6).fill('jobRunning'), 'jobDone'];
    const waits: number[] = [];
    const recording = new BigQueryWarehouse({
      project: PROJECT,
      sourceProject: 'moz-fx-data-shared-prod',
      location: 'US',
      apiEndpoint: server.endpoint,
      maximumBytesBilled: null,
      pollIntervalMs: 1000,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await recording.runToTable({ sql: 'SELECT 1 AS x', destination: T });
    assert.deepEqual(waits, [100, 200, 400, 800, 1000, 1000]);
  });

  test('aborting cancels the job in BigQuery and rejects with an AbortError', async () => {
    server.newJobStates = ['jobRunning'];
    const controller = new AbortController();
    const running = warehouse().runToTable({
      sql: 'SELECT 1 AS x',
      destination: T,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('activity cancelled')),
    });
    await assert.rejects(running, (error: Error) => error.name === 'AbortError');
    const job = [...server.jobs.values()][0];
    assert.equal(job?.cancelled, true, 'jobs.cancel was called');
  });

  test('killing the worker mid-query: the retry finds the running job and waits for it, no second job', async () => {
    server.newJobStates = ['jobRunning'];
    const jobKey = 'analysis/contrail-demo-sidebar/2026-03-15:run-1:activity-computeMetrics';
    const child = spawn(
      process.execPath,
      [
        ...programArgs(fileURLToPath(new URL('../../fixtures/bigquery/run-job.ts', import.meta.url))),
        server.endpoint,
        jobKey,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!([...server.jobs.values()][0]?.polls ?? 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(server.jobs.size, 1, 'the first worker started the job');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const job = [...server.jobs.values()][0];
    assert.equal(job?.cancelled, false, 'a killed worker cancels nothing');
    // The job finishes while nobody watches; the retried activity (same work, new process) comes.
    if (job) job.states = ['jobDone'];
    const result = await warehouse().runToTable({ sql: 'SELECT 1 AS x', destination: T, jobKey });
    assert.equal(server.jobs.size, 1, 'no second job');
    assert.equal(result.bytesProcessed, 52_613_349_376);
    const attempts = inserts().map((r) => (r.body as { jobReference: { jobId: string } }).jobReference.jobId);
    assert.deepEqual(attempts, [job?.id, job?.id], 'both workers asked for the same job id');
  });

  /** The demo experiment's preview cost, as the activity estimates it on BigQuery (here, recorded answers). */
  const estimateDemoPreview = () => {
    const now = new Date('2026-04-01T06:00:00Z');
    const tool = currentToolVersion();
    return createActivities(testDeps(warehouse(), { now: () => now })).estimatePreviewCost({
      target: {
        slug: DEMO_SLUG,
        dataset: 'contrail_preview',
        pin: {
          toolVersion: tool.version,
          buildId: tool.buildId,
          configCommit: null,
          anchor: null,
          reason: 'no-anchor',
          resolvedAt: now.toISOString(),
        },
        configOverride: null,
        sampleSize: 10,
        periods: null,
        lenient: false,
        preview: true,
        run: 'preview/contrail_preview/contrail-demo-sidebar',
      },
      dates: ['2026-03-15'],
      generatePopulation: false,
      sampleSize: 10,
      maxBytes: null,
      usdPerTib: 6.25,
    });
  };

  test("a preview's estimate is of what BigQuery bills: each query's minimums, and the queries of the preview's own tables at 10 MB each; --max_bytes is compared with that", async () => {
    // The enrollments query scans 1.5 MB of two tables; each scan, with it written in, as much.
    server.insertAnswers = Array<RecordedName>(30).fill('dryRunSmall');
    const { estimate, lines, refusal } = await estimateDemoPreview();
    assert.equal(refusal, null);
    const enrollments = lines.find((l) => l.includes('enrollments_contrail_demo_sidebar'));
    assert.equal(
      enrollments,
      '  2026-03-15  enrollments_contrail_demo_sidebar  20.00 MiB billed (1.46 MiB scanned)',
    );
    const own = estimate.ownTableQueries;
    assert.ok(own > 0);
    assert.equal(estimate.totalBytes, 1_536_000);
    assert.equal(estimate.totalBilledBytes, (20 + 10 * own) * 2 ** 20);
    assert.equal(
      lines.at(-1),
      `  total ${formatBytes((20 + 10 * own) * 2 ** 20)} billed in ${estimate.queries.length} queries (1.46 MiB scanned) and ${own} that read only the preview's own tables (10.00 MiB each, the least BigQuery bills), about $${(((20 + 10 * own) / 2 ** 20) * 6.25).toFixed(4)} at $6.25/TiB on demand; not estimated: the enrollments table the scans read`,
    );
    // Scanned, the preview is under 15 MB; billed, it is not.
    assert.throws(
      () => checkMaxBytes(estimate, 15 * 2 ** 20),
      (error: Error) =>
        error.message.startsWith(
          `the preview would be billed ${formatBytes((20 + 10 * own) * 2 ** 20)} (BigQuery dry run), more than --max_bytes 15.00 MiB; biggest queries: enrollments_contrail_demo_sidebar (2026-03-15): 20.00 MiB billed (1.46 MiB scanned);`,
        ),
    );
  });

  test('a rejected enrollments query is the finding: the scans that read it, rejected with it, are not blamed on their data sources', async () => {
    server.insertAnswers = Array<RecordedName>(30).fill('invalidQuery');
    const { estimate, refusal } = await estimateDemoPreview();
    assert.ok(
      estimate.queries.length > 2 && estimate.queries.every((q) => q.rejected),
      JSON.stringify(estimate.queries),
    );
    assert.ok(refusal);
    const scans = estimate.queries.length - 1;
    assert.match(refusal.message, /^BigQuery's dry run rejected 1 of the preview's queries/);
    assert.match(
      refusal.message,
      new RegExp(`\\(${scans} metrics scans read the enrollments and failed with them`),
    );
    assert.doesNotMatch(
      refusal.message,
      /metrics_(21_)?contrail_demo_sidebar|data_sources\.|\(metric /,
      refusal.message,
    );
    assert.match(refusal.message, /\[enrollments_contrail_demo_sidebar on 2026-03-15\]/);
  });

  test("a preview whose query BigQuery's dry run rejects stops there: every rejected query named at its config item, no dataset, no job but dry runs", async () => {
    // The enrollments pass; the first metrics scan is rejected; the rest pass.
    server.insertAnswers = ['dryRun', 'invalidQuery'];
    const { estimate, refusal } = await estimateDemoPreview();
    const rejected = estimate.queries.filter((q) => q.rejected !== undefined);
    assert.equal(rejected.length, 1, JSON.stringify(estimate.queries));
    assert.ok(refusal, 'the preview is refused');
    assert.equal(refusal.name, 'PreviewQueriesRejectedError');
    assert.equal(refusal.permanent, true);
    const table = rejected[0]?.table as string;
    assert.match(
      refusal.message,
      /^BigQuery's dry run rejected 1 of the preview's queries .*no dataset or table was created/,
    );
    // Under the config file: the config item (key and line), then BigQuery's message with the query and date.
    const lines = refusal.message.split('\n');
    const fileAt = lines.findIndex((l) => /^ {2}\/.*\.toml$/.test(l));
    assert.ok(fileAt > 0, refusal.message);
    assert.match(lines[fileAt + 1] ?? '', /^ {4}(metrics|data_sources)\.\w+.* \(line \d+\)/, refusal.message);
    assert.equal(
      lines[fileAt + 2],
      `      ERROR warehouse said: BigQuery (invalidQuery): Unrecognized name: active_hours_sum2; Did you mean active_hours_sum? at [12:5] [${table} on 2026-03-15]`,
    );
    const subjects = refusal.details.subjects as { file?: string; key?: string; query?: string }[];
    assert.ok(
      subjects.length > 0 && subjects.every((s) => s.file?.endsWith('.toml') && s.key && s.query === table),
    );
    // Nothing but dry runs reached BigQuery: no dataset, no table, no job that runs.
    const writes = server.requests.filter(
      (r) =>
        r.method !== 'GET' && !(r.body as { configuration?: { dryRun?: boolean } })?.configuration?.dryRun,
    );
    assert.deepEqual(
      writes.map((r) => `${r.method} ${r.path}`),
      [],
    );
    assert.equal(inserts().length, estimate.queries.length, 'one dry run per query estimated');
  });

  test('labels after a write: one patch when the table carries no other keys, a second one removing the replaced keys', async () => {
    const ref = { dataset: 'contrail', table: 'labelled' };
    const tableRequests = () =>
      server.requests
        .filter((r) => r.path.endsWith(`/tables/${ref.table}`))
        .map(
          (r) =>
            `${r.method} ${JSON.stringify((r.body as { labels?: unknown } | undefined)?.labels ?? null)}`,
        );
    server.tableLabels.delete('contrail.labelled');
    const wh = warehouse();
    await wh.runToTable({ sql: 'SELECT 1 AS x', destination: ref, labels: { run: 'first', stale: 'x' } });
    assert.equal(tableRequests().length, 1, tableRequests().join('\n'));
    assert.match(tableRequests()[0] ?? '', /^PATCH \{"run":"first","stale":"x","last_updated":"\d+"\}$/);
    server.requests.length = 0;
    await wh.runToTable({ sql: 'SELECT 1 AS x', destination: ref, labels: { run: 'second' } });
    assert.deepEqual(tableRequests().slice(1), ['PATCH {"stale":null}']);
    assert.deepEqual(Object.keys(server.tableLabels.get('contrail.labelled') ?? {}).sort(), [
      'last_updated',
      'run',
    ]);
    assert.equal(server.tableLabels.get('contrail.labelled')?.run, 'second');
  });
});
