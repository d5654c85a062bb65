import type { CommandModule } from 'yargs';
import { plural } from '../../plural.js';
import { byteSizeForms, parseByteSize } from '../../warehouse/cost.js';
import type { PreviewInput } from '../../workflows/inputs.js';
import type { PreviewResult } from '../../workflows/preview.js';
import type { DashboardNote } from '../dashboard-note.js';
import { CliError } from '../errors.js';
import { checkPreviewDates, givenDataset } from '../option-values.js';
import {
  type CommonArgs,
  commonOptions,
  experimenterUrlOption,
  sharedTextOption,
  verboseOption,
} from '../options.js';

interface PreviewArgs extends CommonArgs {
  experiment_slug: string;
  start_date?: string;
  end_date?: string;
  sample_size: number;
  generate_population: boolean;
  sql_output_dir?: string;
  export: boolean;
  num_days?: number;
  platform?: string;
  max_bytes?: string;
  price_per_tib: number;
}

function maxBytesOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  const bytes = parseByteSize(text);
  if (bytes === null) {
    throw new CliError(`--max_bytes ${JSON.stringify(text)}: expected ${byteSizeForms('0 or more')}`, 2);
  }
  return bytes;
}

export const previewCommand: CommandModule<object, PreviewArgs> = {
  command: 'preview',
  describe: 'Preview an analysis on a small sample over a few days, before a config is merged',
  builder: (y) =>
    verboseOption(
      commonOptions(y, {
        withConfigFile: true,
        // Not the results dataset: a preview writes beside it, never to the production one. Its
        // default is the preview input's (PREVIEW_DATASET), named here so the parser loads no schema.
        dataset: "Dataset for the preview's tables (default: tmp; never contrail, the production one)",
      }),
      'sdk-warnings',
    )
      .option('experiment_slug', {
        ...sharedTextOption(
          'experiment_slug',
          'Experiment to preview (with --config_file: the experiment that config is for)',
        ),
        demandOption: true,
      })
      .option(
        'config_file',
        sharedTextOption('config_file', 'Custom experiment config (TOML) to preview instead of the repo one'),
      )
      .option('start_date', sharedTextOption('start_date', 'First date (default: --num_days before the end)'))
      .option('num_days', {
        alias: 'num-days',
        type: 'number',
        // No parser default: given beside --start_date it is refused, left out it is the input's 3.
        describe: 'Days to analyse, ending at --end_date (default: 3; not with --start_date)',
      })
      .option('platform', {
        type: 'string',
        describe:
          "Platform/app to analyse (firefox_desktop, fenix, …) in place of the experiment's; needed to preview a config whose experiment Experimenter does not know (with --config_file and --generate_population)",
      })
      .option('max_bytes', {
        alias: 'max-bytes',
        type: 'string',
        describe:
          'Refuse, before any query runs, a preview estimated to be billed more than this (bytes, or with a unit: 500MB, 2GiB, 1TB)',
      })
      .option('price_per_tib', {
        alias: 'price-per-tib',
        type: 'number',
        default: 6.25,
        describe: 'On-demand price in US dollars per TiB billed, for the cost shown',
      })
      .option(
        'experimenter_url',
        experimenterUrlOption(
          "Experimenter's address, e.g. https://experimenter.services.mozilla.com (default: CONTRAIL_EXPERIMENTER_URL, else the experiments file); drafts are previewed too",
        ),
      )
      .option(
        'end_date',
        sharedTextOption('end_date', 'Last date (default: the last date with something due)'),
      )
      .option('sample_size', {
        alias: ['sample-size', 'population-sample-size', 'population_sample_size'],
        type: 'number',
        default: 1,
        describe: 'Percent of clients to analyse (sample_id < N)',
      })
      .option(
        'sql_output_dir',
        sharedTextOption(
          'sql_output_dir',
          "Also write every query of the previewed dates to <dir>/<date>/<table>.sql (replacing the files this experiment's previous preview wrote there)",
        ),
      )
      .option('generate_population', {
        alias: 'generate-population',
        type: 'boolean',
        default: false,
        describe:
          'Analyse a random population instead of real enrollments (experiments not launched yet); an experiment whose enrollment does not end by the first previewed date enrolls over its enrollment period up to it',
      })
      .option('export', {
        type: 'boolean',
        default: false,
        describe: 'Also write JSON exports, under <export dir>/<dataset>/ (a preview writes none by default)',
      }),
  handler: async (args) => {
    const { checkDateRange, checkedInput, checkNotAfterToday, readConfigFile, runWorkflowCommand } =
      await import('../workflow-command.js');
    const { PREVIEW_MAX_DAYS, PreviewInput } = await import('../../workflows/inputs.js');
    const { workflowIds } = await import('../../workflows/ids.js');
    checkDateRange(args.start_date, args.end_date);
    checkNotAfterToday({ '--start_date': args.start_date, '--end_date': args.end_date });
    await checkPreviewDates(args, PREVIEW_MAX_DAYS);
    // Made before anything starts, so that a preview running for minutes does not fail at its end
    // on where it writes; gone again if the preview fails before writing into it.
    const { writingInto } = await import('../output-dir.js');
    await writingInto(args.sql_output_dir, '--sql_output_dir', async () => {
      const configOverride = await readConfigFile(args.config_file);
      const { runtimeSettings } = await import('../../settings.js');
      // The embedded worker reads the config repos this command names (a cluster's its own).
      if (!runtimeSettings().temporalAddress) {
        const { checkPlatformOf, configReposOf, platformOfUnknownExperiment } = await import(
          '../config-repos.js'
        );
        const { defaultConfigRepos } = await import('../../config/collection.js');
        const { defaultExperimentsFile } = await import('../../experiments/source.js');
        if (args.config_file !== undefined) args.config_repos = configReposOf(args);
        // A config whose experiment the experiments file may not know is checked here, with or
        // without --platform, so that its author learns of a typo before a server starts
        // (Experimenter's records are the worker's to read).
        const localConfig = args.experimenter_url ? undefined : args.config_file;
        if (args.platform !== undefined) {
          await checkPlatformOf(args.platform, args.config_repos, {
            slug: args.experiment_slug,
            config:
              localConfig === undefined
                ? undefined
                : {
                    configFile: localConfig,
                    experimentsFile: args.experiments_file ?? defaultExperimentsFile(),
                    lenient: args.lenient,
                  },
          });
        } else if (localConfig !== undefined) {
          args.platform =
            (await platformOfUnknownExperiment({
              slug: args.experiment_slug,
              configFile: localConfig,
              repos: args.config_repos ?? defaultConfigRepos(),
              experimentsFile: args.experiments_file ?? defaultExperimentsFile(),
              lenient: args.lenient,
            })) ?? undefined;
        }
      }
      const input = checkedInput(
        PreviewInput,
        {
          slug: args.experiment_slug,
          configOverride,
          startDate: args.start_date ?? null,
          endDate: args.end_date ?? null,
          ...(args.analysis_periods ? { periods: args.analysis_periods } : {}),
          sampleSize: args.sample_size,
          ...(args.num_days === undefined ? {} : { numDays: args.num_days }),
          platform: args.platform ?? null,
          maxBytes: maxBytesOf(args.max_bytes),
          usdPerTib: args.price_per_tib,
          generatePopulation: args.generate_population,
          exports: args.export,
          lenient: args.lenient,
          ...(args.dataset_id ? { dataset: givenDataset(args.dataset_id) } : {}),
        },
        'preview',
      );
      // The dashboard running on the warehouse of the preview, if one is: the report names its port.
      const { portIsFree } = await import('../ports.js');
      const { previewOnBigQuery } = await import('../preview-report.js');
      let dashboard: DashboardNote | null = null;
      // Where the embedded worker wrote the JSON exports (a cluster's worker has its own export location).
      const exportDir = async (result: PreviewResult): Promise<string | null> => {
        if (!args.export || result.days.length === 0 || runtimeSettings().temporalAddress) return null;
        const { defaultExportDir } = await import('../runtime.js');
        const { warehouseKind } = await import('../../settings.js');
        const { embeddedWorkerEnv } = await import('../workflow-command.js');
        const dir = defaultExportDir(embeddedWorkerEnv(args, warehouseKind(), process.env, { quiet: true }));
        return `${dir.replace(/\/+$/, '')}/${result.dataset}/`;
      };
      // Read once the preview has ended: a dashboard may have been started meanwhile.
      const reportContext = async (value: unknown) => {
        const result = value as PreviewResult;
        const noted = await shownOn(previewOnBigQuery(result), args);
        dashboard = noted && !(await portIsFree(noted.port)) ? noted : null;
        const exports = await exportDir(result);
        return {
          ...(dashboard ? { dashboardPort: dashboard.port } : {}),
          ...(exports ? { exportDir: exports } : {}),
        };
      };
      // After the report, also when dates failed: the author of a failing config needs its SQL most.
      const afterReport = async (value: unknown) => {
        const result = value as PreviewResult;
        if (args.sql_output_dir) {
          const written = await writePreviewSql(args, result, input);
          process.stderr.write(`${describeWrittenSql(written, args.sql_output_dir, result)}\n`);
        }
        if (args.json) {
          // The report that names the exports is not printed: the JSON is.
          const exports = await exportDir(result);
          if (exports) process.stderr.write(`JSON exports: ${exports}\n`);
          return;
        }
        await sayDashboardHint(args.sql_output_dir, dashboard, result);
      };
      await runWorkflowCommand({
        workflowType: 'preview',
        workflowId: workflowIds.preview(input.slug, input.dataset),
        input,
        summary: `preview of ${input.slug}`,
        args,
        afterReport,
        reportContext,
      });
    });
  },
};

