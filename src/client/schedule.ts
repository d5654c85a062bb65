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
import {
  type DailyRunSettings,
  dailyRunSettings,
  describeSchedule,
  settingsLine,
  updateOutcome,
} from './schedule-describe.js';
import { type ScheduleRuns, triggerDelayMs, triggerOutcome } from './schedule-runs.js';
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

function scheduleRuns(
  d: Awaited<ReturnType<ReturnType<Client['schedule']['getHandle']>['describe']>>,
): ScheduleRuns {
  return {
    running: d.info.runningActions.map((a) => ({
      workflowId: a.workflow.workflowId,
      runId: a.workflow.firstExecutionRunId,
    })),
    recent: d.info.recentActions.map((a) => ({
      workflowId: a.action.workflow.workflowId,
      runId: a.action.workflow.firstExecutionRunId,
      scheduledAt: a.scheduledAt,
    })),
  };
}

/** The date a schedule's dailyAnalysis input names, if it names one (contrail's schedules do not). */
function actionDate(action: { args?: unknown }): string | null {
  const input = (Array.isArray(action.args) ? action.args[0] : undefined) as { date?: unknown } | undefined;
  return typeof input?.date === 'string' ? input.date : null;
}

/**
 * Triggers the daily run and names the run it started (the server records it within moments),
 * outside the second of the schedule's latest run and of its next one, so that the run gets an
 * id of its own (`triggerDelayMs`).
 */
async function triggerSchedule(client: Client): Promise<string> {
  const handle = client.schedule.getHandle(DAILY_SCHEDULE_ID);
  let described = await handle.describe();
  const schedule = { paused: described.state.paused, date: actionDate(described.action) };
  // Refused at once while a run of the schedule is under way (it throws), before any wait.
  let before = scheduleRuns(described);
  triggerOutcome(before, null, schedule, new Date());
  // A paused schedule starts nothing at its times: only its runs' seconds are taken.
  const next = schedule.paused ? [] : described.info.nextActionTimes;
  const delay = triggerDelayMs([...before.recent.map((r) => r.scheduledAt), ...next], new Date());
  if (delay > 0) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    // The scheduled run may have started meanwhile: refused as above, naming it.
    described = await handle.describe();
    before = scheduleRuns(described);
    triggerOutcome(before, null, schedule, new Date());
  }
  const triggeredAt = new Date();
  await handle.trigger('SKIP');
  const known = new Set(before.recent.map((r) => r.runId));
  let after: ScheduleRuns | null = null;
  for (let i = 0; i < 25; i++) {
    after = scheduleRuns(await handle.describe());
    if ([...after.running, ...after.recent].some((r) => !known.has(r.runId))) break;
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
  // A usage error (exit 2), as cancel's: exit 1 is what an action the server refuses gives.
  if (!settings.temporalAddress) {
    throw new CliError(
      `schedules live on a running Temporal: start \`${contrailCommand()} server\` and set TEMPORAL_ADDRESS`,
      2,
    );
  }
  const client = await connectClient(settings.temporalAddress, settings.namespace, settings.temporalTls);
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
