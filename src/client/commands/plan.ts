import type { CommandModule } from 'yargs';
import { contrailCommand } from '../../command-name.js';
import { CliError } from '../errors.js';
import { resultsDataset } from '../option-values.js';
import { choiceOf, configReposOption, experimentsFileOption, sharedTextOption } from '../options.js';

interface PlanArgs {
  experiment_slug: string;
  date: string;
  sql_output_dir?: string;
  config_repos?: string[];
  config_file?: string;
  experiments_file?: string;
  platform?: string;
  dataset_id?: string;
  dialect?: 'duckdb' | 'bigquery';
  lenient: boolean;
}

/** How plan takes a config for an experiment no experiments source knows: its own options only. */
export const PLAN_UNKNOWN_HINT =
  'to plan a config for an experiment no source knows, pass --config_file, and --platform unless one platform defines everything it references';

export const planCommand: CommandModule<object, PlanArgs> = {
  command: 'plan',
  describe:
    "Render (without running) every query of an experiment's analysis on a date: their SQL, or one file per table with --sql_output_dir",
  builder: (yargs) =>
    yargs
      .option('experiment_slug', {
        ...sharedTextOption('experiment_slug', 'Experiment slug'),
        demandOption: true,
      })
      .option('date', { type: 'string', demandOption: true, describe: 'Analysis date, YYYY-MM-DD' })
      .option(
        'sql_output_dir',
        sharedTextOption(
          'sql_output_dir',
          'Write each query to <dir>/<table>.sql (and provenance.json: the config lines behind each column) instead of printing the SQL; the files an earlier plan or preview of the experiment wrote there and this one does not are removed',
        ),
      )
      .option(
        'config_repos',
        configReposOption(
          'Config repo (metric-hub layout), repeatable; later ones override earlier ones (default: CONTRAIL_CONFIG_REPOS, else the metric-hub checkout the --config_file is in, else the demo repo)',
        ),
      )
      .option(
        'config_file',
        sharedTextOption('config_file', 'Custom experiment config (TOML) instead of the repo one'),
      )
      .option('platform', {
        type: 'string',
        describe:
          "Platform/app to plan for (firefox_desktop, fenix, …) in place of the experiment's; needed to plan a config whose experiment no experiments source knows (with --config_file): it is planned on a synthetic record with two branches and the config's [experiment] dates, as preview does",
      })
      .option(
        'experiments_file',
        experimentsFileOption(
          'Experimenter v8 JSON list (default: CONTRAIL_EXPERIMENTS_FILE or the demo experiments)',
        ),
      )
      .option(
        'dataset_id',
        sharedTextOption(
          'dataset_id',
          'Dataset the result tables are written to (default: CONTRAIL_BIGQUERY_DATASET on BigQuery, else contrail)',
        ),
      )
      .option('lenient', {
        type: 'boolean',
        default: false,
        describe: 'Unknown config keys are warnings, not errors (as run and preview take --lenient)',
      })
      .option('dialect', {
        ...choiceOf('--dialect', ['duckdb', 'bigquery']),
        describe:
          "SQL dialect to render: the embedded DuckDB warehouse's or BigQuery's (default: CONTRAIL_WAREHOUSE's, else duckdb)",
      }),
  handler: async (args) => {
    const { IsoDate } = await import('../../dates.js');
    const { warehouseKind } = await import('../../settings.js');
    const date = IsoDate.safeParse(args.date);
    if (!date.success)
      throw new CliError(`--date: expected a real date as YYYY-MM-DD, got ${JSON.stringify(args.date)}`, 2);
    // Made before the configs are read; gone again if planning fails before writing into it.
    const { writingInto } = await import('../output-dir.js');
    await writingInto(args.sql_output_dir, '--sql_output_dir', async () => {
      const { checkPlatformOf, configReposOf, platformOfUnknownExperiment } = await import(
        '../config-repos.js'
      );
      const { defaultExperimentsFile } = await import('../../experiments/source.js');
      const { planQueries, planSql } = await import('../plan-sql.js');
      const configRepos = configReposOf(args);
      const experimentsFile = args.experiments_file ?? defaultExperimentsFile();
      if (args.platform !== undefined) await checkPlatformOf(args.platform, configRepos);
      else if (args.config_file !== undefined && !args.experimenter_url) {
        args.platform =
          (await platformOfUnknownExperiment({
            slug: args.experiment_slug,
            configFile: args.config_file,
            repos: configRepos,
            experimentsFile,
            lenient: args.lenient,
          })) ?? undefined;
      }
      const options = {
        slug: args.experiment_slug,
        dates: [date.data],
        experimentsFile,
        configRepos,
        configFile: args.config_file ?? null,
        dataset: resultsDataset(args.dataset_id),
        // The SQL the configured warehouse would run: a BigQuery user's plan is in BigQuery SQL.
        dialect: args.dialect ?? warehouseKind(),
        platform: args.platform ?? null,
        lenient: args.lenient,
        unknownHint: PLAN_UNKNOWN_HINT,
      };
      if (args.sql_output_dir) {
        // One date: its files need no directory of their own.
        const lines = await planSql({ ...options, outputDir: args.sql_output_dir, byDate: false });
        process.stdout.write(`${lines.join('\n')}\n`);
        return;
      }
      // Without a directory the SQL itself is what a config author is after: every query, headed
      // by the table it writes, on stdout (ready for a pager or a file); where files come from, on stderr.
      const [day] = await planQueries(options);
      const queries = day?.queries ?? [];
      if (queries.length === 0) {
        process.stdout.write(
          `-- nothing to compute for ${args.experiment_slug} on ${date.data}${day?.nothingDue ? `: ${day.nothingDue}` : ''}\n`,
        );
        return;
      }
      process.stdout.write(
        queries
          .map((q) => `-- destination: ${q.destination.dataset}.${q.destination.table}\n${q.sql.trimEnd()}\n`)
          .join('\n'),
      );
      process.stderr.write(
        `${queries.length} quer${queries.length === 1 ? 'y' : 'ies'}; --sql_output_dir DIR writes one file per table (DIR/<table>.sql) with provenance.json, for \`${contrailCommand()} dashboard --sql_output_dir DIR\`\n`,
      );
    });
  },
};
