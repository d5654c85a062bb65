/**
 * Runs test files (unit + integration), several at once, each in its own node process with
 * node's test runner, and one real Temporal dev server for the whole run. Integration tests
 * find it in CONTRAIL_TEST_TEMPORAL_ADDRESS; each integration file gets its own namespace on it
 * (test/helpers/temporal.ts) and its own task queues, so files never meet. The workflow code
 * is bundled once for every worker the tests start (CONTRAIL_WORKFLOW_BUNDLE). Unit files that
 * take a second or two share a process, a few dozen at a time (scripts/test-batch.ts): starting
 * node and loading the modules is most of such a file's cost.
 *
 * The files are scheduled here rather than by `node --test`, which sorts them by name: the
 * slowest (by the last run's timings, else the committed test/durations.json) start first, so
 * no long file starts last and decides the run's wall time. Each process's report is printed
 * whole when it ends. At the end the server is stopped, and the run fails if any process a
 * test started is still alive.
 *
 *   node --import tsx scripts/run-tests.ts [test files or directories…]
 *
 * CONTRAIL_TEST_CONCURRENCY sets how many files run at once (default: twice the cores, fewer on
 * a machine other work keeps busy; test/helpers/machine-load.ts); CONTRAIL_TEST_FILE_TIMEOUT_MS
 * how long one file may take (default 10 minutes, then it is killed); CONTRAIL_TEST_LINGER_MS how
 * long a process may keep running once its tests have ended (default 60 s; test-linger.mjs).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedBundle } from '../bin/bundle-sources.mjs';
import { startDevServer } from '../src/client/dev-server.js';
import { writePackagedBundle } from '../src/workflow-source.js';
import { failureDetails } from '../test/helpers/failure-details.js';
import { concurrencyFor, cpuSnapshot, othersBusyCores, ownSession } from '../test/helpers/machine-load.js';
import { marked, processesWithEnv } from '../test/helpers/processes.js';
import { bundledModule } from '../test/helpers/program.js';
import { testNamespace } from '../test/helpers/temporal.js';
import { LINGERED_EXIT } from './test-linger.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const timingsFile = join(root, 'node_modules', '.cache', 'contrail', 'test-durations.json');
// The timings of a run on the 2-core machine, committed: a fresh clone (CI) schedules and
// batches by them until it has timings of its own. Files they lack run alone.
const priorTimingsFile = join(root, 'test', 'durations.json');
const batchEntry = join(root, 'scripts', 'test-batch.ts');
/** Programs tests start in processes of their own, run from the bundle too (test/helpers/program.ts). */
const bundledHelpers = [
  join(root, 'test', 'helpers', 'warehouse-process.ts'),
  join(root, 'test', 'fixtures', 'bigquery', 'run-job.ts'),
];
/** Unit files that took less than this run several to a process (scripts/test-batch.ts). */
const SMALL_MS = 2500;
/** At most this many files to one process, so the small files still spread over the lanes. */
const BATCH_FILES = 24;
const reporter = join(root, 'scripts', 'test-report.mjs');
const lingerWatch = join(root, 'scripts', 'test-linger.mjs');

/** How long one test file may run (CONTRAIL_TEST_FILE_TIMEOUT_MS; default 10 minutes). */
const FILE_TIMEOUT_MS = Number(process.env.CONTRAIL_TEST_FILE_TIMEOUT_MS) || 600_000;

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

