import { isEmulatorEndpoint } from './bigquery-settings.js';
import { MissingTableError, WarehouseQueryError, WarehouseUnavailableError } from './errors.js';
import type { TableRef } from './warehouse.js';

/**
 * BigQuery's errors, as the REST API and finished jobs report them, sorted into what a retry
 * can fix and what it cannot. Reasons are BigQuery's documented error `reason` strings.
 */
const TRANSIENT_REASONS = new Set([
  'backendError',
  'internalError',
  'rateLimitExceeded',
  'jobRateLimitExceeded',
  'jobBackendError',
  'jobInternalError',
  // Concurrency and per-project quotas clear with time; Temporal's backoff waits for that.
  'quotaExceeded',
  // A job cancelled because its worker went away (or by an operator) may be run again.
  'stopped',
]);

/**
 * Two statements that change one table at once (runs of several experiments merging their log
 * rows into a dataset's `logs` table, a preview forgetting its rows there): BigQuery fails one,
 * after its own retries, with reason `invalidQuery` although the query is valid: `Could not
 * serialize access to table … due to concurrent update`, or `Transaction is aborted due to
 * concurrent update against table …`. Run again later, it succeeds.
 */
const CONCURRENT_UPDATE = /due to concurrent update/i;

/**
 * The same conflict as the BigQuery emulator (local-bigquery, on DuckLake) reports it, with
 * reason `invalidQuery`: two requests that change its catalog at once, such as a backfill's
 * analyses each making sure their dataset exists, where BigQuery answers the later one 409
 * already exists. Run again, it succeeds (or finds the dataset); BigQuery never says this.
 */
const EMULATOR_CONFLICT = /Failed to commit DuckLake transaction/i;

/** Network failures below HTTP: the request may not have arrived, so it is safe to try again. */
const TRANSIENT_NETWORK = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|socket hang up|network/i;

export interface BigQueryErrorInfo {
  /** HTTP status, when the error came from an API response. */
  code?: number;
  reason?: string;
  message: string;
}

/** Code, reason and message of anything the client throws or a job reports. */
export function bigQueryErrorInfo(error: unknown): BigQueryErrorInfo {
  if (error && typeof error === 'object') {
    const e = error as {
      code?: unknown;
      message?: unknown;
      reason?: unknown;
      errors?: { reason?: string; message?: string }[];
    };
    const first = Array.isArray(e.errors) ? e.errors[0] : undefined;
    const reason = typeof e.reason === 'string' ? e.reason : first?.reason;
    const message =
      (typeof e.message === 'string' && e.message) || first?.message || JSON.stringify(error).slice(0, 500);
    return {
      ...(typeof e.code === 'number' ? { code: e.code } : {}),
      ...(reason ? { reason } : {}),
      message,
    };
  }
  return { message: String(error) };
}

export function isTransientBigQueryError(info: BigQueryErrorInfo): boolean {
  if (info.reason && TRANSIENT_REASONS.has(info.reason)) return true;
  if (CONCURRENT_UPDATE.test(info.message) || EMULATOR_CONFLICT.test(info.message)) return true;
  if (info.code !== undefined && (info.code === 429 || info.code >= 500)) return true;
  return info.code === undefined && info.reason === undefined && TRANSIENT_NETWORK.test(info.message);
}

/** The settings a BigQuery message may be about: the projects, the location and the endpoint the adapter uses. */
export interface BigQueryPlace {
  project: string;
  sourceProject: string;
  location: string;
  /** CONTRAIL_BIGQUERY_ENDPOINT; null: Google's. */
  endpoint?: string | null;
}

const CREDENTIALS =
  'the credentials: GOOGLE_APPLICATION_CREDENTIALS or `gcloud auth application-default login`';

/**
 * What to check when BigQuery gave no answer. With CONTRAIL_BIGQUERY_ENDPOINT set, that endpoint
 * is what did not answer (most often an emulator not started, or started on another port):
 * credentials, which an emulator is never asked for, would send its user the wrong way.
 */
function unansweredHint(place: BigQueryPlace | null): string {
  const endpoint = place?.endpoint ?? null;
  if (endpoint === null)
    return `check the network and ${CREDENTIALS}; CONTRAIL_BIGQUERY_ENDPOINT for an emulator`;
  return `nothing answered at ${endpoint}, where CONTRAIL_BIGQUERY_ENDPOINT sends every request: check that the emulator runs there, or correct the setting${isEmulatorEndpoint(endpoint) ? '' : `; check ${CREDENTIALS}`}`;
}

