import type { CommandModule } from 'yargs';
import { workflowIds } from '../../workflows/ids.js';
import { PreviewInput } from '../../workflows/inputs.js';
import type { PreviewResult } from '../../workflows/preview.js';
import {
  type CommonArgs,
  checkDateRange,
  checkedInput,
  commonOptions,
  readConfigFile,
  runWorkflowCommand,
} from '../workflow-command.js';

interface PreviewArgs extends CommonArgs {
  experiment_slug: string;
  start_date?: string;
  end_date?: string;
  sample_size: number;
  generate_population: boolean;
  sql_output_dir?: string;
  export: boolean;
}

export const previewCommand: CommandModule<object, PreviewArgs> = {
  command: 'preview',
  describe: 'Preview an analysis on a small sample over a few days, before a config is merged',
  builder: (y) =>
    commonOptions(y)
      .option('experiment_slug', { alias: ['experiment-slug', 'slug'], type: 'string', demandOption: true })
      .option('config_file', {
        alias: 'config-file',
        type: 'string',
        describe: 'Custom experiment config (TOML) to preview instead of the repo one',
      })
      .option('start_date', {
        alias: 'start-date',
        type: 'string',
        describe: 'First date (default: 2 days before the end)',
      })
      .option('end_date', {
        alias: 'end-date',
        type: 'string',
        describe: 'Last date (default: the last date with something due)',
      })
      .option('sample_size', {
        alias: ['sample-size', 'population-sample-size'],
        type: 'number',
        default: 1,
        describe: 'Percent of clients to analyse (sample_id < N)',
      })
      .option('sql_output_dir', {
        alias: 'sql-output-dir',
        type: 'string',
        describe: 'Also write every query of the previewed dates to <dir>/<date>/<table>.sql',
      })
      .option('generate_population', {
        alias: 'generate-population',
        type: 'boolean',
        default: false,
        describe: 'Analyse a random population instead of real enrollments (experiments not launched yet)',
      })
      .option('export', {
        type: 'boolean',
        default: false,
        describe: 'Also write JSON exports, under <export dir>/<dataset>/ (a preview writes none by default)',
      }),
  handler: async (args) => {
    checkDateRange(args.start_date, args.end_date);
    const configOverride = await readConfigFile(args.config_file);
    const input = checkedInput(
      PreviewInput,
      {
        slug: args.experiment_slug,
        configOverride,
        startDate: args.start_date ?? null,
        endDate: args.end_date ?? null,
        ...(args.analysis_periods ? { periods: args.analysis_periods } : {}),
        sampleSize: args.sample_size,
        generatePopulation: args.generate_population,
        exports: args.export,
        lenient: args.lenient,
        ...(args.dataset_id ? { dataset: args.dataset_id } : {}),
      },
      'preview',
    );
    const result = (await runWorkflowCommand({
      workflowType: 'preview',
      workflowId: workflowIds.preview(input.slug, input.dataset),
      input,
      summary: `preview of ${input.slug}`,
      args,
    })) as PreviewResult | undefined;
    if (result && args.sql_output_dir) {
      const { defaultConfigRepos } = await import('../../config/collection.js');
      const { defaultExperimentsFile } = await import('../../experiments/source.js');
      const { planSql } = await import('../plan-sql.js');
      const { dateRange } = await import('../../dates.js');
      const lines = await planSql({
        slug: result.slug,
        dates: dateRange(result.startDate, result.endDate),
        experimentsFile: args.experiments_file ?? defaultExperimentsFile(),
        configRepos: args.config_repos ?? defaultConfigRepos(),
        configFile: args.config_file ?? null,
        dataset: result.dataset,
        periods: input.periods,
        sampleSize: result.sampleSize,
        outputDir: args.sql_output_dir,
      });
      process.stderr.write(
        `wrote ${lines.filter((l) => l.includes('\t')).length} queries to ${args.sql_output_dir}\n`,
      );
    }
  },
};