/**
 * Writes every query of a preview to `--sql_output_dir` as its worker ran it: in the dialect of
 * the warehouse it ran on (CONTRAIL_WAREHOUSE), on BigQuery naming the project of
 * `--project_id` or CONTRAIL_BIGQUERY_PROJECT and the source project, so the files are the SQL
 * to run again in BigQuery's console. Of an interrupted preview, only the dates that ran (the
 * one stopped part way included): files of dates that never ran would read as SQL that did.
 * Returns how many queries it wrote.
 */
export async function writePreviewSql(
  args: Pick<
    PreviewArgs,
    'sql_output_dir' | 'experiments_file' | 'config_repos' | 'config_file' | 'experimenter_url' | 'project_id'
  > &
    Partial<Pick<PreviewArgs, 'lenient'>>,
  result: Pick<PreviewResult, 'slug' | 'startDate' | 'endDate' | 'dataset' | 'sampleSize' | 'interrupted'>,
  input: { periods?: PreviewInput['periods']; platform?: string | null; generatePopulation?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { defaultConfigRepos } = await import('../../config/collection.js');
  const { defaultExperimentsFile } = await import('../../experiments/source.js');
  const { planSql } = await import('../plan-sql.js');
  const { dateRange } = await import('../../dates.js');
  const { warehouseKind } = await import('../../settings.js');
  const { embeddedWorkerEnv } = await import('../workflow-command.js');
  const dialect = warehouseKind(env);
  const notRun = result.interrupted ? datesNotRun(result.interrupted) : [];
  const lines = await planSql({
    slug: result.slug,
    dates: dateRange(result.startDate, result.endDate).filter((date) => !notRun.includes(date)),
    experimentsFile: args.experiments_file ?? defaultExperimentsFile(env),
    configRepos: args.config_repos ?? defaultConfigRepos(env),
    configFile: args.config_file ?? null,
    dataset: result.dataset,
    ...(input.periods ? { periods: input.periods } : {}),
    sampleSize: result.sampleSize,
    outputDir: args.sql_output_dir ?? null,
    platform: input.platform ?? null,
    lenient: args.lenient ?? false,
    ...(input.generatePopulation ? { generatePopulation: true } : {}),
    dialect,
    env: embeddedWorkerEnv(args, dialect, env, { quiet: true }),
    ...(args.experimenter_url ? { experimenterUrl: args.experimenter_url } : {}),
  });
  return lines.filter((l) => l.includes('\t')).length;
}

/**
 * The dates an interrupted preview did not start: those after the one it stopped part way, and
 * that one too when it never started (the interruption came as the date before published).
 */
export function datesNotRun(stop: NonNullable<PreviewResult['interrupted']>): string[] {
  return stop.notStarted ? [stop.date, ...stop.notRun] : stop.notRun;
}

/** What the preview wrote to `--sql_output_dir`, and of an interrupted one, which dates it did not write. */
export function describeWrittenSql(
  written: number,
  dir: string,
  result: Pick<PreviewResult, 'interrupted'>,
): string {
  const notRun = result.interrupted ? datesNotRun(result.interrupted) : [];
  const [first, last] = [notRun[0], notRun.at(-1)];
  const skipped =
    first === undefined || last === undefined
      ? ''
      : `: those of the dates that ran; none of ${first === last ? first : `${first} … ${last}`}, not run (interrupted)`;
  return `wrote ${plural(written, 'query', 'queries')} to ${dir}${skipped}`;
}

/**
 * The dashboard noted on the warehouse the preview wrote to, if this shell's settings name it
 * (a cluster's worker may write to BigQuery while this shell's settings name the embedded file).
 */
async function shownOn(
  onBigQuery: boolean,
  args: Pick<PreviewArgs, 'project_id'>,
): Promise<DashboardNote | null> {
  const { warehouseKind } = await import('../../settings.js');
  const { embeddedWorkerEnv } = await import('../workflow-command.js');
  const { warehousePlace } = await import('../warehouse-place.js');
  const { runningDashboard } = await import('../dashboard-note.js');
  const kind = warehouseKind();
  if (onBigQuery !== (kind === 'bigquery')) return null;
  try {
    return runningDashboard(
      warehousePlace(kind, embeddedWorkerEnv(args, kind, process.env, { quiet: true })),
    );
  } catch {
    // Settings that name no project: no dashboard can be noted for it.
    return null;
  }
}

/** Says, after the report, what the reader of the preview needs to see it on the dashboard. */
async function sayDashboardHint(
  sqlOutputDir: string | undefined,
  running: DashboardNote | null,
  result: PreviewResult,
) {
  const { portIsFree } = await import('../ports.js');
  const { DEFAULT_DASHBOARD_PORT } = await import('../../dashboard/url.js');
  const { warehouseKind } = await import('../../settings.js');
  const { dashboardHint, previewDashboardUrl, previewOnBigQuery } = await import('../preview-report.js');
  const onBigQuery = previewOnBigQuery(result);
  const hint = dashboardHint({
    // The URL the report printed: the running dashboard's port, else the default one.
    url: previewDashboardUrl(result, running ? { dashboardPort: running.port } : {}),
    ...(sqlOutputDir ? { sqlOutputDir } : {}),
    running,
    defaultPortFree: running !== null || (await portIsFree(DEFAULT_DASHBOARD_PORT)),
    // The worker that wrote to BigQuery had its settings; this shell may not (a cluster's preview).
    settingsNeeded: onBigQuery && warehouseKind() !== 'bigquery',
  });
  if (hint !== null) process.stderr.write(`${hint}\n`);
}
