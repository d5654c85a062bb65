import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import { contrailCommand } from '../command-name.js';
import { customConfigText } from '../config/custom-config.js';
import { requirement } from '../config/describe.js';
import { IsoDate, isoDate } from '../dates.js';
import { runtimeSettings, type WarehouseKind, warehouseKind } from '../settings.js';
import { claimExperiments } from './claims.js';
import { CliError } from './errors.js';
import { followWorkflow, startWorkflow, workflowUrl } from './follow.js';
import { checkedProjectId } from './option-values.js';
import type { WorkflowArgs } from './options.js';
import { type AnalysisWorkflow, inputDifferences, leftByInterrupt, outcomeOf } from './outcomes.js';
import type { Outcome, ReportContext } from './report.js';
import { warehousePlace } from './warehouse-place.js';

/** Reads `--config_file` (a custom experiment config) as TOML text for the workflow input. */
export async function readConfigFile(path: string | undefined): Promise<string | null> {
  if (path === undefined) return null;
  const { readConfigText } = await import('./plan-sql.js');
  return customConfigText(await readConfigText(path), path);
}

/** The CLI option behind each workflow input field, for errors people can act on. */
const OPTION_OF_FIELD: Record<string, string> = {
  slug: '--experiment_slug',
  slugs: '--experiment_slug',
  date: '--date',
  startDate: '--start_date',
  endDate: '--end_date',
  dataset: '--dataset_id',
  periods: '--analysis_periods',
  sampleSize: '--sample_size',
  concurrency: '--concurrency',
  configOverride: '--config_file',
  numDays: '--num_days',
  platform: '--platform',
  maxBytes: '--max_bytes',
  usdPerTib: '--price_per_tib',
  recreateEnrollments: '--recreate_enrollments',
};

/** Validates a workflow input before anything starts; errors name the option (exit 2). */
export function checkedInput<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  workflow: string,
  /** Options a command fills fields from other than the usual ones (`run --date` fills a backfill's two dates). */
  optionOf: Record<string, string> = {},
): z.output<S> {
  const result = schema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? '');
    const option = optionOf[field] ?? OPTION_OF_FIELD[field];
    // A number option given no number never gets here: the parser's check names it with its value.
    const message = requirement(issue, schema) ?? issue.message;
    // The value as given, so a long command line need not be searched for it.
    const value = issue.path.reduce<unknown>(
      (at, key) =>
        at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined,
      raw,
    );
    const given = typeof value === 'string' || typeof value === 'number' ? ` ${value}` : '';
    return `${option ?? (issue.path.join('.') || workflow)}${given}: ${message}`;
  });
  throw new CliError([...new Set(problems)].join('; '), 2);
}

/** Whether a date option is one: a malformed date is the input check's to name, and its order means nothing. */
const wellFormed = (date: string | undefined): date is string => IsoDate.safeParse(date).success;

/**
 * A date after today is a usage error naming the option (exit 2): no telemetry exists for it
 * yet, and its windows would be computed over days that have not happened. Today is the UTC
 * day, as every date of contrail's is; said so, since east of UTC the local date is ahead of it
 * (in UTC+14 it is tomorrow's for fourteen hours of every day) and "today (yesterday's date)"
 * would read as a mistake.
 */
export function checkNotAfterToday(dates: Record<string, string | undefined>, now: Date = new Date()): void {
  const today = isoDate(now);
  for (const [option, date] of Object.entries(dates)) {
    if (wellFormed(date) && date > today) {
      throw new CliError(
        `${option} ${date} is after today in UTC (${today}; contrail's dates are UTC days): there is no telemetry for it yet`,
        2,
      );
    }
  }
}

/** An end date before the start date is a usage error naming both options (exit 2). */
export function checkDateRange(start: string | undefined, end: string | undefined): void {
  if (wellFormed(start) && wellFormed(end) && end < start) {
    throw new CliError(
      `--end_date ${end} is before --start_date ${start}: give an end date on or after the start date`,
      2,
    );
  }
}

