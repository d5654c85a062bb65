import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { warehouseKind } from '../settings.js';
import {
  assertDatasetOf,
  assertProjectId,
  assertResultsDataset,
  InvalidIdentifierError,
} from '../warehouse/identifiers.js';
import { CliError } from './errors.js';

// The checks of options' values that need more than the parser (a port's range, a dataset's
// name on the configured warehouse, a file the server can create): each a usage error naming the
// option, before anything starts. The options themselves are declared in options.ts.

/**
 * A port option's value, as every command that listens on one takes it: a whole number from 1 to
 * 65535, or 0 where the command picks a free port itself (`free`). Left unchecked, a bad port
 * surfaced as Node's own `options.port should be >= 0 and < 65536` (exit 1) or as the Temporal
 * server's refusal once it had started.
 */
export function checkedPort(option: string, port: number, options: { free?: boolean } = {}): number {
  const lowest = options.free ? 0 : 1;
  if (!Number.isInteger(port) || port < lowest || port > 65535) {
    throw new CliError(
      `${option} ${port}: give a port number from 1 to 65535${options.free ? ', or 0 for a free one' : ''}`,
      2,
    );
  }
  return port;
}

/**
 * `--seed`, as every command that draws random numbers takes it (`stats`, `sample`): a whole
 * number from 0 to `max` (the command's own bound; at most the largest integer a double holds
 * exactly), else a usage error naming the option, before anything is read or written.
 */
export function checkedSeed(seed: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > max)
    throw new CliError(`--seed ${seed}: must be a whole number from 0 to ${max.toLocaleString('en-US')}`, 2);
  return seed;
}

/**
 * A preview's range of dates, checked before anything starts (exit 2, naming the options):
 * `--num_days` counts the days back from the end, so beside `--start_date` it would be ignored;
 * and a range given by both dates spans at most `maxDays` days, as `--num_days` does.
 */
export async function checkPreviewDates(
  args: { start_date?: string | undefined; end_date?: string | undefined; num_days?: number | undefined },
  maxDays: number,
): Promise<void> {
  const { daysBetween, IsoDate } = await import('../dates.js');
  const { start_date: start, end_date: end, num_days: numDays } = args;
  if (start !== undefined && numDays !== undefined) {
    throw new CliError(
      `--start_date ${start} and --num_days ${numDays} contradict each other: --num_days counts the days back from the end date when no --start_date is given; give one of them`,
      2,
    );
  }
  // Only a range given in full: without --end_date a preview ends on the last date with
  // something due, which for an experiment that ended long ago is long before today, and only the
  // workflow knows it.
  if (start === undefined || end === undefined) return;
  if (!IsoDate.safeParse(start).success || !IsoDate.safeParse(end).success) return;
  const days = daysBetween(start, end) + 1;
  if (days <= maxDays) return;
  throw new CliError(
    `--start_date ${start} to --end_date ${end} is ${days.toLocaleString('en-US')} days: a preview analyses at most ${maxDays} days (as --num_days); give a later --start_date`,
    2,
  );
}

/**
 * `server --db-filename`: a SQLite file the server can create or open, checked before it starts
 * (exit 2, naming the option). Temporal's own refusal of a directory or a missing directory is
 * SQLite's `unable to open database file: out of memory (14)`.
 */
export function checkedDbFilename(path: string): string {
  const refuse = (why: string): never => {
    throw new CliError(`--db-filename ${path}: ${why}`, 2);
  };
  const kind = statSync(path, { throwIfNoEntry: false });
  if (kind?.isDirectory())
    refuse(`a directory, not a SQLite file (give a file's path, e.g. ${join(path, 'temporal.sqlite')})`);
  else if (kind !== undefined && !kind.isFile()) refuse('not a file (expected a SQLite file)');
  else if (kind === undefined && !isDirectory(dirname(path)))
    refuse(`no such directory ${dirname(path)} to create the SQLite file in`);
  return path;
}

/**
 * The dataset a command's results go to: `--dataset_id`; else, on BigQuery, the
 * CONTRAIL_BIGQUERY_DATASET this machine names as its results dataset; else `contrail`.
 */
export function resultsDataset(datasetId: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (datasetId) return givenDataset(datasetId, env);
  const configured = warehouseKind(env) === 'bigquery' ? env.CONTRAIL_BIGQUERY_DATASET?.trim() : undefined;
  return configured ? configured : 'contrail';
}

/**
 * `--dataset_id` as given, checked alike by every command (exit 2, naming the option): a name the
 * warehouse takes for a dataset (`reading`: any dataset of the warehouse, which on BigQuery may
 * name its project; else one the command writes its results to, with no project prefix), and not
 * one the embedded warehouse would take for another: DuckDB's schema names ignore case, so `TMP`
 * is the dataset `tmp` and `CONTRAIL` the production one, while contrail's own records of its
 * tables (labels, expiry) would not match. BigQuery's dataset names keep their case.
 */
export function givenDataset(
  datasetId: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { reading?: boolean } = {},
): string {
  const kind = warehouseKind(env);
  try {
    if (options.reading) assertDatasetOf(datasetId, kind);
    else assertResultsDataset(datasetId);
  } catch (error) {
    if (error instanceof InvalidIdentifierError)
      throw new CliError(`--dataset_id ${datasetId}: ${error.rule}`, 2);
    throw error;
  }
  if (kind === 'duckdb' && datasetId !== datasetId.toLowerCase()) {
    throw new CliError(
      `--dataset_id ${datasetId}: the embedded warehouse's dataset names ignore case, so this is the dataset ${datasetId.toLowerCase()}; write it in lower case`,
      2,
    );
  }
  return datasetId;
}

/**
 * `--project_id` as given, checked before anything starts (exit 2, naming the option): taken in
 * place of CONTRAIL_BIGQUERY_PROJECT, a malformed one was refused under that setting's name, so
 * a user who never set it was sent to look for it.
 */
export function checkedProjectId(projectId: string): string {
  try {
    return assertProjectId(projectId);
  } catch (error) {
    if (error instanceof InvalidIdentifierError)
      throw new CliError(`--project_id ${projectId}: ${error.rule}`, 2);
    throw error;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
