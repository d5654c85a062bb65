import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { Argv } from 'yargs';
import type { z } from 'zod';
import { customConfigText } from '../config/custom-config.js';
import { runtimeSettings } from '../settings.js';
import { InvalidWorkflowInput, parseInput } from '../workflows/inputs.js';
import { CliError } from './errors.js';
import { followWorkflow, startWorkflow, workflowUrl } from './follow.js';

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
      type: 'string',
      array: true,
      describe:
        'Config repos (git or directories), merged in order (default: CONTRAIL_CONFIG_REPOS or the demo repo)',
    })
    .option('analysis_periods', {
      alias: 'analysis-periods',
      type: 'string',
      array: true,
      describe: 'Only these periods: day, week, days28, overall, preenrollment_week, preenrollment_days28',
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
    .option('json', { type: 'boolean', default: false, describe: 'Print the workflow result as JSON' })
    .option('detach', {
      type: 'boolean',
      default: false,
      describe: 'Print the workflow id and Web UI link instead of waiting (needs TEMPORAL_ADDRESS)',
    });
}

/** Reads `--config_file` (a custom experiment config) as TOML text for the workflow input. */
export async function readConfigFile(path: string | undefined): Promise<string | null> {
  if (path === undefined) return null;
  try {
    return customConfigText(await readFile(path, 'utf8'), path);
  } catch (error) {
    throw new CliError(`--config_file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Validates a workflow input before anything starts; errors name the option's field. */
export function checkedInput<S extends z.ZodType>(schema: S, raw: unknown, workflow: string): z.output<S> {
  try {
    return parseInput(schema, raw, workflow);
  } catch (error) {
    if (error instanceof InvalidWorkflowInput) throw new CliError(error.message, 2);
    throw error;
  }
}

export interface RunWorkflowOptions {
  workflowType: string;
  workflowId: string;
  input: unknown;
  summary: string;
  args: CommonArgs;
  /** Formats the result for people (`--json` prints it as JSON instead). */
  describe: (result: unknown) => string;
  /**
   * What to print instead of the workflow's own result, read once it has finished (e.g. the
   * result of the one analysis a parent ran on its pinned build).
   */
  resultOf?: (client: Client, result: unknown) => Promise<unknown>;
}

/**
 * Starts a workflow (embedded mode or TEMPORAL_ADDRESS), follows its progress and prints the
 * outcome; with --detach, prints the workflow id and Web UI link and returns.
 */
export async function runWorkflowCommand(options: RunWorkflowOptions): Promise<unknown> {
  const settings = runtimeSettings();
  const { args } = options;
  if (args.detach && !settings.temporalAddress) {
    throw new CliError(
      '--detach needs a running Temporal (start `contrail server` and set TEMPORAL_ADDRESS)',
    );
  }
  if (settings.temporalAddress && (args.config_repos || args.experiments_file)) {
    throw new CliError(
      '--config_repos/--experiments_file configure the embedded worker; a cluster worker reads CONTRAIL_CONFIG_REPOS/CONTRAIL_EXPERIMENTS_FILE',
    );
  }
  if (args.project_id) {
    process.stderr.write('contrail: --project_id is ignored on the embedded DuckDB warehouse\n');
  }
  const { withTemporal } = await import('./embedded.js');
  const { defaultActivityDeps } = await import('./runtime.js');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const result = await withTemporal(
    async ({ client, taskQueue, embedded }) => {
      const handle = await startWorkflow(client, {
        workflowType: options.workflowType,
        workflowId: options.workflowId,
        input: options.input,
        taskQueue,
        summary: options.summary,
      });
      const ui = settings.temporalUiUrl ?? null;
      if (args.detach) {
        process.stdout.write(`started ${handle.workflowId}\n`);
        if (ui) process.stdout.write(`${workflowUrl(ui, settings.namespace, handle.workflowId)}\n`);
        return undefined;
      }
      if (!embedded)
        log(
          `following ${handle.workflowId}${ui ? ` (${workflowUrl(ui, settings.namespace, handle.workflowId)})` : ''}`,
        );
      const result = await followWorkflow<unknown>(client, handle.workflowId, {
        progressBar: process.stderr.isTTY === true,
        log,
      });
      return options.resultOf ? await options.resultOf(client, result) : result;
    },
    {
      deps: () =>
        defaultActivityDeps({
          ...(args.config_repos ? { configRepos: args.config_repos } : {}),
          ...(args.experiments_file ? { experimentsFile: args.experiments_file } : {}),
        }),
      log,
    },
  );
  if (result === undefined) return undefined;
  process.stdout.write(args.json ? `${JSON.stringify(result, null, 2)}\n` : `${options.describe(result)}\n`);
  return result;
}
