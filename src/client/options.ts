import type { Argv } from 'yargs';

// The options of the commands, apart from what running them needs: the CLI builds its parser
// (help, usage errors) from these, so this module imports nothing but yargs' types.

/** Options every analysis command shares, with jetstream's names (both spellings). */
export interface CommonArgs {
  config_repos?: string[];
  config_file?: string;
  analysis_periods?: string[];
  dataset_id?: string;
  project_id?: string;
  detach: boolean;
  json: boolean;
  lenient: boolean;
  experiments_file?: string;
  /** Experimenter's address for the embedded worker (preview only). */
  experimenter_url?: string;
  verbose?: boolean;
}

/**
 * A repeatable option: one value per flag, as jetstream's click options take them
 * (`--config_repos a --config_repos b`), so a positional argument after it stays positional.
 */
export function repeatable(describe: string) {
  return { type: 'string', array: true, nargs: 1, requiresArg: true, describe } as const;
}

/** `--use-latest` / `--use-version`: the commands that analyse an experiment on its pinned build. */
export interface VersionArgs {
  'use-latest': boolean;
  'use-version'?: string;
}

export function versionOptions<T>(y: Argv<T>) {
  return y
    .option('use-latest', {
      alias: 'use_latest',
      type: 'boolean',
      default: false,
      describe:
        'Analyse on the latest contrail release instead of the one the experiment is pinned to (its anchor does not move)',
    })
    .option('use-version', {
      alias: 'use_version',
      type: 'string',
      describe: 'Analyse on this contrail release (a version or a build id) instead of the pinned one',
    });
}

/** The workflow input fields of `--use-latest` / `--use-version`. */
export function versionFields(args: VersionArgs): { useLatest: boolean; useVersion: string | null } {
  return { useLatest: args['use-latest'], useVersion: args['use-version'] ?? null };
}

export function commonOptions<T>(y: Argv<T>) {
  return y
    .option('config_repos', {
      alias: 'config-repos',
      ...repeatable(
        'Config repo (git or directory), repeatable, merged in order (default: CONTRAIL_CONFIG_REPOS or the demo repo)',
      ),
    })
    .option('analysis_periods', {
      alias: 'analysis-periods',
      ...repeatable(
        'Only this period, repeatable: day, week, days28, overall, preenrollment_week, preenrollment_days28',
      ),
    })
    .option('dataset_id', { alias: 'dataset-id', type: 'string', describe: 'Dataset for result tables' })
    .option('project_id', {
      alias: 'project-id',
      type: 'string',
      describe: 'Warehouse project (BigQuery only)',
    })
    .option('experiments_file', {
      alias: 'experiments-file',
      type: 'string',
      describe: 'Experimenter v8 JSON file (default: CONTRAIL_EXPERIMENTS_FILE or the demo experiments)',
    })
    .option('lenient', {
      type: 'boolean',
      default: false,
      describe: 'Unknown config keys are warnings, not errors',
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print the workflow result as JSON' })
    .option('detach', {
      type: 'boolean',
      default: false,
      describe: 'Print the workflow id and Web UI link instead of waiting (needs TEMPORAL_ADDRESS)',
    });
}
