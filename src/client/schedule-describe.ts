// What `contrail schedule describe` says about the daily schedule, and what a second `create`
// changed: the schedule's settings and its runs, in an operator's words.
import type { Client } from '@temporalio/client';
import { contrailCommand } from '../command-name.js';
import { DAY_MS } from '../dates.js';
import { plural } from '../plural.js';
import { DAILY_SCHEDULE_ID } from '../workflows/ids.js';
import { type RecentRun, recentLines, recentOutcome } from './schedule-runs.js';

/** What the daily schedule does, as `describe` shows it and a second `create` compares it. */
export interface DailyRunSettings {
  runs: string;
  taskQueue: string;
  dataset: string;
  concurrency: string;
  /** What happens to a run due while the previous one runs. */
  overlap: string;
  /** How long after its time a run the server missed while down is still started (`7 days`). */
  catchup: string;
}

/** The settings of a schedule's calendars, action and policies (fields another tool set are shown as they are). */
export function dailyRunSettings(
  calendars: readonly { hour?: unknown; minute?: unknown }[],
  action: { taskQueue?: unknown; args?: unknown },
  policies: { overlap?: unknown; catchupWindow?: unknown },
): DailyRunSettings {
  const input = (Array.isArray(action.args) ? action.args[0] : undefined) as
    | { dataset?: unknown; concurrency?: unknown }
    | undefined;
  return {
    runs: calendars.map(describeCalendar).join('; ') || '(no calendar)',
    taskQueue: String(action.taskQueue ?? '(none)'),
    dataset: String(input?.dataset ?? '(default)'),
    concurrency: String(input?.concurrency ?? '(default)'),
    overlap: describeOverlap(policies.overlap),
    catchup: describeCatchupWindow(policies.catchupWindow),
  };
}

/**
 * A catch-up window (milliseconds, as the server describes it and `dailyPolicies` sets it) in
 * days, or in hours or seconds when another tool set it so.
 */
