import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliEntry = fileURLToPath(new URL('../../src/client/cli.ts', import.meta.url));
/** What bin/contrail runs in a checkout: the sources, bundled (and cached) by bin/launch.mjs. */
export const cliLauncher = fileURLToPath(new URL('../../bin/launch.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stderr matches `pattern` (rejects if the process ends or the time is up first). */
  waitForStderr: (pattern: RegExp, withinMs?: number) => Promise<void>;
  done: Promise<CliResult>;
}

/**
 * Starts a program in a child process with exactly `env`, its output captured, killed after
 * `timeoutMs` (default 3 minutes).
 */
export function spawnProgram(
  command: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    timeoutMs?: number;
    cwd?: string;
    name?: string;
    /** In a process group of its own, as a terminal runs a command (signal the group with `-pid`). */
    detached?: boolean;
  },
): RunningCli {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd ?? repoRoot,
    detached: options.detached ?? false,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
  const done = new Promise<CliResult>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }),
  );
  const name = options.name ?? command;
  const waitForStderr = async (pattern: RegExp, withinMs = 90_000) => {
    const deadline = Date.now() + withinMs;
    while (!pattern.test(stderr)) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${name} ended before printing ${pattern}:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`${name} did not print ${pattern}:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, stdout: () => stdout, stderr: () => stderr, waitForStderr, done };
}

/**
 * The values runMain replaced in process.env while its command runs (undefined: unset before).
 * A CLI another test starts meanwhile gets this process's own environment, not that command's.
 */
let replacedByRunMain: readonly (readonly [string, string | undefined])[] = [];

/** This process's environment as it is outside runMain's commands. */
export function ownEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [key, value] of replacedByRunMain) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts the real `contrail` CLI in a child process, the way a person would. */
export function spawnCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; detached?: boolean } = {},
): RunningCli {
  return spawnProgram(process.execPath, [cliLauncher, ...args], {
    ...options,
    env: { ...ownEnv(), ...options.env },
    name: `contrail ${args[0]}`,
  });
}

/** Runs the real `contrail` CLI to its end. */
export async function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  return await spawnCli(args, options).done;
}

/**
 * Runs the real `contrail` CLI to its end and lists the files of every module it loaded: ES
 * modules as node's loader loads them, CommonJS ones as `require` cached them when it exited.
 */
export async function runCliListingModules(
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult & { modules: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-modules-'));
  const list = join(dir, 'modules.txt');
  // The loader's hooks run on their own thread: they append to the list as each module loads.
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(list)}, url + '\\n');
  return next(url, context);
}`;
  const setup = `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});
process.on('exit', () => {
  const cached = Object.keys(createRequire(${JSON.stringify(list)}).cache);
  appendFileSync(${JSON.stringify(list)}, cached.map((f) => f + '\\n').join(''));
});`;
  try {
    const result = await spawnProgram(
      process.execPath,
      ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(setup)}`, cliEntry, ...args],
      { env: { ...ownEnv(), ...options.env }, name: `contrail ${args[0]}` },
    ).done;
    const modules = readFileSync(list, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (line.startsWith('file://') ? fileURLToPath(line) : line));
    return { ...result, modules: [...new Set(modules)] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The end of the last runMain call asked for: the next one starts after it. */
let lastRunMain: Promise<unknown> = Promise.resolve();

/**
 * Runs the CLI's `main` in this process with `env` set for the call and its stdout/stderr
 * text captured: the same code path as the binary without the seconds a new node process
 * costs. Calls share process.env and the streams, so one asked for while another runs (by a
 * test running at the same time) waits for it to end.
 */
export function runMain(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const call = lastRunMain.then(() => runMainNow(args, env));
  lastRunMain = call.catch(() => undefined);
  return call;
}

async function runMainNow(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const { main } = await import('../../src/client/cli.js');
  const started = Date.now();
  const saved = Object.keys(env).map((key) => [key, process.env[key]] as const);
  const assign = (pairs: readonly (readonly [string, string | undefined])[]) => {
    for (const [key, value] of pairs) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  assign(Object.entries(env));
  replacedByRunMain = saved;
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  // Only strings are the CLI's: node's test runner reports to its parent through this
  // process's stdout in binary frames, which must pass untouched.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (out as (...a: unknown[]) => boolean)(chunk, ...rest);
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  // A command's exit code is what it sets: node's test runner sets process.exitCode to 1 when a
  // test of this file fails, which must not read as the next command's code (nor be lost).
  const runnerExitCode = process.exitCode;
  process.exitCode = undefined;
  let code: number;
  try {
    code = await main(args);
  } catch (error) {
    stderr += `contrail: ${error instanceof Error ? error.message : String(error)}\n`;
    code = 1;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    assign(saved);
    replacedByRunMain = [];
    process.exitCode = runnerExitCode;
  }
  return { code, stdout, stderr, ms: Date.now() - started };
}
