import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { type DevServer, startDevServer } from '../../src/client/dev-server.js';
import { connectWorker } from '../../src/worker.js';

/**
 * A connection to the run's shared dev server (scripts/run-tests.ts starts it and sets
 * CONTRAIL_TEST_TEMPORAL_ADDRESS), or, when a test file runs on its own, a private one.
 * Each test file gets its own task queue so files never steal each other's tasks.
 */
export interface TestTemporal {
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  taskQueue: string;
  close(): Promise<void>;
}

export async function testTemporal(): Promise<TestTemporal> {
  let server: DevServer | null = null;
  let address = process.env.CONTRAIL_TEST_TEMPORAL_ADDRESS;
  if (!address) {
    server = await startDevServer({ startTimeoutMs: 120_000 });
    address = server.address;
  }
  const connection = await Connection.connect({ address });
  const nativeConnection = await connectWorker(address);
  return {
    address,
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    taskQueue: `test-${randomUUID()}`,
    async close() {
      await connection.close();
      await nativeConnection.close();
      await server?.stop();
    },
  };
}
