import type { CommandModule } from 'yargs';
import {
  analysisFields,
  type CommonArgs,
  commonOptions,
  rerunVersionOption,
  sharedTextOption,
  type VersionArgs,
  verboseOption,
} from '../options.js';

interface RerunArgs extends CommonArgs, VersionArgs {
  experiment_slug: string;
  recreate_enrollments: boolean;
  concurrency: number;
}

export const rerunCommand: CommandModule<object, RerunArgs> = {
  command: 'rerun',
  describe:
    "Recompute every date of an experiment from its start on the latest tooling (or --use-version's release) and configs (moves its anchor to now) and replace its results at once; stopped part way, the results stay as they were",
  builder: (y) =>
    verboseOption(rerunVersionOption(commonOptions(y)), 'sdk-warnings')
      .option('experiment_slug', {
        ...sharedTextOption('experiment_slug', 'Experiment to recompute'),
        demandOption: true,
      })
      .option('recreate_enrollments', {
        alias: 'recreate-enrollments',
        type: 'boolean',
        default: false,
        describe: 'Recreate the enrollments table too (drops the results and enrollments before recomputing)',
      })
      .option('concurrency', { type: 'number', default: 3, describe: 'Dates analysed at once' }),
  handler: async (args) => {
    const { checkedInput, runWorkflowCommand } = await import('../workflow-command.js');
    const { RerunInput } = await import('../../workflows/inputs.js');
    const { workflowIds } = await import('../../workflows/ids.js');
    const input = checkedInput(
      RerunInput,
      {
        slug: args.experiment_slug,
        ...(await analysisFields(args)),
        recreateEnrollments: args.recreate_enrollments,
        concurrency: args.concurrency,
      },
      'rerun',
    );
    await runWorkflowCommand({
      workflowType: 'rerun',
      workflowId: workflowIds.rerun(input.slug, input.dataset),
      input,
      summary: `rerun of ${input.slug}`,
      args,
    });
  },
};