export interface RunWorkflowOptions {
  workflowType: AnalysisWorkflow;
  workflowId: string;
  input: unknown;
  summary: string;
  args: WorkflowArgs;
  /**
   * Printed instead of the workflow's own result once it has finished: another workflow's
   * result (the one analysis a one-day backfill ran on its pinned build), or null to print the
   * workflow's own (e.g. when that analysis failed).
   */
  resultOf?: {
    workflowType: AnalysisWorkflow;
    read: (client: Client, result: unknown) => Promise<unknown | null>;
  };
  /**
   * Runs once the report is printed, before a result with failed units of work fails the
   * command: what the command writes beside the report (a preview's SQL files) is written for a
   * failed run too, when its author needs it most.
   */
  afterReport?: (result: unknown) => Promise<void>;
  /** What the report says beside the result (a running dashboard's port), read once the workflow has ended. */
  reportContext?: (value: unknown) => Promise<ReportContext>;
}

/**
 * Starts a workflow (embedded mode or TEMPORAL_ADDRESS), follows its progress and prints the
 * outcome; with --detach, prints the workflow id and Web UI link and returns. A result with
 * failed units of work (experiments, experiment-days, dates) is printed in full, then the
 * command fails with its summary line: exit 1.
 */
export async function runWorkflowCommand(options: RunWorkflowOptions): Promise<unknown> {
  const settings = runtimeSettings();
  const { args } = options;
  if (args.detach && !settings.temporalAddress) {
    throw new CliError(
      `--detach needs a running Temporal (start \`${contrailCommand()} server\` and set TEMPORAL_ADDRESS)`,
    );
  }
  if (
    settings.temporalAddress &&
    (args.config_repos || args.experiments_file || args.experimenter_url || args.project_id)
  ) {
    throw new CliError(
      '--config_repos/--experiments_file/--experimenter_url/--project_id configure the embedded worker; a cluster worker reads CONTRAIL_CONFIG_REPOS/CONTRAIL_EXPERIMENTS_FILE/CONTRAIL_EXPERIMENTER_URL/CONTRAIL_BIGQUERY_PROJECT',
    );
  }
  const { withTemporal } = await import('./embedded.js');
  const { defaultActivityDeps } = await import('./runtime.js');
  // The embedded worker's warehouse, checked before anything starts (a cluster's is its own).
  const kind = settings.temporalAddress ? null : warehouseKind();
  if (kind !== null) await refuseUnknownExperiments(options);
  const workerEnv = kind === null ? process.env : embeddedWorkerEnv(args, kind);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const release = kind === null ? () => {} : claimEmbeddedWork(options, kind, workerEnv);
  const result = await withTemporal(
    async (session) => {
      const { address, client, taskQueue, embedded, followed } = session;
      // Embedded, versionFields checked it against the manifest; on a cluster only the server knows.
      const wanted = (options.input as { useVersion?: unknown } | null)?.useVersion;
      if (!embedded && typeof wanted === 'string') {
        await refuseUnknownVersionOnCluster(
          client,
          { namespace: settings.namespace, deploymentName: settings.deploymentName },
          wanted,
        );
      }
      const { handle, started } = await startWorkflow(client, {
        workflowType: options.workflowType,
        workflowId: options.workflowId,
        input: options.input,
        taskQueue,
        summary: options.summary,
        differences: (running) => inputDifferences(options.workflowType, running, options.input),
      });
      followed.push(handle.workflowId);
      const ui = settings.temporalUiUrl ?? null;
      const link = ui ? workflowUrl(ui, settings.namespace, handle.workflowId) : null;
      if (args.detach) {
        process.stdout.write(`${started ? 'started' : 'attached'} ${handle.workflowId}\n`);
        if (link) process.stdout.write(`${link}\n`);
        return undefined;
      }
      if (!started) log(`attached to ${handle.workflowId}: it was already running with the same inputs`);
      else if (!embedded) log(`following ${handle.workflowId}${link ? ` (${link})` : ''}`);
      const own = await followWorkflow<unknown>(client, handle.workflowId, {
        address,
        progressBar: process.stderr.isTTY === true,
        log,
        embedded,
      });
      const other = options.resultOf ? await options.resultOf.read(client, own) : null;
      const interruptedBy = session.interrupted;
      return {
        ...(other === null
          ? { type: options.workflowType, value: own }
          : { type: (options.resultOf as NonNullable<typeof options.resultOf>).workflowType, value: other }),
        ...(interruptedBy ? { interruptedBy } : {}),
      };
    },
    {
      deps: () =>
        defaultActivityDeps(
          {
            ...(args.config_repos ? { configRepos: args.config_repos } : {}),
            ...(args.experiments_file ? { experimentsFile: args.experiments_file } : {}),
            ...(args.experimenter_url ? { experimenterUrl: args.experimenter_url } : {}),
          },
          workerEnv,
        ),
      log,
      verbose: args.verbose ?? false,
      leftByInterrupt: leftByInterrupt(options.workflowType, options.input),
    },
  ).finally(release);
  if (result === undefined) return undefined;
  const outcome = printReport(result.type, result.value, args.json, {
    ...((await options.reportContext?.(result.value)) ?? {}),
    verbose: args.verbose ?? false,
  });
  await options.afterReport?.(result.value);
  // Interrupted as it finished, the work ended with its whole result (what was publishing
  // finished): said, lest the "cancelling" line above read as if something had been cut short.
  if (result.interruptedBy && !outcome.interrupted)
    process.stderr.write(
      `contrail: the work had finished when ${result.interruptedBy} came: nothing was cut short\n`,
    );
  failOnFailures(outcome);
  return result.value;
}

