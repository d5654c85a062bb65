import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ownEnv } from './cli.js';
import { programArgs } from './program.js';

const helper = fileURLToPath(new URL('./warehouse-process.ts', import.meta.url));

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
  const child = spawn(process.execPath, [...programArgs(helper, env), ...args], { stdio: 'pipe', env });
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
