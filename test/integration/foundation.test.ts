import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HealthReport } from '../../src/activities/health.js';
import { freePort } from '../../src/client/ports.js';
import { currentToolVersion } from '../../src/versions/tool-version.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { WarehouseUnavailableError } from '../../src/warehouse/errors.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { WrappedWarehouse } from '../../src/warehouse/wrapped.js';
import { createContrailWorker } from '../../src/worker.js';
import { runCli, runMain } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { marked, processMarker } from '../helpers/processes.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

describe('a real workflow through the real server and worker', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  before(async () => {
    temporal = await testTemporal();
    warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: {} });
  });
  after(async () => {
    await warehouse.close();
    await temporal.close();
  });

  test('healthCheck runs its activity against DuckDB and returns the report', async () => {
    const worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      deps: testDeps(warehouse),
    });
    const report: HealthReport = await worker.runUntil(
      temporal.client.workflow.execute('healthCheck', {
        taskQueue: temporal.taskQueue,
        workflowId: `health/test/${temporal.taskQueue}`,
      }),
    );
    assert.equal(report.warehouseAnswer, 42);
    assert.equal(report.dialect, 'duckdb');
    assert.equal(report.warehouse, "duckdb (a test's warehouse)", 'the warehouse as the worker names it');
    assert.equal(report.toolVersion, currentToolVersion().version);
    const history = await temporal.client.workflow
      .getHandle(`health/test/${temporal.taskQueue}`)
      .fetchHistory();
    const types = (history.events ?? []).map(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name,
    );
    assert.ok(types.includes('checkWarehouse'), 'the activity ran through the server');
  });

  test('a warehouse that does not answer fails the check at its first attempt, with what it met', async () => {
    const silent = new WrappedWarehouse(
      warehouse.dialect,
      warehouse.sqlDialect,
      async () => {
        throw new WarehouseUnavailableError({
          warehouseMessage: 'BigQuery gave no answer',
          permanent: false,
        });
      },
      async () => undefined,
    );
    const taskQueue = `${temporal.taskQueue}-silent`;
    const worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      deps: testDeps(silent),
    });
    const workflowId = `health/silent/${taskQueue}`;
    const failure = await worker.runUntil(
      temporal.client.workflow.execute('healthCheck', { taskQueue, workflowId }).then(
        () => assert.fail('the check should fail'),
        (error: unknown) => error,
      ),
    );
    assert.match(
      String((failure as { cause?: { cause?: unknown } }).cause?.cause),
      /BigQuery gave no answer/,
    );
    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const attempts = (history.events ?? []).flatMap(
      (e) => e.activityTaskStartedEventAttributes?.attempt ?? [],
    );
    assert.deepEqual(attempts, [1]);
  });
});

describe('the contrail CLI', () => {
  const home = mkdtempSync(join(tmpdir(), 'contrail-cli-'));
  const env = { CONTRAIL_HOME: home, TEMPORAL_ADDRESS: '' };

  test('embedded mode: doctor starts a private server and worker and leaves no process behind', async () => {
    const marker = processMarker();
    const result = await runCli(['doctor', '--json'], { env: { ...env, ...marker.env } });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as HealthReport & { embedded: boolean };
    assert.equal(report.warehouseAnswer, 42);
    assert.equal(report.embedded, true);
    // For a person: one line per link, no JSON.
    const human = await runMain(['doctor'], env);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      /^contrail doctor: every link answered\n {2}Temporal {3}127\.0\.0\.1:\d+ \(a private dev server for this command\), round trip \d+ ms\n {2}worker {5}contrail \S+ \(build \S+\) on (\S+) ran the check\n {2}workers {4}1 worker polls task queue '\S+' \(unversioned: 1\)\n {15}\1, last polled \d+ s ago\n {2}warehouse {2}DuckDB (\S+) answered a query\n$/,
    );
    // The warehouse the worker reached, by its file: this command's data directory's.
    assert.equal(
      /warehouse {2}DuckDB (\S+) answered/.exec(human.stdout)?.[1],
      join(home, 'warehouse.duckdb'),
    );
    assert.deepEqual(await marked(marker.pids, 5_000), [], 'no dev server outlives the command');
  });

  test('a warehouse that fails the check: doctor names the warehouse and says why, not only that the workflow failed', async () => {
    // In this process: what is checked is what doctor says, not how a process ends.
    const result = await runMain(['doctor'], {
      ...env,
      METADATA_SERVER_DETECTION: 'none',
      CONTRAIL_WAREHOUSE: 'bigquery',
      CONTRAIL_BIGQUERY_PROJECT: 'contrail-doctor',
      // Nothing listens here: BigQuery cannot be reached.
      CONTRAIL_BIGQUERY_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^contrail: Temporal at 127\.0\.0\.1:\d+ and a worker answered, but the warehouse did not: .*ECONNREFUSED/m,
    );
    assert.doesNotMatch(result.stderr, /^contrail: Workflow execution failed$/m);
  });

  test('a TEMPORAL_ADDRESS that does not answer: one line naming it, after the connect deadline', async () => {
    // Something takes the connection and never says a word (a refused one is said at once).
    const taken: Socket[] = [];
    const silent = createServer((socket) => taken.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const result = await runMain(['doctor'], { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
      assert.equal(result.code, 1);
      // A guard against hanging, not a speed target: the CLI's own connect deadline is 8 s.
      assert.ok(result.ms < 60_000, `took ${result.ms} ms`);
      assert.match(
        result.stderr.trim(),
        new RegExp(
          `^contrail: cannot reach Temporal at 127\\.0\\.0\\.1:${port} \\(TEMPORAL_ADDRESS\\): nothing answered within 8 s: is a Temporal server running there\\? \`contrail server\` starts one`,
        ),
      );
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    } finally {
      for (const socket of taken) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