/**
 * In embedded mode, an experiment the local experiments file does not know (a mistyped slug,
 * most often) is refused before a Temporal server and worker start for it: with the same
 * message the workflow would fail with, some seconds sooner. Experimenter's API (a URL) is
 * left to the worker, as is a file or record that does not read (the worker names what is wrong)
 * and a preview with --platform, which analyses experiments no source knows.
 */
export async function refuseUnknownExperiments(
  options: Pick<RunWorkflowOptions, 'workflowType' | 'input' | 'args'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { args } = options;
  if (!args.experiments_file && (args.experimenter_url || env.CONTRAIL_EXPERIMENTER_URL?.trim())) return;
  const input = options.input as { slug?: string; slugs?: string[]; platform?: string | null };
  const slugs = input.slug !== undefined ? [input.slug] : (input.slugs ?? []);
  const preview = options.workflowType === 'preview';
  if (slugs.length === 0 || (preview && input.platform)) return;
  const { defaultExperimentsFile, localExperimentSource } = await import('../experiments/source.js');
  const file = localExperimentSource(args.experiments_file ?? defaultExperimentsFile(env));
  const source = preview ? file.forPreview() : file;
  const unknown: string[] = [];
  try {
    for (const slug of slugs) if ((await source.get(slug)) === null) unknown.push(slug);
  } catch {
    // An unreadable file or an invalid record: the worker names what is wrong with it.
    return;
  }
  if (unknown.length === 0) return;
  const { UnknownExperimentError, unknownExperimentsError } = await import('../analysis/errors.js');
  const { PREVIEW_UNKNOWN_HINT } = await import('../analysis/spec-resolver.js');
  // A preview reads drafts already: what it does not find is in no view of the source.
  const error = preview
    ? new UnknownExperimentError(
        unknown,
        (await source.list()).map((e) => e.slug),
        PREVIEW_UNKNOWN_HINT,
      )
    : await unknownExperimentsError(file, unknown);
  throw new CliError(error.message);
}

