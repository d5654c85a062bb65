/**
 * Runs test files (unit + integration) in parallel with node's test runner, with one real
 * Temporal dev server for the whole run. Integration tests find it in
 * CONTRAIL_TEST_TEMPORAL_ADDRESS; each integration file gets its own namespace on it
 * (test/helpers/temporal.ts) and its own task queues, so files never meet. The workflow code
 * is bundled once for every worker the tests start (CONTRAIL_WORKFLOW_BUNDLE). The slowest
 * files (by the last run's timings) start first. At the end the server is stopped, and the
 * run fails if any process a test started is still alive.
 *
 *   node --import tsx scripts/run-tests.ts [test files or directories…]
 *
 * CONTRAIL_TEST_CONCURRENCY sets how many files run at once (default: twice the cores, fewer on
 * a machine that is already busy); CONTRAIL_TEST_FILE_TIMEOUT_MS how long one file may take
 * (default 10 minutes; a file still running a minute later is killed).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer } from '../src/client/dev-server.js';
import { marked, processesWithEnv } from '../test/helpers/processes.js';
import { testNamespace } from '../test/helpers/temporal.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const timingsFile = join(root, 'node_modules', '.cache', 'contrail', 'test-durations.json');

function testFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) out.push(...testFiles([join(path, entry)]));
    } else if (path.endsWith('.test.ts')) {
      out.push(resolve(path));
    }
  }
  return out;
}

const isIntegration = (file: string) => file.includes('/test/integration/');

/** How long one test file may run (CONTRAIL_TEST_FILE_TIMEOUT_MS; default 10 minutes). */
const FILE_TIMEOUT_MS = Number(process.env.CONTRAIL_TEST_FILE_TIMEOUT_MS) || 600_000;

/** The pids whose parent is `parent` (Linux /proc). */
function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of stat is the parent pid; the command name (field 2) may hold spaces, so count from its end.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Slowest first by the last run's timings; without them, integration files, then larger files. */
function slowestFirst(files: string[]): string[] {
  let timings: Record<string, number> = {};
  try {
    timings = JSON.parse(readFileSync(timingsFile, 'utf8')) as Record<string, number>;
  } catch {
    // First run: no timings yet.
  }
  const weight = (file: string) => timings[file] ?? (isIntegration(file) ? 1e9 : 0) + statSync(file).size;
  return [...files].sort((a, b) => weight(b) - weight(a));
}

/**
 * Files at once: twice the cores, since integration files mostly wait on the server, but fewer
 * when the machine is already busy (its load average counts other work per core): past that,
 * running more only stretches every file until heartbeats and deadlines start to fail.
 */
function defaultConcurrency(): number {
  const cores = availableParallelism();
  const busy = Math.floor((loadavg()[0] ?? 0) / cores);
  return Math.max(2, Math.min(8, 2 * cores - busy));
}

/** The workflow bundle every test worker loads, built once instead of once per worker. */
async function bundleWorkflows(dir: string): Promise<string> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(root, 'src', 'workflows', 'index.ts'),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
  const file = join(dir, 'workflow-bundle.js');
  writeFileSync(file, code);
  return file;
}

const files = slowestFirst(
  testFiles(process.argv.length > 2 ? process.argv.slice(2) : ['test/unit', 'test/integration']),
);
const integration = files.filter(isIntegration);
const scratch = mkdtempSync(join(tmpdir(), 'contrail-test-run-'));
const [server, bundle] = await Promise.all([
  integration.length
    ? startDevServer({ startTimeoutMs: 120_000, extraNamespaces: integration.map(testNamespace) })
    : null,
  integration.length && !process.env.CONTRAIL_WORKFLOW_BUNDLE ? bundleWorkflows(scratch) : null,
]);
if (server) process.stderr.write(`test Temporal dev server on ${server.address} (pid ${server.pid})\n`);

// Every process the tests start inherits this marker: what still carries it at the end was left behind.
const marker = randomUUID();
const concurrency = Number(process.env.CONTRAIL_TEST_CONCURRENCY) || defaultConcurrency();
const durationsOut = join(scratch, 'durations.json');
const started = Date.now();
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'test-durations.mjs')}`,
    `--test-reporter-destination=${durationsOut}`,
    ...files,
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      CONTRAIL_TEST_RUN: marker,
      ...(server ? { CONTRAIL_TEST_TEMPORAL_ADDRESS: server.address } : {}),
      ...(bundle ? { CONTRAIL_WORKFLOW_BUNDLE: bundle } : {}),
    },
  },
);
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
// node's runner reports a file that outlives its timeout and asks it to stop (SIGTERM), then
// waits for it; a test process running a Temporal worker takes SIGTERM as "drain the worker"
// and may never end. Such a file is killed a minute after its timeout, so a run always ends
// (its failure is already reported; what it started is swept below).
const firstSeen = new Map<number, number>();
const watchdog = setInterval(() => {
  for (const pid of childrenOf(child.pid ?? -1)) {
    const seen = firstSeen.get(pid) ?? Date.now();
    firstSeen.set(pid, seen);
    if (Date.now() - seen > FILE_TIMEOUT_MS + 60_000) {
      process.stderr.write(`a test file (pid ${pid}) still runs a minute after its timeout: killed\n`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}, 5_000);
watchdog.unref();
const code: number = await new Promise((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
clearInterval(watchdog);
process.stderr.write(
  `${files.length} test files, ${concurrency} at once, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);

try {
  const latest = JSON.parse(readFileSync(durationsOut, 'utf8')) as Record<string, number>;
  let previous: Record<string, number> = {};
  try {
    previous = JSON.parse(readFileSync(timingsFile, 'utf8')) as Record<string, number>;
  } catch {
    // none yet
  }
  mkdirSync(dirname(timingsFile), { recursive: true });
  writeFileSync(timingsFile, JSON.stringify({ ...previous, ...latest }, null, 2));
} catch {
  // Timings only order the next run.
}

let leftovers = 0;
await server?.stop();
// A server stopped by its watchdog takes a moment to finish; anything alive after that was left behind.
const survivors = await marked(() => processesWithEnv('CONTRAIL_TEST_RUN', marker), 10_000);
for (const pid of survivors) {
  let command = '?';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 200);
  } catch {
    continue; // exited meanwhile
  }
  process.stderr.write(`left behind by a test: pid ${pid}: ${command}\n`);
  leftovers++;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
rmSync(scratch, { recursive: true, force: true });
process.exit(code !== 0 ? code : leftovers > 0 ? 1 : 0);
