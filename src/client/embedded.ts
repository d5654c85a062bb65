import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/index.js';
import { contrailCommand } from '../command-name.js';
import { commandLogLevel, runtimeSettings, temporalTlsVariables } from '../settings.js';
import { connectWorker, createContrailWorker } from '../worker.js';
import { cancelRunning, completedOf, progressOf, publicationsEnded } from './cancel.js';
import { connectClient } from './connect.js';
import { startDevServer } from './dev-server.js';
import { onInterrupt } from './interrupt.js';
import { cancelledLine } from './outcomes.js';

export interface TemporalSession {
  client: Client;
  taskQueue: string;
  address: string;
  /** True when this process started its own server and worker. */
  embedded: boolean;
  /** The workflows the command started or attached to (what Ctrl-C names on a cluster). */
  followed: string[];
  /**
   * The signal that interrupted an embedded command, once one has: the work may still end with
   * its result (a preview stopped at its date, or work that finished as the cancel came).
   */
  interrupted?: NodeJS.Signals;
}

export interface WithTemporalOptions {
  env?: NodeJS.ProcessEnv;
  /** Activity dependencies of the in-process worker (embedded mode only). */
  deps: () => ActivityDeps;
  log?: (line: string) => void;
  /** The SDK's warnings (retried activities, slow workflow tasks) on stderr too. */
  verbose?: boolean;
  /** What an interrupt leaves of the results, said after what it cancelled (embedded mode). */
  leftByInterrupt?: string | null;
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
    const client = await connectClient(settings.temporalAddress, settings.namespace, settings.temporalTls);
    const address = settings.temporalAddress;
    // On a cluster the workflows are not this command's to end: Ctrl-C only stops following them.
    const followed: string[] = [];
    const stopInterrupts = onInterrupt(async (signal) => {
      const what =
        followed.length > 0
          ? `${followed.join(', ')} keeps running on ${address}: \`${contrailCommand()} status ${followed[0]}\` shows it`
          : 'nothing was started';
      process.stderr.write(`contrail: stopped following (${signal}); ${what}\n`);
      process.exit(130);
    });
    try {
      return await work({ client, taskQueue: settings.taskQueue, address, embedded: false, followed });
    } finally {
      stopInterrupts();
      await client.connection.close();
    }
  }

  // The worker's settings are checked before anything starts: a mistyped one is the only message.
  const deps = options.deps();
  // Ctrl-C while the server and worker start: nothing has been asked of them yet, which is said
  // (the server, once up, is stopped with the process; its watchdog stops one still starting).
  // Listened for before the line that says they start: a signal sent on seeing it finds the
  // handler, not the default that ends the process without a word.
  let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
  let stopInterrupts = onInterrupt(async (signal) => {
    process.stderr.write(
      `contrail: interrupted (${signal}) while starting the embedded Temporal server and worker: nothing was started\n`,
    );
    await server?.stop().catch(() => undefined);
    process.exit(130);
  });
  options.log?.(
    'starting an embedded Temporal dev server and worker (set TEMPORAL_ADDRESS to use a cluster)',
  );
  const unusedTls = embeddedTlsWarning(options.env);
  if (unusedTls) process.stderr.write(`${unusedTls}\n`);
  try {
    server = await startDevServer({
      namespace: settings.namespace,
      ...(options.env ? { env: options.env } : {}),
    });
  } catch (error) {
    stopInterrupts();
    throw error;
  }
  const started = server;
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  try {
    // The private dev server is plain: the TLS settings are a cluster's.
    nativeConnection = await connectWorker(
      started.address,
      null,
      commandLogLevel(settings, options.verbose ?? false),
      { shutdownOnSignals: false },
    );
    const worker = await createContrailWorker({
      connection: nativeConnection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      deps,
      overrides: { shutdownGraceTime: '2s' },
    });
    connection = await Connection.connect({ address: started.address });
    const client = new Client({ connection, namespace: settings.namespace });
    const session: TemporalSession = {
      client,
      taskQueue: settings.taskQueue,
      address: started.address,
      embedded: true,
      followed: [],
    };
    // Whether the work ended with a value: a workflow that, cancelled, stops what it does and
    // returns what it finished (a preview) has its report printed like any other. The work, not
    // the worker: the worker's shutdown after it takes seconds more on a busy machine, and its
    // workflows are over by then.
    let returned = false;
    // From here a signal cancels the work (the startup's handler goes), before the work starts.
    let interrupted = false;
    stopInterrupts();
    stopInterrupts = onInterrupt(async (signal) => {
      interrupted = true;
      session.interrupted = signal;
      options.log?.(`${signal}: cancelling this command's workflows (${signal} again to stop at once)`);
      // How far the work had got, asked before it is cancelled: said with what was cancelled.
      const reached = await progressOf(client, session.followed[0]);
      const asked = await cancelRunning(client).catch(() => []);
      // A publication under way runs to its end, however long its swap takes: stopped part
      // way, a day's tables would be part new, part old or missing.
      await publicationsEnded(client, (publishing) =>
        options.log?.(
          `waiting for ${publishing.join(', ')} to finish publishing: once begun, publishing runs to its end, so that every table of it is replaced at once (${signal} again stops at once and may leave its tables part published)`,
        ),
      );
      // Their activities stop at their next heartbeat and the worker drains them; an activity
      // stuck in a call that ignores its cancellation does not keep the command alive.
      await Promise.race([done.catch(() => undefined), sleep(DRAIN_MS, undefined, { ref: false })]);
      if (returned) return;
      // A run that ended completed was not cut short: it finished first (a publication, all of it).
      const completed = await completedOf(client, asked);
      await started.stop().catch(() => undefined);
      const line = cancelledLine(
        `contrail: interrupted (${signal})`,
        reached,
        asked.filter((id) => !completed.includes(id)),
        options.leftByInterrupt ?? null,
        completed,
      );
      process.stderr.write(`${line}\n`);
      process.exit(130);
    }, LEFT_RUNNING);
    const done = work(session);
    // Interrupted, the worker serves on until no publication is under way, even when the work
    // (a backfill, whose publication is a workflow of its own) has ended cancelled before it.
    const served = done.finally(() => (interrupted ? publicationsEnded(client, () => undefined) : undefined));
    const running = worker.runUntil(served);
    done.then(
      () => {
        returned = true;
      },
      () => undefined,
    );
    try {
      return await running;
    } catch (error) {
      // The cancellation ends the command's work with an error: the interrupt ends the process.
      if (interrupted) await new Promise<never>(() => undefined);
      throw error;
    }
  } finally {
    stopInterrupts();
    await connection?.close().catch(() => undefined);
    await nativeConnection?.close().catch(() => undefined);
    await started.stop();
    await deps.close?.().catch(() => undefined);
  }
}

/**
 * The warning an embedded command gives when TLS or API key variables are set: set for a
 * cluster, they would be taken to protect this command's connections, which they do not (its
 * dev server is plain). Null when none is set. Names the variables, never their values.
 */
export function embeddedTlsWarning(env: NodeJS.ProcessEnv = process.env): string | null {
  const unused = temporalTlsVariables(env);
  if (unused.length === 0) return null;
  const one = unused.length === 1;
  return `contrail: ${unused.join(', ')} ${one ? 'applies' : 'apply'} to a Temporal cluster (TEMPORAL_ADDRESS) only: this command's embedded dev server is plain and ignores ${one ? 'it' : 'them'}`;
}

/** What stopping at once can leave: the cancel had not reached every query yet. */
const LEFT_RUNNING =
  'a warehouse query it started may still run (on BigQuery until it ends, billed, unless `bq cancel` stops it)';

/** How long an interrupted command waits for its worker to drain before it exits anyway. */
const DRAIN_MS = 10_000;
