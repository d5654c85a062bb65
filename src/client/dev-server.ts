import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { CONTRAIL_SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';
import { CliError } from './errors.js';
import { freePort, portHolder, portIsFree, retriedWhenPortTaken } from './ports.js';
import { claimDatabase, type DatabaseClaim } from './server-database.js';
import { temporalBinary } from './temporal-binary.js';

export interface DevServerOptions {
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; omitted = no UI (headless). */
  uiPort?: number;
  /** SQLite file for persistence; omitted = in memory. */
  dbFile?: string;
  namespace?: string;
  /** More namespaces to create at start (a test run gives each test file its own). */
  extraNamespaces?: string[];
  /** How long to wait for the server to answer. The SDK's launcher waits only 5 s: too short on a busy CI. */
  startTimeoutMs?: number;
  /** Where the server's own log lines go (default: dropped unless it fails to start). */
  log?: (line: string) => void;
  /** The environment the Temporal CLI is found from (TEMPORAL_CLI_PATH, CONTRAIL_HOME); default this process's. */
  env?: NodeJS.ProcessEnv;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | null;
  /** The watchdog's pid; the server runs as its only child. */
  pid: number;
  /** Resolves when the process has exited. */
  stop(): Promise<void>;
  /** Resolves with the exit code when the server exits on its own. */
  exited: Promise<number | null>;
}

/**
 * Runs the Temporal CLI as the only child of a small shell that watches its standard input: the
 * parent holds the writing end of that pipe, and the kernel closes it however the parent ends
 * (SIGKILL included), so the server stops with the process that started it instead of living
 * on as an orphan that answers the next start. Signals to the shell are passed on; it exits
 * with the server's exit code.
 */
const WATCHDOG = `
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
{ while read -r _; do :; done; kill -TERM "$child" 2>/dev/null; } <&3 &
watcher=$!
exec 3<&-
wait "$child"
code=$?
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  code=$?
done
kill "$watcher" 2>/dev/null
exit "$code"
`;

/** Refuses a port that something already listens on, naming what holds it. */
async function checkPort(port: number, option: string): Promise<void> {
  if (await portIsFree(port)) return;
  const address = `127.0.0.1:${port}`;
  const holder = portHolder(port);
  const who = holder ? `pid ${holder.pid} (${holder.command})` : 'another process';
  const temporal = await answers(address, 'default');
  throw new CliError(
    temporal
      ? `${option} ${port}: a Temporal server already answers on ${address}, held by ${who}; use it (TEMPORAL_ADDRESS=${address}), stop it, or choose another ${option}`
      : `${option} ${port}: the port is in use by ${who}; stop it or choose another ${option}`,
  );
}

/** Starts `temporal server start-dev` with contrail's search attributes and waits until it answers. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  // A database another server uses is refused first: on another port, nothing else would stop
  // this one from starting on it and breaking both.
  const database = options.dbFile
    ? await claimDatabase(
        resolve(options.dbFile),
        options.port === undefined ? null : `127.0.0.1:${options.port}`,
      )
    : null;
  try {
    if (options.port !== undefined) await checkPort(options.port, '--port');
    if (options.uiPort !== undefined) await checkPort(options.uiPort, '--ui-port');
    // The server picks its HTTP API port itself, as this picks a free gRPC port: between finding a
    // port free and binding it, another program may take it. A start that lost that race is tried
    // again on new ports; the ports a person chose were checked above.
    const started = await retriedWhenPortTaken(
      async () => await startOnce(options, namespace, options.port ?? (await freePort()), database),
    );
    if (database === null) return started;
    // The database is the server's until it has stopped, not only until it was asked to.
    const exited = started.exited.then((code) => {
      database.release();
      return code;
    });
    const stop = async () => {
      await started.stop();
      await exited;
    };
    return { ...started, exited, stop };
  } catch (error) {
    database?.release();
    throw error;
  }
}

/**
 * One start: the server once it answers. When it exited because a port it was to listen on was
 * taken meanwhile, the error says so in the server's words (the caller tries again).
 */
async function startOnce(
  options: DevServerOptions,
  namespace: string,
  port: number,
  database: DatabaseClaim | null,
): Promise<DevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-format',
    'pretty',
    '--log-level',
    'warn',
  ];
  for (const extra of options.extraNamespaces ?? []) args.push('--namespace', extra);
  // Eager activity dispatch: the server hands the worker its next activity task in the reply
  // to the workflow task that scheduled it — one round trip less per activity.
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  // Absolute, as the note beside it names it: a later start recognizes this server by it.
  if (options.dbFile) args.push('--db-filename', resolve(options.dbFile));
  for (const key of CONTRAIL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);

  // In a process group of its own: Ctrl-C in a terminal signals the whole foreground group, and
  // the server must outlive the command's own handling of it (cancelling the command's
  // workflows needs the server), which then stops it.
  const child = spawn(
    '/bin/sh',
    ['-c', WATCHDOG, 'contrail-temporal', temporalBinary(options.env), ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    },
  );
  if (child.pid !== undefined) database?.started(child.pid, `127.0.0.1:${port}`);
  // The pipe is never written: only its closing matters (see WATCHDOG).
  child.stdin?.on('error', () => undefined);
  const output: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 200) output.shift();
      options.log?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      // A signal's death reads as a shell's exit code would: 128 + its number.
      exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null);
      resolve(exitCode);
    });
  });

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const stop = async () => {
    if (exitCode !== undefined) return;
    if (!options.dbFile && child.pid !== undefined) {
      // Nothing of an in-memory server outlives it: ending it at once spares the second its
      // orderly shutdown takes. The whole group, so the watchdog's own shell goes too.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
      return;
    }
    child.kill('SIGTERM');
    // The server takes a few seconds to stop on a busy machine; past this it is killed.
    const timer = setTimeout(() => {
      child.stdin?.destroy();
      child.kill('SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
  };
  for (;;) {
    // Checked before and after asking: an answer from a server that is not ours must not count.
    if (exitCode !== undefined) {
      const taken = output.find((line) => line.includes('address already in use'));
      throw new CliError(
        `the Temporal dev server exited (code ${exitCode}) before answering on ${address}${taken ? ` (a port was taken: ${taken.trim()})` : ''}; its last lines:\n${output.slice(-20).join('\n')}`,
      );
    }
    if ((await answers(address, namespace)) && exitCode === undefined) break;
    if (Date.now() > deadline) {
      await stop();
      throw new CliError(
        `the Temporal dev server did not answer on ${address} within ${Math.round((options.startTimeoutMs ?? 60_000) / 1000)} s; its last lines:\n${output.slice(-20).join('\n')}`,
      );
    }
    // A start takes about a second: asked often, every embedded command starts sooner.
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    address,
    namespace,
    uiUrl: options.uiPort !== undefined ? `http://127.0.0.1:${options.uiPort}` : null,
    pid: child.pid ?? -1,
    stop,
    exited,
  };
}

async function answers(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: '1s' });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
