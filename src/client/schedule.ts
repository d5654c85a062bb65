// `contrail schedule`: each action on the daily schedule (create, describe, pause, trigger, delete)
// and what it says of the schedule's settings and runs, which the actions share: one module.
import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import { contrailCommand } from '../command-name.js';
import { DAY_MS } from '../dates.js';
import { plural } from '../plural.js';
import { runtimeSettings } from '../settings.js';
import { DAILY_SCHEDULE_ID, DAILY_SCHEDULE_RUN_ID } from '../workflows/ids.js';
import { DailyAnalysisInput } from '../workflows/inputs.js';
import { connectClient } from './connect.js';
import { CliError } from './errors.js';
import { resultsDataset } from './option-values.js';
import { recentLine, recentOutcome, type ScheduleRuns, triggerOutcome } from './schedule-runs.js';
import { checkedInput } from './workflow-command.js';

/** `contrail schedule`'s arguments, as its command's parser gives them. */
export interface ScheduleArgs {
  action: 'create' | 'describe' | 'pause' | 'unpause' | 'trigger' | 'delete';
  hour?: number;
  minute?: number;
  dataset_id?: string;
  concurrency?: number;
  catchup_days?: number;
  note?: string;
}

/** What the schedule starts every day, from `schedule create`'s options (a usage error names the option). */
function dailyInput(args: ScheduleArgs) {
  return checkedInput(
    DailyAnalysisInput,
    {
      dataset: resultsDataset(args.dataset_id),
      ...(args.concurrency === undefined ? {} : { concurrency: args.concurrency }),
    },
    'dailyAnalysis',
  );
}

/**
 * The Temporal Schedule that runs `dailyAnalysis` every day (04:00 UTC by default) for the
 * day before. `create` is idempotent: a second create updates the one schedule.
 */
async function createSchedule(
  client: Client,
  taskQueue: string,
  args: ScheduleArgs,
  input: ReturnType<typeof dailyInput>,
): Promise<string> {
  const spec = { calendars: [{ hour: args.hour ?? 4, minute: args.minute ?? 0 }], timezone: 'UTC' };
  const policies = dailyPolicies(args.catchup_days);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'dailyAnalysis',
    args: [input],
    taskQueue,
    workflowId: DAILY_SCHEDULE_RUN_ID,
    staticSummary: 'daily analysis of every eligible experiment',
  };
  try {
    await client.schedule.create({
      scheduleId: DAILY_SCHEDULE_ID,
      spec,
      action,
      policies,
      state: { note: args.note ?? 'created by contrail schedule create' },
    });
    return `created schedule ${DAILY_SCHEDULE_ID}: ${settingsLine(dailyRunSettings(spec.calendars, action, policies))}`;
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    let before: DailyRunSettings | null = null;
    await client.schedule.getHandle(DAILY_SCHEDULE_ID).update((previous) => {
      before = dailyRunSettings(previous.spec.calendars ?? [], previous.action, previous.policies);
      // A schedule an earlier contrail created keeps its state; its policies become these.
      return {
        ...previous,
        spec,
        action,
        policies: { ...previous.policies, ...policies },
        ...(args.note === undefined ? {} : { state: { ...previous.state, note: args.note } }),
      };
    });
    const after = dailyRunSettings(spec.calendars, action, policies);
    return `schedule ${DAILY_SCHEDULE_ID} exists; ${updateOutcome(before, after)}`;
  }
}

/**
 * How many days back a run the server missed while it was down is still started when it is
 * back (`schedule create --catchup_days`): a weekend's outage, and a week's, heals itself
 * without anyone noticing. A run missed for longer is left to `contrail backfill`, which
 * `describe` points to.
 */
export const DEFAULT_CATCHUP_DAYS = 7;

/**
 * What the schedule does with a run that falls due while its previous run still runs (no
 * worker polls, or a run takes longer than a day), and with runs the server missed while it
 * was down. The later run waits and starts when the earlier one ends (BUFFER_ALL), each for its
 * own date: skipping it would leave that date's analysis undone with nothing to say so, as the
 * daily run analyses only the day before its scheduled time. One at a time, the runs never
 * write an experiment's tables at once. The runs the server missed while it was down are
 * started when it is back, one after another in the same way, each still analysing the day
 * before its own scheduled time, as long as that time is within the catch-up window.
 */
export function dailyPolicies(catchupDays: number = DEFAULT_CATCHUP_DAYS) {
  return { overlap: 'BUFFER_ALL', catchupWindow: catchupDays * DAY_MS } as const;
}

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

