import type { CommandModule } from 'yargs';
import { resultsDataset } from '../option-values.js';
import { RESULTS_DATASET_DEFAULT, verboseOption, type WorkflowArgs, workflowOptions } from '../options.js';

interface VersionsArgs extends WorkflowArgs {
  date?: string;
}

export const versionsCommand: CommandModule<object, VersionsArgs> = {
  command: 'versions',
  describe:
    'Releases of contrail, the experiments pinned to each, versions with running or waiting work, and which can be retired',
  builder: (y) =>
    verboseOption(
      workflowOptions(y, {
        dataset: `Dataset whose experiments' pinned releases are reported (${RESULTS_DATASET_DEFAULT})`,
      }),
      'sdk-warnings',
    ).option('date', {
      type: 'string',
      describe: 'Experiments eligible on this date count as pinned (default: yesterday)',
    }),
  handler: async (args) => {
    const { checkedInput, runWorkflowCommand } = await import('../workflow-command.js');
    const { VersionsReportInput } = await import('../../workflows/inputs.js');
    const { workflowIds } = await import('../../workflows/ids.js');
    const { addDays, isoDate } = await import('../../dates.js');
    const dataset = resultsDataset(args.dataset_id);
    // The date is chosen here, as the workflow would (yesterday), so the report can say it.
    const date = args.date ?? addDays(isoDate(new Date()), -1);
    const input = checkedInput(VersionsReportInput, { dataset, date }, 'versionsReport');
    await runWorkflowCommand({
      workflowType: 'versionsReport',
      workflowId: workflowIds.versionsReport(dataset),
      input,
      summary: 'contrail versions',
      args,
      reportContext: async () => ({ eligibleOn: input.date ?? date }),
    });
  },
};