/**
 * On a cluster, a `--use-version` that names no version of the Worker Deployment is refused as a usage
 * error (exit 2) before the run starts, as embedded mode refuses one its manifest lacks: the
 * releases are the server's, and the run would otherwise start under its id and fail there. A
 * deployment without versions (unversioned workers, which read their own releases.json) or one
 * that cannot be read leaves the question to the workers, whose pin resolution stays the authority.
 */
export async function refuseUnknownVersionOnCluster(
  client: Client,
  deployment: { namespace: string; deploymentName: string },
  wanted: string,
): Promise<void> {
  const { describeDeploymentVersions } = await import('../temporal/worker-deployments.js');
  const { releasesFromDeployment } = await import('../versions/deployment.js');
  const { releaseNamed } = await import('../versions/resolve.js');
  const { UnknownReleaseError } = await import('../versions/release.js');
  let releases: ReturnType<typeof releasesFromDeployment>;
  try {
    const ref = { client, ...deployment };
    releases = releasesFromDeployment(deployment.deploymentName, await describeDeploymentVersions(ref));
  } catch {
    return;
  }
  if (releases.length === 0) return;
  try {
    releaseNamed(releases, wanted);
  } catch (error) {
    if (!(error instanceof UnknownReleaseError)) throw error;
    throw new CliError(
      `${error.message.replace(/^use-version=\S+/, `--use-version ${wanted}`)} (the versions of worker deployment ${deployment.deploymentName}, CONTRAIL_DEPLOYMENT)`,
      2,
    );
  }
}

/**
 * The environment the embedded worker's settings are read from: `--project_id` is its BigQuery
 * project, in place of CONTRAIL_BIGQUERY_PROJECT (on the embedded DuckDB it means nothing, and
 * says so).
 */
export function embeddedWorkerEnv(
  args: Pick<WorkflowArgs, 'project_id'>,
  kind: WarehouseKind,
  env: NodeJS.ProcessEnv = process.env,
  options: { quiet?: boolean } = {},
): NodeJS.ProcessEnv {
  if (!args.project_id) return env;
  if (kind !== 'bigquery') {
    if (!options.quiet)
      process.stderr.write('contrail: --project_id is ignored on the embedded DuckDB warehouse\n');
    return env;
  }
  return { ...env, CONTRAIL_BIGQUERY_PROJECT: checkedProjectId(args.project_id) };
}

/**
 * An embedded command claims the experiments its workflow writes, so another embedded command
 * writing the same tables is refused instead of mixing its results in (on a cluster, the
 * server's workflow ids keep such runs apart). The release function.
 */
function claimEmbeddedWork(
  options: RunWorkflowOptions,
  kind: WarehouseKind,
  env: NodeJS.ProcessEnv,
): () => void {
  const input = options.input as { dataset?: string; slug?: string; slugs?: string[] };
  if (options.workflowType === 'versionsReport' || input.dataset === undefined) return () => {};
  const slugs = input.slug !== undefined ? [input.slug] : (input.slugs ?? null);
  return claimExperiments(warehousePlace(kind, env), { dataset: input.dataset, slugs }, env);
}

/**
 * Prints a finished workflow's result (the report, or JSON with `--json`); when any unit of
 * work failed, ends with the summary line on stderr and exit 1.
 */
export function printOutcome(
  type: AnalysisWorkflow,
  result: unknown,
  json: boolean,
  context: ReportContext = {},
): void {
  failOnFailures(printReport(type, result, json, context));
}

function printReport(
  type: AnalysisWorkflow,
  result: unknown,
  json: boolean,
  context: ReportContext = {},
): Outcome {
  const outcome = outcomeOf(type, result, context);
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${outcome.report}\n`);
  return outcome;
}

function failOnFailures(outcome: Outcome): void {
  // Exit 130, as for any interrupted command: the work stopped because someone stopped it.
  if (outcome.interrupted) throw new CliError(outcome.interrupted, 130);
  if (outcome.failed > 0) throw new CliError(outcome.failure ?? outcome.report.split('\n')[0] ?? 'failed', 1);
}