/**
 * What to change when BigQuery's message is about a setting rather than a query: it names a
 * project it does not know (or will not let this account use) or a location a dataset is not
 * in, in its own words, which say nothing of where contrail took that project or location from.
 */
function settingHint(message: string, place: BigQueryPlace | null): string {
  if (place === null) return '';
  const project = /(?:Not found|Access Denied): Project ([a-z][a-z0-9-]*[a-z0-9])\b/.exec(message)?.[1];
  if (project !== undefined && project === place.project) {
    return ` (the project is CONTRAIL_BIGQUERY_PROJECT or --project_id, where contrail runs its jobs and keeps its datasets: check the id, and that the account has BigQuery Job User on it)`;
  }
  if (project !== undefined && project === place.sourceProject) {
    return ` (the project is CONTRAIL_BIGQUERY_SOURCE_PROJECT, of the shared tables the configs read: check the id, and that the account has BigQuery Data Viewer on it)`;
  }
  // In a project BigQuery will not say whether a table exists: a typo in the source project
  // reads as a permission problem on each table the configs name.
  const deniedIn = /Access Denied: Table ([a-z][a-z0-9-]*[a-z0-9]):/.exec(message)?.[1];
  if (deniedIn !== undefined && deniedIn === place.sourceProject) {
    return ` (the table is in CONTRAIL_BIGQUERY_SOURCE_PROJECT, the project of the shared tables the configs read: check the id ${deniedIn}, that the account has BigQuery Data Viewer on it, and the table's name in the config)`;
  }
  const location = /was not found in location (\S+)/.exec(message)?.[1];
  if (location !== undefined && location.toLowerCase() === place.location.toLowerCase()) {
    return ` (the name is wrong, or it is in another location than ${place.location}, where contrail runs its jobs: CONTRAIL_BIGQUERY_LOCATION; a job reads and writes only datasets in its own location)`;
  }
  return '';
}

/** The error contrail raises for a failed BigQuery request or job (`place`: the adapter's settings, to name the one at fault). */
export function bigQueryError(
  error: unknown,
  destination: TableRef | null = null,
  place: BigQueryPlace | null = null,
): WarehouseQueryError {
  if (error instanceof WarehouseQueryError) return error;
  const info = bigQueryErrorInfo(error);
  info.message += settingHint(info.message, place);
  const reason = info.reason ? ` (${info.reason})` : '';
  // A query reading a table BigQuery lacks: `Not found: Table project:dataset.table was not found
  // in location US`, or `Not found: Dataset project:dataset was not found in location US` when
  // the dataset part of the name is what is wrong; in another project BigQuery will not say
  // whether the table exists: `Access Denied: Table project:dataset.table: User does not have
  // permission to query table …, or perhaps it does not exist`. Either way the query cannot read it.
  const missing = isNotFound(error)
    ? /Not found: (?:Table|Dataset) (\S+)/.exec(info.message)?.[1]
    : info.reason === 'accessDenied'
      ? /Access Denied: Table (\S+): /.exec(info.message)?.[1]
      : undefined;
  if (missing !== undefined) {
    return new MissingTableError({
      table: missing,
      warehouseMessage: `BigQuery${reason}: ${info.message}`,
      destination,
      cause: error,
    });
  }
  // No status and no reason: BigQuery never answered (the network, or no credentials found).
  if (info.code === undefined && info.reason === undefined) {
    return new WarehouseUnavailableError({
      warehouseMessage: `BigQuery gave no answer: ${info.message} (${unansweredHint(place)})`,
      permanent: !isTransientBigQueryError(info),
      cause: error,
    });
  }
  return new WarehouseQueryError({
    warehouseMessage: `BigQuery${reason}: ${info.message}`,
    destination,
    permanent: !isTransientBigQueryError(info),
    cause: error,
  });
}

export function isNotFound(error: unknown): boolean {
  const info = bigQueryErrorInfo(error);
  return info.code === 404 || info.reason === 'notFound';
}

export function isAlreadyExists(error: unknown): boolean {
  const info = bigQueryErrorInfo(error);
  return info.code === 409 || info.reason === 'duplicate';
}
