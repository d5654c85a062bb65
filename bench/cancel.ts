/**
 * How soon a cancelled analysis stops on a cluster: a Temporal dev server, `contrail worker` as
 * an operator runs it (its own process, TEMPORAL_ADDRESS), and the demo experiment's week-1
 * analysis on the embedded warehouse's sample, cancelled as `contrail cancel` does it (a
 * cancellation request on the workflow) while one of its steps is under way:
 *   - statistics: `computeStatistics` bootstrapping (a million replicates, so it would compute
 *     for minutes), on the statistics threads;
 *   - query: `computeMetrics` running a DuckDB query (a metric on a data source crossed with a
 *     range, so it would run for minutes).
 * Each trial cancels just after the step's heartbeat reached the server (polled every 100 ms),
 * where the next heartbeat, whose answer carries the cancellation, is furthest away: the
 * figures are the worst case. Prints, per trial, the time from the request to the activity's
 * end (its ActivityTaskCanceled event) and to the workflow's close (WorkflowExecutionCanceled),
 * and for the first trial of each step how often its heartbeats reached the server (the
 * heartbeat RPCs the worker sends per minute for that activity), and the worker's CPU use in the
 * 2 s before the request and the 2 s after the close: the statistics threads and the DuckDB
 * query stopped when it falls to about nothing. Target: the activity stopped
 * and the workflow closed within 2 s of the request (its step heartbeats every 1-2 s, and the
 * worker lets one through each second).
 * The Temporal CLI is taken as installed (`npm run setup`). Run: node --import tsx bench/cancel.ts
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startDevServer } from '../src/client/dev-server.js';
import { DEMO_SLUG } from '../src/sample/population.js';
import { workflowIds } from '../src/workflows/ids.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin', 'contrail');
const quick = process.env.CONTRAIL_BENCH_QUICK === '1';
const TRIALS = quick ? 1 : 3;
/** How long the first trial of each step watches its heartbeats before cancelling it. */
const WATCH_MS = quick ? 15_000 : 40_000;
const POLL_MS = 100;
/** How long the worker's CPU use is measured before the cancellation and after the close. */
const CPU_MS = 2_000;
// Week 1 of the demo experiment completes on 2026-03-15 (enrollment 2026-03-02 … 03-08).
const WEEK_1 = '2026-03-15';
const home = mkdtempSync(join(tmpdir(), 'contrail-bench-cancel-'));
// Only what a person's shell would have: no Temporal address, no contrail settings.
const base = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^(TEMPORAL_ADDRESS|TEMPORAL_NAMESPACE|CONTRAIL_)/.test(key),
  ),
);
const env = { ...base, CONTRAIL_HOME: home };

const demoConfig = readFileSync(
  join(root, 'src', 'sample', 'metric-hub', 'jetstream', `${DEMO_SLUG}.toml`),
  'utf8',
);

interface Step {
  name: string;
  activity: string;
  /** What the step's heartbeat details say while it is at the point to cancel. */
  job: RegExp;
  config: string;
}

const STEPS: Step[] = [
  {
    name: 'statistics',
    activity: 'computeStatistics',
    job: /computing statistics/,
    config: demoConfig.replace(/num_samples = \d+/, 'num_samples = 1000000'),
  },
  {
    name: 'query',
    activity: 'computeMetrics',
    job: /"job":"[^"]*"/,
    // Every client-day 100,000 times: a scan that would run for minutes.
    config: `${demoConfig.replace(/^weekly = .*$/m, 'weekly = ["slow_uri_count"]')}
[data_sources.slow_clients_daily]
from_expression = "(SELECT d.* FROM mozdata.telemetry.clients_daily d CROSS JOIN range(100000) r)"
submission_date_column = "submission_date"
client_id_column = "client_id"

[metrics.slow_uri_count]
select_expression = "SUM(scalar_parent_browser_engagement_total_uri_count_sum)"
data_source = "slow_clients_daily"

[metrics.slow_uri_count.statistics.deciles]
`,
  },
];

function started(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): { child: ChildProcess; output: () => string } {
  const child = spawn(bin, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  return { child, output: () => output };
}

async function ran(args: string[]): Promise<void> {
  const { child, output } = started(args);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`contrail ${args.join(' ')} exited ${code}:\n${output()}`);
}

