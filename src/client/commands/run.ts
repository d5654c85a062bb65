import type { CommandModule } from 'yargs';
import type { BackfillResult } from '../../workflows/backfill.js';
import { CliError } from '../errors.js';
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

interface RunArgs extends CommonArgs, VersionArgs {
  date: string;
  experiment_slug?: string[];
  concurrency?: number;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Analyse experiments for one date: the given ones, or every eligible one (the daily run)',
  builder: (y) =>
    verboseOption(
      versionOptions(commonOptions(y, { withConfigFile: true })),
      'sdk-warnings',
      'ok-experiments',
    )
      .option('date', { type: 'string', demandOption: true, describe: 'Analysis date (YYYY-MM-DD)' })
      .option(
        'experiment_slug',
        experimentSlugsOption(
          'Experiment to analyse, repeatable (default: every eligible experiment, as the daily run)',
        ),
      )
      .option('config_file', sharedTextOption('config_file', 'Custom experiment config (TOML) to use'))
      .option('concurrency', {
        type: 'number',
        describe: 'Experiments analysed at once (default: 4 for the daily run, 3 for given experiments)',
      }),
  handler: async (args) => {
    const { checkedInput, checkNotAfterToday, readConfigFile, runWorkflowCommand } = await import(
      '../workflow-command.js'
    );
    const { AnalyzeExperimentInput, BackfillInput, DailyAnalysisInput } = await import(
      '../../workflows/inputs.js'
    );
    const { workflowIds } = await import('../../workflows/ids.js');
    const { resultOutsideDates } = await import('../../workflows/analysis-result.js');
    checkNotAfterToday({ '--date': args.date });
    const slugs = args.experiment_slug ?? [];
    // A custom config is one experiment's: without that experiment named, the daily run of every
    // experiment would start with the repos' configs and the file left unread.
    if (args.config_file !== undefined && slugs.length !== 1) {
      throw new CliError(
        `--config_file applies to one --experiment_slug (given ${slugs.length === 0 ? 'none' : `${slugs.length}: ${slugs.join(', ')}`}): name the experiment the config is for`,
        2,
      );
    }
    const fields = await analysisFields(args);
    const { dataset } = fields;
    if (slugs.length === 0) {
      const input = checkedInput(
        DailyAnalysisInput,
        {
          date: args.date,
          ...fields,
          ...(args.concurrency === undefined ? {} : { concurrency: args.concurrency }),
        },
        'dailyAnalysis',
      );
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
    if (configOverride !== null) {
      // The embedded worker reads the config repos this command names: as for a preview, the
      // metric-hub checkout the config file is in when none are given (a cluster's its own).
      const { runtimeSettings } = await import('../../settings.js');
      if (!runtimeSettings().temporalAddress) {
        const { configReposOf } = await import('../config-repos.js');
        args.config_repos = configReposOf(args);
      }
      // A custom config is one analysis started as it is: it runs where it starts (embedded,
      // or the deployment's current version) and refuses a pin to another build unless told
      // --use-latest / --use-version.
      const input = checkedInput(
        AnalyzeExperimentInput,
        {
          slug: slugs[0],
          date: args.date,
          ...fields,
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
    // Each experiment on its pinned build: a one-day backfill starts each analysis there (and
    // says which wait for a worker of their version).
    const input = checkedInput(
      BackfillInput,
      {
        slugs,
        startDate: args.date,
        endDate: args.date,
        ...fields,
        ...(args.concurrency === undefined ? {} : { concurrency: args.concurrency }),
      },
      'backfill',
      { startDate: '--date', endDate: '--date' },
    );
    const only = slugs.length === 1 ? (slugs[0] as string) : null;
    await runWorkflowCommand({
      workflowType: 'backfill',
      workflowId: workflowIds.backfill(slugs, args.date, args.date, dataset),
      input,
      summary: only
        ? `analysis of ${only} on ${args.date}`
        : `analysis of ${slugs.length} experiments on ${args.date}`,
      args,
      // One experiment: its analysis's own result, as when it ran alone (the backfill's report
      // when it failed).
      ...(only
        ? {
            resultOf: {
              workflowType: 'analyzeExperiment' as const,
              read: async (client, result) => {
                const backfill = result as BackfillResult;
                if (backfill.failed.length > 0) return null;
                // A date outside the experiment's dates started no analysis: its result is the
                // one that analysis would have given.
                const outside = backfill.outside?.[only];
                const skipped =
                  outside &&
                  resultOutsideDates(outside.dates, { slug: only, date: args.date, pin: outside.pin });
                if (skipped) return skipped;
                return await client.workflow
                  .getHandle(workflowIds.analysis(only, args.date, dataset))
                  .result();
              },
            },
          }
        : {}),
    });
  },
};