function readJson<T>(path: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/** The files one test process runs: one file, or a batch of small unit files. */
interface Job {
  files: string[];
  batch: boolean;
  weight: number;
}

/**
 * The processes to run, slowest first by the last run's timings (else the committed ones;
 * without either, integration files, then larger files), so no long file starts last and
 * decides the run's wall time. Unit files known to be small go several to a process.
 */
function jobsOf(files: string[]): Job[] {
  const timings = {
    ...readJson<Record<string, number>>(priorTimingsFile, {}),
    ...readJson<Record<string, number>>(timingsFile, {}),
  };
  const known = (file: string) => timings[relative(root, file)];
  const weight = (file: string) => known(file) ?? (isIntegration(file) ? 1e9 : 0) + statSync(file).size;
  const candidates = files.filter(
    (f) => !isIntegration(f) && (known(f) ?? Number.POSITIVE_INFINITY) < SMALL_MS,
  );
  // A batch of one would only name the file less clearly.
  const small = candidates.length > 1 ? candidates : [];
  const jobs: Job[] = files
    .filter((f) => !small.includes(f))
    .map((f) => ({ files: [f], batch: false, weight: weight(f) }));
  const batches = Math.ceil(small.length / BATCH_FILES);
  for (let b = 0; b < batches; b++) {
    // Every batches-th file, so the batches take about as long as each other.
    const group = small.filter((_, i) => i % batches === b);
    jobs.push({ files: group, batch: true, weight: group.reduce((sum, f) => sum + weight(f), 0) });
  }
  return jobs.sort((a, b) => b.weight - a.weight);
}

/** Files at once, from how busy others keep the machine over the moment the run starts. */
async function defaultConcurrency(): Promise<number> {
  const cores = availableParallelism();
  try {
    const session = ownSession();
    const before = cpuSnapshot(session);
    await new Promise((r) => setTimeout(r, 1000));
    return concurrencyFor(cores, othersBusyCores(before, cpuSnapshot(session), cores));
  } catch {
    // No /proc (not Linux): the load average per core, which counts this job's own work too.
    return concurrencyFor(cores, Math.floor((loadavg()[0] ?? 0) / cores) / 2);
  }
}

/**
 * The workflow bundle every test worker loads, built once instead of once per worker: the one a
 * package ships, kept while the sources are unchanged (a rerun and the packing test reuse it).
 */
async function bundleWorkflows(): Promise<string> {
  return (await writePackagedBundle()).file;
}

/** What scripts/test-report.mjs writes for one file. */
interface Counts {
  tests: number;
  suites: number;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  todo: number;
  duration_ms: number;
  /** A batch's files: each one's time and outcome. */
  files?: Record<string, { ms: number; passed: boolean }>;
}

interface FileResult {
  job: Job;
  code: number | null;
  timedOut: boolean;
  counts: Counts | null;
  ms: number;
  report: string;
  output: string;
}

/** One job in its own process: node's test runner in that process, reporting to files. */
async function runJob(
  job: Job,
  index: number,
  scratch: string,
  env: NodeJS.ProcessEnv,
  bundled: (file: string) => string,
) {
  const specFile = join(scratch, `${index}.spec.txt`);
  const countsFile = join(scratch, `${index}.json`);
  const started = Date.now();
  // The reports go to files, not stdout: tests that capture the CLI's stdout must see only it.
  const child = spawn(
    process.execPath,
    [
      // Stack traces and failed tests' places name the sources, not the bundle.
      '--enable-source-maps',
      `--import=${pathToFileURL(lingerWatch).href}`,
      `--test-timeout=${FILE_TIMEOUT_MS}`,
      '--test-reporter=spec',
      `--test-reporter-destination=${specFile}`,
      `--test-reporter=${reporter}`,
      `--test-reporter-destination=${countsFile}`,
      ...(job.batch
        ? [bundled(batchEntry), ...job.files.map((f) => `${relative(root, f)}=${bundled(f)}`)]
        : job.files.map(bundled)),
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let timedOut = false;
  // A process draining a Temporal worker takes SIGTERM as "finish your work": only SIGKILL is sure.
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, FILE_TIMEOUT_MS + 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  const result: FileResult = {
    job,
    code,
    timedOut,
    counts: readJson<Counts | null>(countsFile, null),
    ms: Date.now() - started,
    report: existsSync(specFile) ? readFileSync(specFile, 'utf8') : '',
    output,
  };
  return result;
}

function printResult(r: FileResult): void {
  const ok = r.code === 0 && !r.timedOut;
  const tests = r.counts
    ? `, ${r.counts.tests} tests${r.counts.fail ? `, ${r.counts.fail} failed` : ''}`
    : '';
  const what = r.job.batch
    ? `${r.job.files.length} small unit files in one process`
    : relative(root, r.job.files[0] as string);
  const head = `${ok ? '✔' : '✖'} ${what} (${(r.ms / 1000).toFixed(1)} s${tests})`;
  // The file's own totals (ℹ lines) are in the head line and the run's summary.
  const report = r.report
    .split('\n')
    .filter((line) => !/^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(line))
    .join('\n')
    .trimEnd();
  process.stdout.write(`\n── ${head}\n${report}\n`);
  if (!ok) {
    if (r.timedOut)
      process.stdout.write(`still running 30 s after its ${FILE_TIMEOUT_MS / 1000} s timeout: killed\n`);
    else if (r.code === LINGERED_EXIT)
      process.stdout.write('its tests ended, but something they started kept the process running (below)\n');
    else if (r.counts === null) process.stdout.write(`the process did not run its tests (exit ${r.code})\n`);
    if (r.output.trim()) process.stdout.write(`its output:\n${r.output.trimEnd()}\n`);
  }
}

/**
 * Where the run's temporary files go: memory-backed /dev/shm when it has room, else the system's
 * temporary directory. Tests make and delete many thousands of files (warehouse files, data
 * directories, a packed install's 24,000 files); on the test machine's disk the kernel's work of
 * allocating them (inodes just freed are checked against the disk again) cost more CPU than
 * npm's own unpacking, and on tmpfs next to nothing.
 */
function scratchParent(): string {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
    const { bavail, bsize } = statfsSync(shm);
    if (bavail * bsize > 4 * 1024 ** 3) return shm;
  } catch {
    // No /dev/shm here, or not ours to write.
  }
  return tmpdir();
}

const started = Date.now();
const files = testFiles(process.argv.length > 2 ? process.argv.slice(2) : ['test/unit', 'test/integration']);
const jobs = jobsOf(files);
const integration = files.filter(isIntegration);
const scratch = mkdtempSync(join(scratchParent(), 'contrail-test-run-'));
// Every temporary file a test or a program it starts makes goes under the run's own directory
// (os.tmpdir() follows TMPDIR), which is deleted at the end: tests need not each clean up after
// themselves for a run to leave nothing in /tmp.
const testTmp = join(scratch, 'tmp');
mkdirSync(testTmp);
// The test files and what they import run from one bundle of the sources (bin/bundle-sources.mjs),
// not through tsx's hooks: about two CPU-seconds less for each test process.
const testBundle = cachedBundle({
  root,
  name: 'tests',
  dirs: ['src', 'test'],
  files: ['package.json', 'tsconfig.json', 'scripts/test-batch.ts'],
  // Every test file, whichever run: one bundle serves them all.
  entryPoints: [
    ...testFiles([join(root, 'test', 'unit'), join(root, 'test', 'integration')]),
    batchEntry,
    ...bundledHelpers,
  ],
});
const [server, bundle, bundleDir, measuredConcurrency] = await Promise.all([
  integration.length
    ? startDevServer({ startTimeoutMs: 120_000, extraNamespaces: integration.map(testNamespace) })
    : null,
  integration.length && !process.env.CONTRAIL_WORKFLOW_BUNDLE ? bundleWorkflows() : null,
  testBundle,
  // Measured while the run starts (its own work there is left out of the measure); a second
  // spent on it only when there is a choice to make.
  process.env.CONTRAIL_TEST_CONCURRENCY || jobs.length < 2 ? null : defaultConcurrency(),
]);
const bundled = (file: string) => bundledModule(bundleDir, file);
if (server) process.stderr.write(`test Temporal dev server on ${server.address} (pid ${server.pid})\n`);

// Every process the tests start inherits this marker: what still carries it at the end was left behind.
const marker = randomUUID();
// Nor do tests use the data directory of whoever runs them (CONTRAIL_HOME, ~/.local/share/contrail):
// one that needs its own sets CONTRAIL_HOME; the others share the run's, deleted with it. Builds
// cached there by another checkout are not this one's.
const { CONTRAIL_HOME: _theirs, ...inherited } = process.env;
const env: NodeJS.ProcessEnv = {
  ...inherited,
  CONTRAIL_TEST_RUN: marker,
  CONTRAIL_TEST_LINGER_MS: process.env.CONTRAIL_TEST_LINGER_MS || '60000',
  TMPDIR: testTmp,
  XDG_DATA_HOME: join(scratch, 'data'),
  ...(server ? { CONTRAIL_TEST_TEMPORAL_ADDRESS: server.address } : {}),
  ...(bundle ? { CONTRAIL_WORKFLOW_BUNDLE: bundle } : {}),
  CONTRAIL_TEST_BUNDLE: bundleDir,
};
const concurrency = Number(process.env.CONTRAIL_TEST_CONCURRENCY) || (measuredConcurrency ?? 2);
process.stderr.write(
  `${files.length} test files in ${jobs.length} processes, ${concurrency} at once, slowest first\n`,
);

let interrupted = false;
const stopAll = () => {
  interrupted = true;
  for (const pid of processesWithEnv('CONTRAIL_TEST_RUN', marker)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

const results: FileResult[] = [];
let next = 0;
const lane = async () => {
  while (next < jobs.length && !interrupted) {
    const index = next++;
    const result = await runJob(jobs[index] as Job, index, scratch, env, bundled);
    printResult(result);
    results.push(result);
  }
};
await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));

// What ran this time, for the next run's order and batches (paths relative to the checkout).
const timings = readJson<Record<string, number>>(timingsFile, {});
for (const r of results) {
  if (r.timedOut) continue;
  for (const file of r.job.files) {
    const name = relative(root, file);
    const ms = r.job.batch ? r.counts?.files?.[name]?.ms : r.ms;
    if (ms !== undefined) timings[name] = Math.round(ms);
  }
}
mkdirSync(dirname(timingsFile), { recursive: true });
writeFileSync(timingsFile, `${JSON.stringify(timings, null, 2)}\n`);

await server?.stop();
// A server stopped by its watchdog takes a moment to finish; anything alive after that was left behind.
const survivors = await marked(() => processesWithEnv('CONTRAIL_TEST_RUN', marker), 10_000);
let leftovers = 0;
for (const pid of survivors) {
  let command: string;
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

type Total = Exclude<keyof Counts, 'files'>;
const sum = (key: Total) => results.reduce((n, r) => n + (r.counts?.[key] ?? 0), 0);
const failedJobs = results.filter((r) => r.code !== 0 || r.timedOut);
/** The files of a failed process that failed: in a batch, those whose suite failed (all, if it crashed). */
const failedOf = (r: FileResult) =>
  r.job.batch && r.counts?.files
    ? r.job.files.filter((f) => !r.counts?.files?.[relative(root, f)]?.passed)
    : r.job.files;
const failedFiles = failedJobs.flatMap(failedOf);
const ranFiles = results.reduce((n, r) => n + r.job.files.length, 0);
const missing = files.length - ranFiles;
// The run's totals in node's own summary format, which tools that read `node --test` output expect;
// a process that crashed or timed out counts as one failure.
const crashed = failedJobs.filter((r) => !r.counts?.fail).length + missing;
process.stdout.write(
  `\n${(['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const)
    .map((key) => `ℹ ${key} ${sum(key) + (key === 'fail' || key === 'tests' ? crashed : 0)}`)
    .join('\n')}\nℹ duration_ms ${Date.now() - started}\n`,
);
process.stdout.write(
  `\n${failedJobs.length === 0 && missing === 0 && leftovers === 0 ? '✔' : '✖'} ${ranFiles} test files: ` +
    `${sum('tests')} tests, ${sum('pass')} passed, ${sum('fail')} failed, ${sum('cancelled')} cancelled, ` +
    `${sum('skipped')} skipped, ${sum('todo')} todo; ${results.length} processes, ${concurrency} at once, ` +
    `${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);
for (const file of failedFiles) process.stdout.write(`  failed: ${relative(root, file)}\n`);
// Again at the very end, where a log cut to its tail still shows it: which tests failed, and how.
for (const r of failedJobs)
  process.stdout.write(
    failureDetails({
      what: failedOf(r)
        .map((f) => relative(root, f))
        .join(', '),
      report: r.report,
      output: r.output,
      exit: r.timedOut ? 'timed out' : `exit ${r.code}`,
    }),
  );
if (missing > 0) process.stdout.write(`  not run (interrupted): ${missing} files\n`);
if (leftovers > 0) process.stdout.write(`  ${leftovers} processes left behind (listed above)\n`);
process.exit(failedJobs.length === 0 && missing === 0 && leftovers === 0 ? 0 : 1);
