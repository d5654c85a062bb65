import type { Argv, CommandModule } from 'yargs';
import { contrailCommand } from '../../command-name.js';
import { choiceOf, sharedTextOption } from '../options.js';
import type { ScheduleArgs } from '../schedule.js';

/**
 * The widest catch-up window `--catchup_days` sets: a longer outage's dates are a backfill's,
 * and a typo (`700` for `7`) would otherwise queue years of daily runs behind a restart.
 */
const MAX_CATCHUP_DAYS = 90;

const ACTIONS = ['create', 'describe', 'pause', 'unpause', 'trigger', 'delete'] as const;

/** The actions that take each option; the others would pass it by unread. */
const TAKEN_BY: Record<
  'hour' | 'minute' | 'dataset_id' | 'concurrency' | 'catchup_days' | 'note',
  readonly string[]
> = {
  hour: ['create'],
  minute: ['create'],
  dataset_id: ['create'],
  concurrency: ['create'],
  catchup_days: ['create'],
  note: ['create', 'pause', 'unpause'],
};

/**
 * An option given to an action that does not take it, as a usage error: `schedule trigger
 * --dataset_id scratch` starts the run the schedule was created with, into its dataset, and
 * must not look as if it ran into scratch.
 */
function misplacedOption(a: Record<string, unknown>): string | null {
  const action = String(a.action);
  for (const [option, actions] of Object.entries(TAKEN_BY)) {
    if (a[option] === undefined || actions.includes(action)) continue;
    // What a trigger given a run's option was likely after: one daily run with it, which `run` is.
    const instead =
      action === 'trigger' && (option === 'dataset_id' || option === 'concurrency')
        ? `: a triggered run analyses as the schedule was created; \`${contrailCommand()} run --date <date> --${option} …\` analyses one date so`
        : '';
    return `--${option}: schedule ${action} does not take it (only ${actions.join(', ')})${instead}`;
  }
  return null;
}

export const scheduleCommand: CommandModule<object, ScheduleArgs> = {
  command: 'schedule <action>',
  describe: 'Manage the Temporal Schedule of the daily analysis (needs TEMPORAL_ADDRESS)',
  builder: (y: Argv) =>
    y
      .positional('action', { ...choiceOf('schedule', ACTIONS), describe: 'What to do with the schedule' })
      .option('hour', { type: 'number', describe: 'UTC hour of the daily run (create; default: 4)' })
      .option('minute', { type: 'number', describe: 'Minute of the daily run (create; default: 0)' })
      .option(
        'dataset_id',
        sharedTextOption(
          'dataset_id',
          'Dataset for result tables (create; default: CONTRAIL_BIGQUERY_DATASET on BigQuery, else contrail)',
        ),
      )
      .option('concurrency', {
        type: 'number',
        describe: 'Experiments analysed at once (create; default: 4)',
      })
      .option('catchup_days', {
        alias: 'catchup-days',
        type: 'number',
        describe: `Days after its time a run missed while the Temporal server was down still starts when it is back, each for its own date (create; 1–${MAX_CATCHUP_DAYS}, default: 7)`,
      })
      .option('note', { type: 'string', describe: 'Note shown with the schedule (create, pause, unpause)' })
      // A message returned (not thrown) is a usage error: the help, then exit 2, as for any bad flag.
      .check((a) => {
        const misplaced = misplacedOption(a);
        if (misplaced) return misplaced;
        if (a.hour !== undefined && (!Number.isInteger(a.hour) || a.hour < 0 || a.hour > 23))
          return `--hour ${a.hour}: expected a whole number 0–23`;
        if (a.minute !== undefined && (!Number.isInteger(a.minute) || a.minute < 0 || a.minute > 59))
          return `--minute ${a.minute}: expected a whole number 0–59`;
        const days = a.catchup_days;
        if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_CATCHUP_DAYS))
          return `--catchup_days ${days}: expected a whole number of days 1–${MAX_CATCHUP_DAYS}`;
        return true;
      }) as unknown as Argv<ScheduleArgs>,
  handler: async (args) => {
    const { scheduleAction } = await import('../schedule.js');
    await scheduleAction(args);
  },
};
