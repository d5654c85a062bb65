import { basename } from 'node:path';
import type { CommandModule } from 'yargs';
import { contrailCommand } from '../../command-name.js';
import { CliError } from '../errors.js';
import { configReposOption, experimentsFileOption, sharedTextOption } from '../options.js';

interface ValidateArgs {
  files: string[];
  config_repos?: string[];
  platform?: string;
  experiments_file?: string;
  lenient: boolean;
  check_sql: boolean;
  dry_run: boolean;
  moderate_tb: number;
  high_tb: number;
  project_id?: string;
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <files..>',
  describe:
    'Check experiment configs (and other metric-hub files) against the config repos; exit 1 if any is invalid',
  builder: (yargs) =>
    yargs
      .positional('files', {
        type: 'string',
        array: true,
        demandOption: true,
        // yargs gives a variadic positional `[]` as its default, which the help would show beside
        // [required]: at least one file or directory is required, and there is no default.
        default: undefined,
        describe: 'TOML config files, or directories: every .toml file under them',
      })
      .option(
        'config_repos',
        configReposOption(
          'Config repo: a local directory, git checkout or plain (not a URL), repeatable; later ones override earlier ones. Default: CONTRAIL_CONFIG_REPOS, else the metric-hub checkout the files are in, else the demo repo',
        ),
      )
      .option('platform', {
        type: 'string',
        describe:
          "Platform of the experiment configs (default: the experiment's record, else inferred from what they reference, else firefox_desktop)",
      })
      .option(
        'experiments_file',
        experimentsFileOption(
          'Experimenter v8 JSON file the experiments are looked up in (default: CONTRAIL_EXPERIMENTS_FILE or the demo experiments)',
        ),
      )
      .option('check_sql', {
        alias: 'check-sql',
        type: 'boolean',
        default: true,
        describe:
          "Check that each experiment's SQL compiles (EXPLAIN on an empty copy of the embedded warehouse's tables); --no-check_sql skips it",
      })
      .option('lenient', {
        type: 'boolean',
        default: false,
        describe: 'Report unknown keys as warnings, not errors',
      })
      .option('dry_run', {
        alias: 'dry-run',
        type: 'boolean',
        default: false,
        describe:
          'Dry-run the enrollment and metric queries on the warehouse (CONTRAIL_WAREHOUSE): bytes and cost; exit 2 above --moderate_tb, 3 above --high_tb',
      })
      .option('moderate_tb', {
        alias: 'moderate-tb',
        type: 'number',
        default: 10,
        describe: 'TB one query may scan before exit code 2',
      })
      .option('high_tb', {
        alias: 'high-tb',
        type: 'number',
        default: 20,
        describe: 'TB one query may scan before exit code 3',
      })
      .option('project_id', sharedTextOption('project_id', 'BigQuery project for dry runs')),
  handler: async (args) => {
    // The thresholds are checked before any file is: a bad one found after every config was
    // checked and printed would throw that work away.
    if (args.dry_run && !(args.moderate_tb > 0 && args.high_tb >= args.moderate_tb)) {
      throw new CliError(
        `--moderate_tb (${args.moderate_tb}) must be positive and at most --high_tb (${args.high_tb})`,
        2,
      );
    }
    const { chooseConfigRepos, loadConfigCollection } = await import('../../config/collection.js');
    const { ConfigError, formatProblem } = await import('../../config/problems.js');
    const { configFilesOf, validateConfigFile } = await import('../../config/validate.js');
    const { isPermanent } = await import('../../errors.js');
    const { WarehouseBusyError } = await import('../../warehouse/errors.js');
    const { defaultExperimentsFile, localExperimentSource, ExperimentsFileError } = await import(
      '../../experiments/source.js'
    );
    const onBigQuery = args.dry_run
      ? await (await import('../validate-dry-run.js')).checkDryRunWarehouse(args.project_id)
      : false;
    const experimentsFile = args.experiments_file ?? defaultExperimentsFile();
    let experiments: Awaited<ReturnType<ReturnType<typeof localExperimentSource>['list']>>;
    try {
      experiments = await localExperimentSource(experimentsFile).forPreview().list();
    } catch (error) {
      if (!(error instanceof ExperimentsFileError)) throw error;
      // Named as it was given: the option, else the setting (the demo file always reads).
      throw new CliError(
        `${args.experiments_file ? '--experiments_file' : 'CONTRAIL_EXPERIMENTS_FILE'}: ${error.message}`,
      );
    }
    let choice: ReturnType<typeof chooseConfigRepos>;
    try {
      choice = chooseConfigRepos({ given: args.config_repos, files: args.files });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new CliError(error.problems.map((p) => p.message).join('; '), 2);
    }
    const { repos } = choice;
    // Which definitions a file was checked against decides what "not defined" means: always said.
    const why = {
      option: '--config_repos',
      environment: 'CONTRAIL_CONFIG_REPOS',
      checkout: 'the metric-hub checkout the files are in',
      demo: "contrail's demo repo; --config_repos or CONTRAIL_CONFIG_REPOS names others",
    }[choice.source];
    process.stdout.write(`config repos: ${repos.join(', ')} (${why})\n`);
    let collection: Awaited<ReturnType<typeof loadConfigCollection>>;
    try {
      collection = await loadConfigCollection({ repos });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stdout.write(`${error.message}\n`);
      throw new CliError(`the config repos do not load (${repos.join(', ')})`);
    }
    if (args.platform !== undefined) {
      const { checkPlatformOption } = await import('../config-repos.js');
      checkPlatformOption(args.platform, collection.platforms(), repos);
    }
    const files = configFilesOf(args.files);
    const { existsSync } = await import('node:fs');
    const { checkAnalysisSql } = await import('../../sql/check.js');
    const { openScratchDuckDb } = await import('../../sql/check-scratch.js');
    const { mozdataFile } = await import('../../warehouse/duckdb-sessions.js');
    let scratch: Awaited<ReturnType<typeof openScratchDuckDb>> | null = null;
    const telemetry = existsSync(mozdataFile());
    // With --dry_run on BigQuery the SQL is checked there, below: no need to say how to get it checked.
    if (args.check_sql && !telemetry && !onBigQuery)
      process.stderr.write(
        `contrail: the embedded warehouse holds no telemetry (${mozdataFile()}), so the SQL is planned but not run: \`${contrailCommand()} sample\` writes demo telemetry, \`validate --dry_run\` checks it on BigQuery\n`,
      );
    let invalid = 0;
    // A warning about a shared file (a definitions or outcome file every experiment of a platform
    // reads) would otherwise be repeated under every experiment that uses it: hundreds of copies
    // over a whole repo. It is shown once, under the first file that reports it.
    const sharedWarningsShown = new Set<string>();
    let sharedWarningsHidden = 0;
    // Likewise a table the embedded warehouse lacks: every experiment reading it would say so
    // (166 times for one search table over metric-hub). Named under the first file that reads it;
    // how many files read it is said once at the end.
    const uncheckedTables = new Map<string, number>();
    const valid: { file: string; spec: import('../../config/spec.js').AnalysisSpec }[] = [];
    const previewable: import('../preview-command.js').PreviewableConfig[] = [];
    const { lastEnrollmentDate } = await import('../../sql/windows.js');
    const { isoDate } = await import('../../dates.js');
    const today = isoDate(new Date());
    // Ctrl-C stops between two files, checked or dry-run: a whole metric-hub takes a minute or
    // more, and what was done is said with what was not (validate writes nothing, so nothing is
    // left half-done).
    const { onInterrupt } = await import('../interrupt.js');
    let interrupted: NodeJS.Signals | null = null;
    const stopInterrupts = onInterrupt(async (signal) => {
      interrupted = signal;
    });
    try {
      let checked = 0;
      try {
        for (const file of files) {
          if (interrupted !== null) break;
          checked += 1;
          const slug = basename(file).replace(/\.toml$/, '');
          let result: ReturnType<typeof validateConfigFile> | null = null;
          const experiment = experiments.find((e) => e.slug === slug) ?? null;
          try {
            result = validateConfigFile(collection, file, {
              ...(args.platform ? { platform: args.platform } : {}),
              experiment,
              lenient: args.lenient,
            });
            if (args.check_sql && result.errors.length === 0 && result.resolved) {
              scratch ??= await openScratchDuckDb(telemetry ? mozdataFile() : null);
              const sql = await checkAnalysisSql(scratch.warehouse, result.resolved.spec, {
                dataset: 'contrail_validate',
                synthetic: scratch.synthetic,
                planOnly: !telemetry,
              });
              result.errors.push(...sql.errors);
              result.warnings.push(...sql.warnings);
              const firstReaders = sql.unchecked.filter((table) => !uncheckedTables.has(table));
              for (const table of sql.unchecked)
                uncheckedTables.set(table, (uncheckedTables.get(table) ?? 0) + 1);
              if (firstReaders.length > 0)
                result.notes.push(
                  `SQL reading ${firstReaders.join(', ')} not checked: the embedded warehouse has no such table`,
                );
            }
          } catch (error) {
            // What contrail refuses about one file (a name it cannot make, SQL it cannot plan) makes
            // that file invalid; the other files are still checked. Anything that could go away on
            // another try (a busy warehouse) or that is not contrail's verdict stops the command.
            if (error instanceof WarehouseBusyError)
              throw new CliError(
                `${error.message}: run validate again once it is done, or pass --no-check_sql`,
              );
            if (!isPermanent(error)) throw error;
            result = {
              file,
              platform: result?.platform ?? null,
              errors: [{ file, line: null, keyPath: '', message: (error as Error).message }],
              warnings: result?.warnings ?? [],
              notes: result?.notes ?? [],
              resolved: null,
            };
          }
          if (result.errors.length === 0 && result.resolved) {
            const { spec } = result.resolved;
            valid.push({ file, spec });
            previewable.push({
              file,
              slug,
              platform: spec.experiment.appName,
              known: experiment !== null,
              enrolled: (lastEnrollmentDate(spec) ?? today) < today,
            });
          }
          const platform = result.platform ? ` (${result.platform})` : '';
          if (result.errors.length === 0) process.stdout.write(`ok       ${file}${platform}\n`);
          else {
            invalid += 1;
            process.stdout.write(`invalid  ${file}${platform}\n`);
          }
          for (const note of result.notes) process.stdout.write(`  info: ${note}\n`);
          for (const p of result.errors) process.stdout.write(`  error: ${formatProblem(p)}\n`);
          for (const p of result.warnings) {
            const line = formatProblem(p);
            if (p.file !== file && sharedWarningsShown.has(line)) {
              sharedWarningsHidden += 1;
              continue;
            }
            sharedWarningsShown.add(line);
            process.stdout.write(`  warning: ${line}\n`);
          }
        }
      } finally {
        await scratch?.warehouse.close();
      }
      if (interrupted !== null)
        throw new CliError(
          `interrupted (${interrupted}) after checking ${checked} of ${files.length} config files${invalid > 0 ? ` (${invalid} invalid)` : ''}; the others were not checked`,
          130,
        );
      if (sharedWarningsHidden > 0)
        process.stdout.write(
          `(${sharedWarningsHidden} repeated warning${sharedWarningsHidden === 1 ? '' : 's'} about shared files not shown again: each is shown once, under the first file that uses it)\n`,
        );
      for (const [table, readers] of uncheckedTables)
        if (readers > 1)
          process.stdout.write(
            `(SQL reading ${table} not checked in ${readers} config files: the embedded warehouse has no such table; named only under the first)\n`,
          );
      if (invalid > 0)
        throw new CliError(
          `${invalid} of ${files.length} config file${files.length === 1 ? ' is' : 's are'} invalid`,
        );
      if (args.dry_run) {
        const { dryRunConfigs } = await import('../validate-dry-run.js');
        await dryRunConfigs(valid, {
          thresholdsTb: { moderate: args.moderate_tb, high: args.high_tb },
          ...(args.project_id ? { projectId: args.project_id } : {}),
          write: (line) => process.stdout.write(`${line}\n`),
          interrupted: () => interrupted,
        });
      }
      // The next step of an author whose config passed (and what a config repo's CI can show them).
      const { previewCommands } = await import('../preview-command.js');
      for (const line of previewCommands(previewable, {
        configRepos: choice.source === 'option' ? repos : undefined,
        experimentsFile: args.experiments_file,
      }))
        process.stdout.write(`${line}\n`);
    } finally {
      stopInterrupts();
    }
  },
};
