/**
 * Runs every test file (unit + integration) in one node test-runner invocation, with one real
 * Temporal dev server for the whole run. Integration tests find it in
 * CONTRAIL_TEST_TEMPORAL_ADDRESS. The server is stopped at the end, and the run fails if any
 * server or test process outlives it.
 *
 *   node --import tsx scripts/run-tests.ts [test files or directories…]
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer } from '../src/client/dev-server.js';

function testFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) out.push(...testFiles([join(path, entry)]));
    } else if (path.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const files = testFiles(process.argv.length > 2 ? process.argv.slice(2) : ['test/unit', 'test/integration']);
const needsServer = files.some((f) => f.includes('integration'));
const server = needsServer ? await startDevServer({ startTimeoutMs: 120_000 }) : null;
if (server) process.stderr.write(`test Temporal dev server on ${server.address} (pid ${server.pid})\n`);

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, ...(server ? { CONTRAIL_TEST_TEMPORAL_ADDRESS: server.address } : {}) },
  },
);
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
const code: number = await new Promise((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));

let leftovers = 0;
if (server) {
  await server.stop();
  if (alive(server.pid)) {
    process.stderr.write(`test Temporal dev server (pid ${server.pid}) is still running\n`);
    leftovers++;
  }
}
process.exit(code !== 0 ? code : leftovers > 0 ? 1 : 0);
