import type { CommandModule } from 'yargs';
import { resultsDataset } from '../option-values.js';
import {
  detachOption,
  RESULTS_DATASET_DEFAULT,
  sharedTextOption,
  verboseOption,
  type WorkflowArgs,
  workflowOptions,
} from '../options.js';

interface RerunSkipArgs extends WorkflowArgs {
  experiment_slug: string;
}

export const rerunSkipCommand: CommandModule<object, RerunSkipArgs> = {
  command: 'rerun-skip',
  describe:
    'Move an experiment to the latest tooling and configs without recomputing: its anchor moves to now (its tables are relabelled, their contents stay)',
  builder: (y) =>
    verboseOption(
      detachOption(
        workflowOptions(y, {
          dataset: `Dataset holding the experiment's tables, which are relabelled (${RESULTS_DATASET_DEFAULT})`,
        }),
      ),
      'sdk-warnings',
    ).option('experiment_slug', {
      ...sharedTextOption('experiment_slug', 'Experiment whose anchor moves'),
      demandOption: true,
    }),
  handler: async (args) => {
    const { checkedInput, runWorkflowCommand } = await import('../workflow-command.js');
    const { RerunSkipInput } = await import('../../workflows/inputs.js');
    const { workflowIds } = await import('../../workflows/ids.js');
    const input = checkedInput(
      RerunSkipInput,
      { slug: args.experiment_slug, dataset: resultsDataset(args.dataset_id) },
      'rerunSkip',
    );
    await runWorkflowCommand({
      workflowType: 'rerunSkip',
      workflowId: workflowIds.rerunSkip(input.slug, input.dataset),
      input,
      summary: `rerun-skip of ${input.slug}`,
      args,
    });
  },
};
