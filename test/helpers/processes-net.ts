import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

export { freePort, retriedWhenPortTaken } from '../../src/client/ports.js';

export interface ServerProcess {
  pid: number;
  /** Output so far (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process (group) has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a server process in its own process group (so stopping it also stops anything it
 * started) and waits until `ready()` answers true, failing with its output if it exits first
 * or does not become ready within `timeoutMs`.
 */
export async function startServerProcess(
  command: string,
  args: string[],
  options: SpawnOptions & { ready: () => Promise<boolean>; timeoutMs: number; name: string },
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(command, args, {
    ...options,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned || child.pid === undefined) throw new Error(`${options.name}: cannot start ${command}`);
  const pid = child.pid;

  const stop = async (graceMs = 5000): Promise<void> => {
    if (hasExited) return;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-pid, s);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    signal('SIGKILL'); // anything left in the group
  };

  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`${options.name} exited before it was ready:\n${output}`);
    // A probe another program on the port holds without answering must not outlast the exit, and
    // an answer from that program must not count for this server.
    const ready = await Promise.race([options.ready().catch(() => false), exited.then(() => false)]);
    if (ready && !hasExited) return { pid, output: () => output, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${options.name} was not ready within ${options.timeoutMs} ms:\n${output}`);
}
