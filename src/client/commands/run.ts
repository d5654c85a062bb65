import type { CommandModule } from 'yargs';
import { workflowIds } from '../../workflows/ids.js';
import { AnalyzeExperimentInput, BackfillInput, DailyAnalysisInput } from '../../workflows/inputs.js';
import {
  type CommonArgs,
  checkedInput,
  commonOptions,
  readConfigFile,
  repeatable,
  runWorkflowCommand,
} from '../workflow-command.js';

interface RunArgs extends CommonArgs {
  date: string;
  experiment_slug?: string[];
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Analyse experiments for one date: the given ones, or every eligible one (the daily run)',
  builder: (y) =>
    commonOptions(y)
      .option('date', { type: 'string', demandOption: true, describe: 'Analysis date (YYYY-MM-DD)' })
      .option('experiment_slug', {
        alias: 'experiment-slug',
        ...repeatable(
          'Experiment to analyse, repeatable (default: every eligible experiment, as the daily run)',
        ),
      })
      .option('config_file', {
        alias: 'config-file',
        type: 'string',
        describe: 'Custom experiment config (TOML) to use',
      }),
  handler: async (args) => {
    const dataset = args.dataset_id ?? 'contrail';
    const slugs = args.experiment_slug ?? [];
    if (slugs.length === 0) {
      const input = checkedInput(DailyAnalysisInput, { date: args.date, dataset }, 'dailyAnalysis');
      await runWorkflowCommand({
        workflowType: 'dailyAnalysis',
        workflowId: workflowIds.daily(args.date, dataset),
        input,
        summary: `daily analysis for ${args.date}`,
        args,
      });
      return;
    }
    const configOverride = await readConfigFile(args.config_file);
    if (slugs.length === 1) {
      const input = checkedInput(
        AnalyzeExperimentInput,
        {
          slug: slugs[0],
          date: args.date,
          dataset,
          periods: args.analysis_periods ?? null,
          lenient: args.lenient,
          configOverride,
        },
        'analyzeExperiment',
      );
      await runWorkflowCommand({
        workflowType: 'analyzeExperiment',
        workflowId: workflowIds.analysis(input.slug, input.date, dataset),
        input,
        summary: `analysis of ${input.slug} on ${input.date}`,
        args,
      });
      return;
    }
    // Several experiments, one date: a one-day backfill runs them side by side.
    const input = checkedInput(
      BackfillInput,
      {
        slugs,
        startDate: args.date,
        endDate: args.date,
        dataset,
        periods: args.analysis_periods ?? null,
        lenient: args.lenient,
      },
      'backfill',
    );
    await runWorkflowCommand({
      workflowType: 'backfill',
      workflowId: workflowIds.backfill(slugs, args.date, args.date, dataset),
      input,
      summary: `analysis of ${slugs.length} experiments on ${args.date}`,
      args,
    });
  },
};
