import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownEnv } from './cli.js';

const helper = fileURLToPath(new URL('./warehouse-process.ts', import.meta.url));

/**
 * How to start the helper: under the test runner, its module in the run's bundle of the sources
 * (CONTRAIL_TEST_BUNDLE), which starts in a fraction of the time and CPU that compiling the
 * sources through tsx's hooks takes; run otherwise, the TypeScript itself.
 */
function helperArgs(env: NodeJS.ProcessEnv): string[] {
  const bundle = env.CONTRAIL_TEST_BUNDLE;
  return bundle ? [join(bundle, 'test', 'helpers', 'warehouse-process.mjs')] : ['--import', 'tsx', helper];
}

/**
 * Another process on a warehouse file (test/helpers/warehouse-process.ts: `hold <file>` or
 * `write <file> <table>`); `ready` resolves with its first line once it has the file open
 * (or has written).
 */
export function warehouseProcess(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<string>;
} {
  // This process's own environment, not a command's that runMain set meanwhile (another test's marker).
  const env = ownEnv();
  const child = spawn(process.execPath, [...helperArgs(env), ...args], { stdio: 'pipe', env });
  let out = '';
  let err = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.once('exit', (code) => reject(new Error(`warehouse process exited ${code}: ${err}`)));
  });
  return { child, ready };
}

export function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