export function describeCatchupWindow(ms: unknown): string {
  if (typeof ms !== 'number' || !(ms > 0)) return "(the server's default)";
  const [amount, unit] =
    ms % DAY_MS === 0
      ? [ms / DAY_MS, 'day']
      : ms % 3_600_000 === 0
        ? [ms / 3_600_000, 'hour']
        : [Math.round(ms / 1000), 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/** A schedule's overlap policy as what becomes of a run due while the previous one runs. */
function describeOverlap(policy: unknown): string {
  switch (policy) {
    case 'BUFFER_ALL':
      return 'waits for it';
    case 'BUFFER_ONE':
      return 'waits for it (only the latest: others are dropped)';
    case 'SKIP':
    case undefined:
      return 'is skipped, leaving its date unanalysed';
    case 'ALLOW_ALL':
      return 'runs beside it';
    case 'CANCEL_OTHER':
      return 'cancels it';
    case 'TERMINATE_OTHER':
      return 'terminates it';
    default:
      return String(policy);
  }
}

/**
 * What a second `create` did to the schedule: every setting it changed, old and new. A create
 * run with another task queue or dataset in the environment moves where the daily runs go, and
 * an operator who meant to check that the schedule exists must see it.
 */
export function updateOutcome(before: DailyRunSettings | null, after: DailyRunSettings): string {
  const label: Record<keyof DailyRunSettings, string> = {
    runs: 'runs',
    taskQueue: 'task queue',
    dataset: 'dataset',
    concurrency: 'concurrency',
    overlap: 'a run due while the previous one runs',
    catchup: 'catch-up window',
  };
  const changed =
    before === null
      ? []
      : (Object.keys(label) as (keyof DailyRunSettings)[])
          .filter((key) => before[key] !== after[key])
          .map((key) => `${label[key]} ${before[key]} → ${after[key]}`);
  return changed.length === 0
    ? `unchanged: ${settingsLine(after)}`
    : `updated it (${changed.join(', ')}): ${settingsLine(after)}`;
}

export function settingsLine(s: DailyRunSettings): string {
  return `dailyAnalysis ${s.runs}, task queue ${s.taskQueue}, dataset ${s.dataset}, ${s.concurrency} experiments at once, runs missed while the server is down caught up within ${s.catchup}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `every day at 04:00 UTC` for the calendars contrail creates; other shapes as JSON. */
function describeCalendar(calendar: { hour?: unknown; minute?: unknown }): string {
  // A described calendar holds ranges ([{ start: 4 }]); one being created, the number itself.
  const first = (v: unknown) =>
    typeof v === 'number'
      ? v
      : Array.isArray(v) && v.length === 1
        ? (v[0] as { start?: unknown }).start
        : undefined;
  const hour = first(calendar.hour);
  const minute = first(calendar.minute);
  return typeof hour === 'number' && typeof minute === 'number'
    ? `every day at ${pad(hour)}:${pad(minute)} UTC`
    : JSON.stringify(calendar);
}

export async function describeSchedule(client: Client): Promise<string> {
  const d = await client.schedule.getHandle(DAILY_SCHEDULE_ID).describe();
  const settings = dailyRunSettings(d.spec.calendars ?? [], d.action, d.policies);
  const lines = [
    `schedule ${d.scheduleId}: ${d.state.paused ? 'PAUSED' : 'active'}${d.state.note ? ` (${d.state.note})` : ''}`,
    `  runs: ${settings.runs}`,
    `  starts: dailyAnalysis on task queue ${settings.taskQueue}, dataset ${settings.dataset}, ${settings.concurrency} experiments at once`,
    `  a run due while the previous one runs ${settings.overlap}`,
    `  a run missed while the server was down starts when it is back, if within ${settings.catchup} of its time`,
    ...runLines({
      running: d.info.runningActions.map((a) => a.workflow.workflowId),
      waiting: Number(d.raw.info?.bufferSize ?? 0),
      skipped: d.info.numActionsSkippedOverlap,
      missed: d.info.numActionsMissedCatchupWindow,
      catchupWindowMs: d.policies.catchupWindow,
    }),
    // A paused schedule starts nothing at its times: listing them would say it does.
    `  next: ${
      d.state.paused
        ? `none while paused (\`${contrailCommand()} schedule unpause\` resumes it)`
        : d.info.nextActionTimes
            .slice(0, 3)
            .map((t) => t.toISOString())
            .join(', ') || '(none)'
    }`,
  ];
  const recent = d.info.recentActions.slice(-3);
  if (recent.length === 0) lines.push('  recent: (none)');
  else {
    lines.push('  recent:');
    const runs: RecentRun[] = [];
    for (const a of recent) {
      const { workflowId, firstExecutionRunId } = a.action.workflow;
      const outcome = await recentOutcome(client, workflowId, firstExecutionRunId);
      runs.push({ workflowId, runId: firstExecutionRunId, takenAt: a.takenAt, outcome });
    }
    lines.push(...recentLines(runs));
  }
  return lines.join('\n');
}

/** What the schedule's runs are doing, and which it never started, as the server counts them. */
export interface ScheduleRunCounts {
  running: string[];
  /** Runs due that wait for the running one to end. */
  waiting: number;
  /** Runs due while another ran that were dropped (a schedule with the SKIP policy). */
  skipped: number;
  /** Runs due while the server was down, longer ago than the catch-up window when it came back. */
  missed: number;
  /** The catch-up window, as the server describes it (milliseconds). */
  catchupWindowMs: number | undefined;
}

/**
 * `describe`'s lines on the runs under way and those never started: an operator whose worker
 * was down sees which run to follow, how many wait behind it, and that a date the schedule
 * dropped needs a backfill (nothing else analyses it). Nothing when all is quiet.
 */
export function runLines(r: ScheduleRunCounts): string[] {
  const lines = r.running.map((id) => `  running: ${id} (\`${contrailCommand()} status ${id}\` follows it)`);
  if (r.waiting > 0)
    lines.push(`  waiting: ${plural(r.waiting, 'run')} due since, each to start when the one before it ends`);
  const dropped = [
    r.skipped > 0 ? `${plural(r.skipped, 'run')} skipped while the previous one ran` : null,
    r.missed > 0
      ? `${plural(r.missed, 'run')} missed while the server was down longer than the catch-up window (${describeCatchupWindow(r.catchupWindowMs)})`
      : null,
  ].filter((line) => line !== null);
  if (dropped.length > 0)
    lines.push(
      `  never started, since it was created: ${dropped.join('; ')}; their dates have no daily results unless \`${contrailCommand()} backfill\` analysed them${r.missed > 0 ? ` (\`${contrailCommand()} schedule create --catchup_days <days>\` widens the window)` : ''}`,
    );
  return lines;
}
