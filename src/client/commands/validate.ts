import type { CommandModule } from 'yargs';
import { CliError } from '../errors.js';

interface ValidateArgs {
  files: string[];
  config_repos?: string[];
  platform?: string;
  lenient: boolean;
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
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'TOML config files' })
      .option('config_repos', {
        alias: 'config-repos',
        type: 'string',
        array: true,
        describe:
          'Config repo (directory or git repo), repeatable; later ones override earlier ones. Default: CONTRAIL_CONFIG_REPOS, else the demo repo',
      })
      .option('platform', {
        type: 'string',
        describe: 'Platform of the experiment configs (default: inferred from what they reference)',
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
        type: 'number',
        default: 10,
        describe: 'TB one query may scan before exit code 2',
      })
      .option('high_tb', {
        type: 'number',
        default: 20,
        describe: 'TB one query may scan before exit code 3',
      })
      .option('project_id', {
        alias: 'project-id',
        type: 'string',
        describe: 'BigQuery project for dry runs',
      }),
  handler: async (args) => {
    const { defaultConfigRepos, loadConfigCollection } = await import('../../config/collection.js');
    const { ConfigError, formatProblem } = await import('../../config/problems.js');
    const { validateConfigFile } = await import('../../config/validate.js');
    const repos =
      args.config_repos && args.config_repos.length > 0 ? args.config_repos : defaultConfigRepos();
    let collection: Awaited<ReturnType<typeof loadConfigCollection>>;
    try {
      collection = await loadConfigCollection({ repos });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stdout.write(`${error.message}\n`);
      throw new CliError(`the config repos do not load (${repos.join(', ')})`);
    }
    let invalid = 0;
    const valid: { file: string; platform: string }[] = [];
    for (const file of args.files) {
      const result = validateConfigFile(collection, file, { platform: args.platform, lenient: args.lenient });
      if (result.errors.length === 0 && result.platform) valid.push({ file, platform: result.platform });
      const platform = result.platform ? ` (${result.platform})` : '';
      if (result.errors.length === 0) process.stdout.write(`ok       ${file}${platform}\n`);
      else {
        invalid += 1;
        process.stdout.write(`invalid  ${file}${platform}\n`);
      }
      for (const p of result.errors) process.stdout.write(`  error: ${formatProblem(p)}\n`);
      for (const p of result.warnings) process.stdout.write(`  warning: ${formatProblem(p)}\n`);
    }
    if (invalid > 0)
      throw new CliError(
        `${invalid} of ${args.files.length} config file${args.files.length === 1 ? ' is' : 's are'} invalid`,
      );
    if (args.dry_run) {
      const { dryRunConfigs } = await import('../validate-dry-run.js');
      await dryRunConfigs(collection, valid, {
        thresholdsTb: { moderate: args.moderate_tb, high: args.high_tb },
        ...(args.project_id ? { projectId: args.project_id } : {}),
        write: (line) => process.stdout.write(`${line}\n`),
      });
    }
  },
};
