import type { CommandModule } from 'yargs';
import {
  analysisFields,
  type CommonArgs,
  commonOptions,
  experimentSlugsOption,
  sharedTextOption,
  type VersionArgs,
  verboseOption,
  versionOptions,
} from '../options.js';

interface BackfillArgs extends CommonArgs, VersionArgs {
  start_date: string;
  end_date: string;
  experiment_slug: string[];
  concurrency: number;
}

export const backfillCommand: CommandModule<object, BackfillArgs> = {
  command: 'backfill',
  describe: 'Analyse experiments over a date range (resumable; bounded concurrency)',
  builder: (y) =>
    verboseOption(versionOptions(commonOptions(y)), 'sdk-warnings')
      .option('start_date', {
        ...sharedTextOption('start_date', 'First date (YYYY-MM-DD)'),
        demandOption: true,
      })
      .option('end_date', { ...sharedTextOption('end_date', 'Last date (YYYY-MM-DD)'), demandOption: true })
      .option('experiment_slug', {
        ...experimentSlugsOption('Experiment to backfill, repeatable'),
        demandOption: true,
      })
      .option('concurrency', { type: 'number', default: 3, describe: 'Experiment-days analysed at once' }),
  handler: async (args) => {
    const { checkDateRange, checkedInput, checkNotAfterToday, runWorkflowCommand } = await import(
      '../workflow-command.js'
    );
    const { BackfillInput } = await import('../../workflows/inputs.js');
    const { workflowIds } = await import('../../workflows/ids.js');
    checkDateRange(args.start_date, args.end_date);
    checkNotAfterToday({ '--start_date': args.start_date, '--end_date': args.end_date });
    const input = checkedInput(
      BackfillInput,
      {
        slugs: args.experiment_slug,
        startDate: args.start_date,
        endDate: args.end_date,
        concurrency: args.concurrency,
        ...(await analysisFields(args)),
      },
      'backfill',
    );
    await runWorkflowCommand({
      workflowType: 'backfill',
      workflowId: workflowIds.backfill(input.slugs, input.startDate, input.endDate, input.dataset),
      input,
      summary: `backfill of ${input.slugs.join(', ')} from ${input.startDate} to ${input.endDate}`,
      args,
    });
  },
};