async function lineFrom(
  process: { child: ChildProcess; output: () => string },
  pattern: RegExp,
): Promise<void> {
  while (!pattern.test(process.output())) {
    if (process.child.exitCode !== null)
      throw new Error(`exited ${process.child.exitCode}:\n${process.output()}`);
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
const msOf = (t: Timestamp) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The step's pending activity as the server describes it, while it runs. */
async function pendingStep(
  handle: WorkflowHandle,
  step: Step,
): Promise<{ heartbeatAt: number; details: string } | null> {
  const { raw, status } = await handle.describe();
  if (status.name !== 'RUNNING')
    throw new Error(`${handle.workflowId} is ${status.name} before its ${step.name} step ran`);
  const pending = raw.pendingActivities?.find((a) => a.activityType?.name === step.activity);
  if (!pending?.lastHeartbeatTime) return null;
  const details = Buffer.from(pending.heartbeatDetails?.payloads?.[0]?.data ?? []).toString();
  return { heartbeatAt: msOf(pending.lastHeartbeatTime), details };
}

/**
 * Waits until the step is at its point (its heartbeat details say so) and a heartbeat has just
 * reached the server. With `watchMs`, first counts the heartbeats that reach the server for that
 * long: their times, for the rate.
 */
async function afterHeartbeat(handle: WorkflowHandle, step: Step, watchMs: number): Promise<number[]> {
  const beats: number[] = [];
  let watchedFrom: number | null = null;
  for (;;) {
    const now = await pendingStep(handle, step);
    if (now !== null && step.job.test(now.details)) {
      const fresh = beats.length > 0 && now.heartbeatAt > (beats.at(-1) ?? 0);
      if (beats.length === 0 || fresh) beats.push(now.heartbeatAt);
      watchedFrom ??= Date.now();
      if (fresh && Date.now() - watchedFrom >= watchMs) return beats;
    }
    await sleep(POLL_MS);
  }
}

const TICKS_PER_S = existsSync('/proc/self/stat')
  ? Number(execFileSync('getconf', ['CLK_TCK']).toString())
  : 0;

/** CPU time (user + system, every thread) the process has used, in ms; null where /proc is not. */
function cpuMs(pid: number | undefined): number | null {
  if (TICKS_PER_S === 0 || pid === undefined) return null;
  // Fields after the command (which is in parentheses and may hold spaces): utime is the 14th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_S) * 1000;
}

/** The share of one core the process used over the next `ms` (100% = one core busy). */
async function cpuShare(pid: number | undefined, ms: number): Promise<string> {
  const before = cpuMs(pid);
  await sleep(ms);
  const after = cpuMs(pid);
  return before === null || after === null ? 'unknown' : `${(((after - before) / ms) * 100).toFixed(0)}%`;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
process.stdout.write(
  `bench/cancel: load average ${load()} at start (figures are noisy when others run)${quick ? ', quick' : ''}\n`,
);

const running: ChildProcess[] = [];
const server = await startDevServer({ startTimeoutMs: 120_000 });
try {
  await ran(quick ? ['sample', '--clients', '2000'] : ['sample']);
  const worker = started(['worker'], { TEMPORAL_ADDRESS: server.address });
  running.push(worker.child);
  await lineFrom(worker, /contrail worker on /);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  try {
    for (const step of STEPS) {
      const activityMs: number[] = [];
      const closedMs: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const dataset = `bench_cancel_${step.name}_${trial}`;
        const handle = await client.workflow.start('analyzeExperiment', {
          taskQueue: 'contrail',
          workflowId: workflowIds.analysis(DEMO_SLUG, WEEK_1, dataset),
          args: [{ slug: DEMO_SLUG, date: WEEK_1, dataset, periods: ['week'], configOverride: step.config }],
        });
        try {
          await afterHeartbeat(handle, step, 0);
          const busy = await cpuShare(worker.child.pid, CPU_MS);
          const beats = await afterHeartbeat(handle, step, trial === 0 ? WATCH_MS : 0);
          const requested = Date.now();
          await handle.cancel();
          const closed = await handle.result().then(
            () => 'completed',
            (error: unknown) => (error instanceof Error ? error.message : String(error)),
          );
          const idle = await cpuShare(worker.child.pid, CPU_MS);
          const events = (await handle.fetchHistory()).events ?? [];
          const cancelled = events.find((e) => e.activityTaskCanceledEventAttributes);
          const close = events.find((e) => e.workflowExecutionCanceledEventAttributes);
          if (!cancelled || !close) throw new Error(`${handle.workflowId} did not end cancelled: ${closed}`);
          activityMs.push(msOf(cancelled.eventTime) - requested);
          closedMs.push(msOf(close.eventTime) - requested);
          if (beats.length > 2) {
            const span = (beats.at(-1) ?? 0) - (beats[0] ?? 0);
            const perMinute = ((beats.length - 1) / span) * 60_000;
            process.stdout.write(
              `${step.name} (${step.activity}): ${beats.length - 1} heartbeats reached the server in ${s(span)}: ${perMinute.toFixed(0)} heartbeat RPCs per minute for this activity\n`,
            );
          }
          process.stdout.write(
            `${step.name} trial ${trial + 1}: cancelled just after a heartbeat; the activity ended cancelled ${s(activityMs.at(-1) ?? 0)} and the workflow closed cancelled ${s(closedMs.at(-1) ?? 0)} after the request; the worker used ${busy} of a core before, ${idle} after\n`,
          );
        } finally {
          await handle.terminate('bench over').catch(() => undefined);
        }
      }
      const max = (xs: number[]) => Math.max(...xs);
      process.stdout.write(
        `${step.name}: cancel to activity stopped, worst of ${TRIALS}: ${s(max(activityMs))}; to workflow closed: ${s(max(closedMs))}\n`,
      );
    }
  } finally {
    await connection.close();
  }
} finally {
  for (const child of running.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGINT');
      await closed;
    }
  }
  await server.stop();
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(`load average ${load()} at the end\n`);
}
