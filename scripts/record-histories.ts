/**
 * Records fresh workflow histories into test/histories/ for the replay test. Run after a
 * deliberate workflow change (and commit the result):  npm run record-histories
 * Each scenario runs real workflows on a private dev server with a real worker and an
 * in-memory warehouse.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startDevServer } from '../src/client/dev-server.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb.js';
import { connectWorker, createContrailWorker } from '../src/worker.js';
import { testDeps } from '../test/helpers/deps.js';

const outDir = fileURLToPath(new URL('../test/histories/', import.meta.url));
const taskQueue = 'record-histories';

interface Scenario {
  name: string;
  run: (client: Client) => Promise<string>; // resolves to the workflow id to record
}

const scenarios: Scenario[] = [
  {
    name: 'health-check',
    run: async (client) => {
      const handle = await client.workflow.start('healthCheck', { taskQueue, workflowId: 'health/record' });
      await handle.result();
      return handle.workflowId;
    },
  },
];

const server = await startDevServer({ startTimeoutMs: 120_000 });
const warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: {} });
const nativeConnection = await connectWorker(server.address);
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
try {
  const worker = await createContrailWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps: testDeps(warehouse),
  });
  await worker.runUntil(async () => {
    for (const scenario of scenarios) {
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
