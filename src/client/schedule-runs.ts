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

/** One recent run: when the schedule started it, its id and how it stands. */
export function recentLine(takenAt: Date, workflowId: string, outcome: RecentOutcome): string {
  const at = `    ${takenAt.toISOString()} ${workflowId}: `;
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

/**
 * How a run the schedule started stands: a completed daily run by what its result counts (an
 * experiment's failure does not fail the run, so "completed" alone would hide it).
 */
export async function recentOutcome(
  client: Client,
  workflowId: string,
  firstExecutionRunId: string,
): Promise<RecentOutcome> {
  const handle = client.workflow.getHandle(workflowId, undefined, { firstExecutionRunId });
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

/** The ids of a schedule's runs: those running and those it started recently. */
export interface ScheduleRuns {
  running: string[];
  recent: string[];
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
 * What a trigger did, from the schedule's runs before and after it: the run it started and the
 * date that run analyses (the day before the trigger, as for a scheduled run), and, when the
 * schedule is paused, that this one run starts all the same while its daily runs stay paused.
 * The schedule skips a run while one of its own runs (overlap SKIP), so a trigger then starts
 * nothing: said as such, with the run to follow, rather than "a run starts now".
 */
export function triggerOutcome(
  before: ScheduleRuns,
  after: ScheduleRuns | null,
  schedule: TriggeredSchedule,
  triggeredAt: Date,
): string {
  const running = before.running[0];
  if (running !== undefined) {
    throw new CliError(
      `${DAILY_SCHEDULE_ID} not triggered: its run ${running} is still running and the schedule starts no second one; follow it with \`${contrailCommand()} status ${running}\``,
    );
  }
  const known = new Set([...before.running, ...before.recent]);
  const started = after && [...after.running, ...after.recent].find((id) => !known.has(id));
  const date = schedule.date ?? scheduledRunDate((started ? scheduledStartOf(started) : null) ?? triggeredAt);
  const paused = schedule.paused
    ? `; the schedule stays paused: this run starts all the same, its daily runs do not until \`${contrailCommand()} schedule unpause\``
    : '';
  return started
    ? `triggered ${DAILY_SCHEDULE_ID}: started ${started}, which analyses ${date}${paused}; follow it with \`${contrailCommand()} status ${started}\``
    : `triggered ${DAILY_SCHEDULE_ID}: a dailyAnalysis run of ${date} starts now${paused}; \`${contrailCommand()} status\` lists it`;
}
