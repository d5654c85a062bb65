import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { type DevServer, startDevServer } from '../../src/client/dev-server.js';
import { runtimeSettings } from '../../src/settings.js';
import { connectWorker } from '../../src/worker.js';

/**
 * The namespace of one integration test file on the run's shared dev server: test files run
 * in parallel, and their own namespace keeps one file's workflow ids, schedules and
 * visibility queries from ever meeting another's. scripts/run-tests.ts creates one per file
 * (named by the source file; the process runs its bundled .mjs).
 */
export function testNamespace(file: string): string {
  return `test-${basename(file)
    .replace(/\.test\.m?[jt]s$/, '')
    .replace(/[^A-Za-z0-9-]/g, '-')}`;
}

/**
 * A connection to the run's shared dev server (scripts/run-tests.ts starts it and sets
 * CONTRAIL_TEST_TEMPORAL_ADDRESS), or, when a test file runs on its own, a private one.
 * Each test file gets its own namespace, and each call its own task queue, so files and
 * tests never steal each other's tasks.
 */
export interface TestTemporal {
  address: string;
  namespace: string;
  client: Client;
  nativeConnection: NativeConnection;
  taskQueue: string;
  /** Environment for a `contrail` process that should use this server, namespace and task queue. */
  env: { TEMPORAL_ADDRESS: string; TEMPORAL_NAMESPACE: string; CONTRAIL_TASK_QUEUE: string };
  close(): Promise<void>;
}

export async function testTemporal(): Promise<TestTemporal> {
  let server: DevServer | null = null;
  const namespace = testNamespace(process.argv[1] ?? 'test');
  let address = process.env.CONTRAIL_TEST_TEMPORAL_ADDRESS;
  if (!address) {
    server = await startDevServer({ startTimeoutMs: 120_000, namespace });
    address = server.address;
  }
  const connection = await Connection.connect({ address });
  // Test workers log errors only (CONTRAIL_LOG_LEVEL=WARN shows their retries when debugging).
  const nativeConnection = await connectWorker(address, null, runtimeSettings().sdkLogLevel ?? 'ERROR');
  const taskQueue = `test-${randomUUID()}`;
  return {
    address,
    namespace,
    client: new Client({ connection, namespace }),
    nativeConnection,
    taskQueue,
    env: { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, CONTRAIL_TASK_QUEUE: taskQueue },
    async close() {
      await connection.close();
      await nativeConnection.close();
      await server?.stop();
    },
  };
}
