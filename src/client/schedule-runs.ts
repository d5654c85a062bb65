import type { Client } from '@temporalio/client';
import { contrailCommand } from '../command-name.js';
import { scheduledRunDate } from '../dates.js';
import { describeFailure } from '../temporal/failures.js';
import type { DailyAnalysisResult } from '../workflows/daily.js';
import { DAILY_SCHEDULE_ID } from '../workflows/ids.js';
import { CliError } from './errors.js';
import { describeDaily } from './outcomes.js';

/** How one of the schedule's recent runs stands, as `schedule describe` lists it. */
export type RecentOutcome =
  | { status: 'running' }
  /** `summary`: the first line of the run's report (`daily analysis <date>: … analysed, … failed`). */
  | { status: 'completed'; summary: string; failed: number }
  /** Failed, cancelled, terminated or timed out: the run's own end, and why when it says. */
  | { status: 'ended'; how: string; message: string | null };

/** One recent run: when the schedule started it, its id (and run id, when given) and how it stands. */
export function recentLine(
  takenAt: Date,
  workflowId: string,
  outcome: RecentOutcome,
  runId?: string,
): string {
  const at = `    ${takenAt.toISOString()} ${workflowId}${runId === undefined ? '' : ` (run ${runId})`}: `;
  switch (outcome.status) {
    case 'running':
      return `${at}running`;
    case 'completed': {
      const failed =
        outcome.failed > 0 ? ` (\`${contrailCommand()} status ${workflowId}\` names them and why)` : '';
      return `${at}${outcome.summary}${failed}`;
    }
    case 'ended':
      return `${at}${outcome.how}${outcome.message ? `: ${outcome.message}` : ''}`;
  }
}

/** One of the schedule's recent runs as `describe` lists it: which run, when it was taken, how it stands. */
export interface RecentRun extends ScheduleRun {
  takenAt: Date;
  outcome: RecentOutcome;
}

/**
 * The recent runs' lines. A run triggered elsewhere (the Temporal CLI, the Web UI) in the same
 * second as another run of the schedule has that run's workflow id: both lines then name their
 * run id too, or they would read as one run listed twice. Other lines name the workflow id only.
 */
export function recentLines(runs: readonly RecentRun[]): string[] {
  const seen = new Map<string, number>();
  for (const r of runs) seen.set(r.workflowId, (seen.get(r.workflowId) ?? 0) + 1);
  return runs.map((r) =>
    recentLine(r.takenAt, r.workflowId, r.outcome, (seen.get(r.workflowId) ?? 0) > 1 ? r.runId : undefined),
  );
}

/**
 * How a run the schedule started stands: a completed daily run by what its result counts (an
 * experiment's failure does not fail the run, so "completed" alone would hide it).
 */
export async function recentOutcome(
  client: Client,
  workflowId: string,
  firstExecutionRunId: string,
): Promise<RecentOutcome> {
  // This run's own status and result: two runs the schedule started in one second share their
  // workflow id, and the id alone reaches only the later one.
  const handle = client.workflow.getHandle(workflowId, firstExecutionRunId, { firstExecutionRunId });
  const status = (await handle.describe()).status.name;
  if (status === 'RUNNING') return { status: 'running' };
  if (status === 'COMPLETED') {
    const result = (await handle.result()) as DailyAnalysisResult;
    const summary = describeDaily(result).report.split('\n')[0] ?? '';
    return { status: 'completed', summary, failed: result.failed.length };
  }
  const message =
    status === 'FAILED'
      ? await handle.result().then(
          () => null,
          (error: unknown) => {
            const { errorType, message } = describeFailure(error);
            return `${errorType}: ${message}`;
          },
        )
      : null;
  return { status: 'ended', how: status.toLowerCase().replace(/_/g, ' '), message };
}

/**
 * One run the schedule started: its workflow id, and the run id that tells it from another run
 * of the same workflow id (Temporal names a schedule's runs by the second they were scheduled
 * for, so two started in one second share it).
 */
export interface ScheduleRun {
  workflowId: string;
  runId: string;
}

/** A schedule's runs: those running and those it started recently, with when each was scheduled for. */
export interface ScheduleRuns {
  running: ScheduleRun[];
  recent: (ScheduleRun & { scheduledAt: Date })[];
}

