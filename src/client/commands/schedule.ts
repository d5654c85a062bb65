import type { Argv, CommandModule } from 'yargs';
import { choiceOf, datasetIdOption } from '../options.js';
import type { ScheduleArgs } from '../schedule.js';

const ACTIONS = ['create', 'describe', 'pause', 'unpause', 'trigger', 'delete'] as const;

export const scheduleCommand: CommandModule<object, ScheduleArgs> = {
  command: 'schedule <action>',
  describe: 'Manage the Temporal Schedule of the daily analysis (needs TEMPORAL_ADDRESS)',
  builder: (y: Argv) =>
    y
      .positional('action', { ...choiceOf('schedule', ACTIONS), describe: 'What to do with the schedule' })
      .option('hour', { type: 'number', default: 4, describe: 'UTC hour of the daily run (create)' })
      .option('minute', { type: 'number', default: 0, describe: 'Minute of the daily run (create)' })
      .option(
        'dataset_id',
        datasetIdOption(
          'Dataset for result tables (default: CONTRAIL_BIGQUERY_DATASET on BigQuery, else contrail)',
        ),
      )
      .option('concurrency', { type: 'number', default: 4, describe: 'Experiments analysed at once' })
      .option('note', { type: 'string', describe: 'Note shown with the schedule (create, pause, unpause)' })
      // A message returned (not thrown) is a usage error: the help, then exit 2, as for any bad flag.
      .check((a) => {
        if (!Number.isInteger(a.hour) || a.hour < 0 || a.hour > 23)
          return `--hour ${a.hour}: expected a whole number 0–23`;
        if (!Number.isInteger(a.minute) || a.minute < 0 || a.minute > 59)
          return `--minute ${a.minute}: expected a whole number 0–59`;
        return true;
      }) as unknown as Argv<ScheduleArgs>,
  handler: async (args) => {
    const { scheduleAction } = await import('../schedule.js');
    await scheduleAction(args);
  },
};