function settingsLine(s: DailyRunSettings): string {
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

async function describeSchedule(client: Client): Promise<string> {
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
    for (const a of recent) {
      const { workflowId, firstExecutionRunId } = a.action.workflow;
      lines.push(
        recentLine(a.takenAt, workflowId, await recentOutcome(client, workflowId, firstExecutionRunId)),
      );
    }
  }
  return lines.join('\n');
}

/** Deletes the schedule, saying what that leaves (`deleteOutcome`). */
async function deleteSchedule(client: Client): Promise<string> {
  const handle = client.schedule.getHandle(DAILY_SCHEDULE_ID);
  const d = await handle.describe();
  await handle.delete();
  return deleteOutcome(
    d.info.runningActions.map((a) => a.workflow.workflowId),
    Number(d.raw.info?.bufferSize ?? 0),
  );
}

/**
 * What deleting the schedule left: a run under way is no child of the schedule and goes on,
 * while the runs waiting behind it go with the schedule, their dates unanalysed.
 */
export function deleteOutcome(running: readonly string[], waiting: number): string {
  const left = running.map(
    (id) => `its run ${id} goes on (\`${contrailCommand()} status ${id}\` follows it)`,
  );
  if (waiting > 0)
    left.push(
      `${plural(waiting, 'run')} that waited behind it will not start: \`${contrailCommand()} backfill\` analyses their dates`,
    );
  return `deleted ${DAILY_SCHEDULE_ID}${left.length > 0 ? `; ${left.join('; ')}` : ''}`;
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

function scheduleRuns(
  d: Awaited<ReturnType<ReturnType<Client['schedule']['getHandle']>['describe']>>,
): ScheduleRuns {
  return {
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    recent: d.info.recentActions.map((a) => a.action.workflow.workflowId),
  };
}

/** The date a schedule's dailyAnalysis input names, if it names one (contrail's schedules do not). */
function actionDate(action: { args?: unknown }): string | null {
  const input = (Array.isArray(action.args) ? action.args[0] : undefined) as { date?: unknown } | undefined;
  return typeof input?.date === 'string' ? input.date : null;
}

/** Triggers the daily run and names the run it started (the server records it within moments). */
async function triggerSchedule(client: Client): Promise<string> {
  const handle = client.schedule.getHandle(DAILY_SCHEDULE_ID);
  const described = await handle.describe();
  const before = scheduleRuns(described);
  const schedule = { paused: described.state.paused, date: actionDate(described.action) };
  const triggeredAt = new Date();
  triggerOutcome(before, null, schedule, triggeredAt);
  await handle.trigger('SKIP');
  let after: ScheduleRuns | null = null;
  for (let i = 0; i < 25; i++) {
    after = scheduleRuns(await handle.describe());
    if ([...after.running, ...after.recent].some((id) => !before.recent.includes(id))) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return triggerOutcome(before, after, schedule, triggeredAt);
}

/** `contrail schedule <action>`: does the action on the daily schedule and prints what it did. */
export async function scheduleAction(args: ScheduleArgs): Promise<void> {
  // What the schedule will start is checked before Temporal is asked for (exit 2): a usage error
  // is the same whatever the server says.
  const input = args.action === 'create' ? dailyInput(args) : null;
  const settings = runtimeSettings();
  if (!settings.temporalAddress) {
    throw new CliError(
      `schedules live on a running Temporal: start \`${contrailCommand()} server\` and set TEMPORAL_ADDRESS`,
    );
  }
  const client = await connectClient(settings.temporalAddress, settings.namespace);
  try {
    const handle = client.schedule.getHandle(DAILY_SCHEDULE_ID);
    let message: string;
    switch (args.action) {
      case 'create':
        message = await createSchedule(client, settings.taskQueue, args, input ?? dailyInput(args));
        break;
      case 'describe':
        message = await describeSchedule(client);
        break;
      case 'pause':
        await handle.pause(args.note ?? 'paused by contrail schedule pause');
        message = `paused ${DAILY_SCHEDULE_ID}`;
        break;
      case 'unpause':
        await handle.unpause(args.note ?? 'unpaused by contrail schedule unpause');
        message = `unpaused ${DAILY_SCHEDULE_ID}`;
        break;
      case 'trigger':
        message = await triggerSchedule(client);
        break;
      case 'delete':
        message = await deleteSchedule(client);
        break;
    }
    process.stdout.write(`${message}\n`);
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) {
      throw new CliError(
        `no schedule ${DAILY_SCHEDULE_ID} on ${settings.temporalAddress}: run \`${contrailCommand()} schedule create\``,
      );
    }
    throw error;
  } finally {
    await client.connection.close();
  }
}