/** What a trigger reports of the schedule beside its runs: whether it is paused, the date its action names. */
export interface TriggeredSchedule {
  paused: boolean;
  /** The date the schedule's dailyAnalysis input names; null (contrail's schedule): the day before each run's start. */
  date: string | null;
}

/**
 * When the schedule's run of this id was scheduled to start: Temporal names a schedule's runs
 * `<action's workflow id>-<scheduled start, to the second>`; a triggered run is scheduled for the
 * time of its trigger. Null for an id of another shape.
 */
export function scheduledStartOf(workflowId: string): Date | null {
  const match = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/.exec(workflowId);
  if (!match) return null;
  const at = new Date(match[1] as string);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * How much later than the server's clock a client's may be, for the wait of `triggerDelayMs`:
 * a trigger is taken at the server's time, the wait counted on the client's.
 */
export const TRIGGER_CLOCK_MARGIN_MS = 100;

/**
 * How long a trigger waits before it asks, so that the run it starts gets an id of its own. A
 * trigger in the same second as another run of the schedule (one triggered a moment before, a
 * scheduled run that ended at once, or the scheduled run about to start, which would wait
 * behind it and then start under its id) would start a run under that run's id: `contrail
 * status` and `cancel` would reach only the later of the two, and nothing could name the
 * earlier. `taken`: when those runs were scheduled for. The wait ends past that second, by the
 * margin for the clocks, so at most a little over a second; a client whose clock is further
 * from the server's may still meet a run's second, and the trigger then says the id is shared.
 */
export function triggerDelayMs(taken: readonly Date[], now: Date): number {
  const at = now.getTime();
  let until = at;
  for (const time of taken) {
    const second = Math.floor(time.getTime() / 1000) * 1000;
    const end = second + 1000 + TRIGGER_CLOCK_MARGIN_MS;
    if (second - TRIGGER_CLOCK_MARGIN_MS <= at && at < end) until = Math.max(until, end);
  }
  return until - at;
}

/**
 * What a trigger did, from the schedule's runs before and after it: the run it started and the
 * date that run analyses (the day before the trigger, as for a scheduled run), and, when the
 * schedule is paused, that this one run starts all the same while its daily runs stay paused.
 * The schedule skips a run while one of its own runs (overlap SKIP), so a trigger then starts
 * nothing: said as such, with the run to follow, rather than "a run starts now". The run it
 * started is the one whose run id the schedule did not list before (its workflow id may be an
 * earlier run's, said so when it is).
 */
export function triggerOutcome(
  before: ScheduleRuns,
  after: ScheduleRuns | null,
  schedule: TriggeredSchedule,
  triggeredAt: Date,
): string {
  const running = before.running[0];
  if (running !== undefined) {
    const id = running.workflowId;
    throw new CliError(
      `${DAILY_SCHEDULE_ID} not triggered: its run ${id} is still running and the schedule starts no second one; follow it with \`${contrailCommand()} status ${id}\``,
    );
  }
  const known = new Set([...before.running, ...before.recent].map((r) => r.runId));
  const started = after && [...after.running, ...after.recent].find((r) => !known.has(r.runId));
  const date =
    schedule.date ?? scheduledRunDate((started ? scheduledStartOf(started.workflowId) : null) ?? triggeredAt);
  const paused = schedule.paused
    ? `; the schedule stays paused: this run starts all the same, its daily runs do not until \`${contrailCommand()} schedule unpause\``
    : '';
  if (!started)
    return `triggered ${DAILY_SCHEDULE_ID}: a dailyAnalysis run of ${date} starts now${paused}; \`${contrailCommand()} status\` lists it`;
  const id = started.workflowId;
  const shared = before.recent.some((r) => r.workflowId === id)
    ? ` (run ${started.runId}: the schedule's run before it, started in the same second, has the same id; \`${contrailCommand()} status ${id}\` shows this one)`
    : '';
  return `triggered ${DAILY_SCHEDULE_ID}: started ${id}${shared}, which analyses ${date}${paused}; follow it with \`${contrailCommand()} status ${id}\``;
}
