import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/index.js';
import { commandLogLevel, runtimeSettings } from '../settings.js';
import { connectWorker, createContrailWorker } from '../worker.js';
import { connectClient } from './connect.js';
import { startDevServer } from './dev-server.js';

export interface TemporalSession {
  client: Client;
  taskQueue: string;
  address: string;
  /** True when this process started its own server and worker. */
  embedded: boolean;
}

export interface WithTemporalOptions {
  env?: NodeJS.ProcessEnv;
  /** Activity dependencies of the in-process worker (embedded mode only). */
  deps: () => ActivityDeps;
  log?: (line: string) => void;
  /** The SDK's warnings (retried activities, slow workflow tasks) on stderr too. */
  verbose?: boolean;
}

/**
 * Runs `work` against Temporal. With `TEMPORAL_ADDRESS` set, connects to that cluster (its
 * workers do the work). Without it — embedded mode — starts a private dev server and an
 * in-process worker, runs the work, and shuts both down, leaving no process behind (the server
 * also stops when this process is killed). `work` must not leave calls running when it
 * returns: the connection closes right after.
 */
export async function withTemporal<T>(
  work: (session: TemporalSession) => Promise<T>,
  options: WithTemporalOptions,
): Promise<T> {
  const settings = runtimeSettings(options.env);
  if (settings.temporalAddress) {
    const client = await connectClient(settings.temporalAddress, settings.namespace);
    try {
      return await work({
        client,
        taskQueue: settings.taskQueue,
        address: settings.temporalAddress,
        embedded: false,
      });
    } finally {
      await client.connection.close();
    }
  }

  options.log?.(
    'starting an embedded Temporal dev server and worker (set TEMPORAL_ADDRESS to use a cluster)',
  );
  const server = await startDevServer({ namespace: settings.namespace });
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  try {
    nativeConnection = await connectWorker(
      server.address,
      commandLogLevel(settings, options.verbose ?? false),
    );
    const worker = await createContrailWorker({
      connection: nativeConnection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      deps: options.deps(),
      overrides: { shutdownGraceTime: '2s' },
    });
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: settings.namespace });
    const session = { client, taskQueue: settings.taskQueue, address: server.address, embedded: true };
    return await worker.runUntil(work(session));
  } finally {
    await connection?.close().catch(() => undefined);
    await nativeConnection?.close().catch(() => undefined);
    await server.stop();
  }
}
