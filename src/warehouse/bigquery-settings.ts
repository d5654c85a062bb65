import { SettingsError, unknownSetting } from '../settings.js';
import { DEFAULT_SOURCE_PROJECT } from '../sql/render/bigquery.js';
import { byteSizeForms, parseByteSize } from './cost.js';
import { assertDataset, assertProjectId } from './identifiers.js';

/**
 * How contrail reaches BigQuery, the usual Google way: credentials are Application Default
 * Credentials (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, or the
 * metadata server on Google Cloud), read by Google's client itself; everything else comes from
 * the environment or jetstream's option names (`--project_id`, `--dataset_id`).
 */
export interface BigQuerySettings {
  /** Project the jobs run and bill in, holding contrail's datasets. */
  project: string;
  /** Project of the shared Mozilla tables the configs read. */
  sourceProject: string;
  /** Where jobs run and datasets are created (`US`, `EU`, a region). */
  location: string;
  /** Another endpoint instead of Google's; an emulator's, on http://, is asked with no credentials. */
  apiEndpoint: string | null;
  /** Jobs scanning more than this many bytes fail before they cost anything (null: no guard). */
  maximumBytesBilled: number | null;
  /**
   * How long one HTTP request to BigQuery may take before it counts as no answer. Jobs are
   * polled with short requests, so this bounds a silent endpoint, not a long query.
   */
  requestTimeoutMs: number;
}

/** An endpoint that takes no credentials: an emulator's, on plain http (Google's are https). */
export function isEmulatorEndpoint(endpoint: string): boolean {
  return /^http:\/\//i.test(endpoint);
}

export const DEFAULT_LOCATION = 'US';
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
// Below a second a healthy BigQuery fails too; a value that small is seconds typed as ms.
const MIN_REQUEST_TIMEOUT_MS = 1000;

export interface BigQuerySettingsOverrides {
  projectId?: string;
}

/** Every CONTRAIL_BIGQUERY_* variable contrail reads. */
export const BIGQUERY_SETTINGS = [
  'CONTRAIL_BIGQUERY_PROJECT',
  'CONTRAIL_BIGQUERY_DATASET',
  'CONTRAIL_BIGQUERY_SOURCE_PROJECT',
  'CONTRAIL_BIGQUERY_LOCATION',
  'CONTRAIL_BIGQUERY_ENDPOINT',
  'CONTRAIL_BIGQUERY_MAX_BYTES_BILLED',
  'CONTRAIL_BIGQUERY_TIMEOUT_MS',
] as const;

/**
 * A set CONTRAIL_BIGQUERY_* variable contrail does not read is a misspelt setting: left
 * unread, `CONTRAIL_BIGQUERY_MAX_BYTE_BILLED` would leave jobs without the billing guard its
 * author meant to set, and a misspelt project would send them to the default one.
 */
function refuseUnknownSettings(env: NodeJS.ProcessEnv): void {
  const known: readonly string[] = BIGQUERY_SETTINGS;
  const found = unknownSetting(env, 'CONTRAIL_BIGQUERY_', known);
  if (found)
    throw new SettingsError(
      `${found.name} is not a contrail setting${found.meant ? ` (did you mean ${found.meant}?)` : ''}; the BigQuery settings are ${known.join(', ')}`,
    );
}

function setting(env: NodeJS.ProcessEnv, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

/**
 * The project jobs run in (`--project_id`, CONTRAIL_BIGQUERY_PROJECT or GOOGLE_CLOUD_PROJECT; null
 * when none is set) and the project of the shared tables, unchecked: rendering SQL needs only
 * these, and planning it needs no project at all.
 */
export function bigQueryProjects(
  env: NodeJS.ProcessEnv,
  overrides: BigQuerySettingsOverrides = {},
): { project: string | null; sourceProject: string } {
  return {
    project:
      overrides.projectId ??
      setting(env, 'CONTRAIL_BIGQUERY_PROJECT') ??
      setting(env, 'GOOGLE_CLOUD_PROJECT'),
    sourceProject: setting(env, 'CONTRAIL_BIGQUERY_SOURCE_PROJECT') ?? DEFAULT_SOURCE_PROJECT,
  };
}

/**
 * Settings from CONTRAIL_BIGQUERY_PROJECT (or GOOGLE_CLOUD_PROJECT), CONTRAIL_BIGQUERY_DATASET,
 * CONTRAIL_BIGQUERY_SOURCE_PROJECT, CONTRAIL_BIGQUERY_LOCATION, CONTRAIL_BIGQUERY_ENDPOINT,
 * CONTRAIL_BIGQUERY_MAX_BYTES_BILLED and CONTRAIL_BIGQUERY_TIMEOUT_MS; `--project_id` overrides the
 * first.
 */
export function bigQuerySettings(
  env: NodeJS.ProcessEnv = process.env,
  overrides: BigQuerySettingsOverrides = {},
): BigQuerySettings {
  const settings = bigQuerySettingValues(env, overrides);
  const { project } = settings;
  if (!project) {
    throw new SettingsError(
      'CONTRAIL_BIGQUERY_PROJECT (or --project_id) must name the Google Cloud project contrail runs BigQuery jobs in',
    );
  }
  return { ...settings, project };
}

/**
 * The settings bigQuerySettings reads, each value set checked, the project not required: every
 * command checks them before it starts, also those that need no project (`plan` renders
 * BigQuery SQL without one).
 */
export function bigQuerySettingValues(
  env: NodeJS.ProcessEnv = process.env,
  overrides: BigQuerySettingsOverrides = {},
): Omit<BigQuerySettings, 'project'> & { project: string | null } {
  refuseUnknownSettings(env);
  const { project, sourceProject } = bigQueryProjects(env, overrides);
  const check = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (error) {
      throw new SettingsError(`${what}: ${(error as Error).message}`);
    }
  };
  // Named where it came from: GOOGLE_CLOUD_PROJECT is read when CONTRAIL_BIGQUERY_PROJECT is not set.
  const projectFrom =
    overrides.projectId !== undefined
      ? '--project_id'
      : setting(env, 'CONTRAIL_BIGQUERY_PROJECT') !== null
        ? 'CONTRAIL_BIGQUERY_PROJECT'
        : 'GOOGLE_CLOUD_PROJECT';
  if (project) check(projectFrom, () => assertProjectId(project));
  // The results dataset itself is each command's (resultsDataset); a bad one is said at start.
  const dataset = setting(env, 'CONTRAIL_BIGQUERY_DATASET');
  if (dataset !== null) check('CONTRAIL_BIGQUERY_DATASET', () => assertDataset(dataset));
  check('CONTRAIL_BIGQUERY_SOURCE_PROJECT', () => assertProjectId(sourceProject));
  const location = setting(env, 'CONTRAIL_BIGQUERY_LOCATION') ?? DEFAULT_LOCATION;
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(location)) {
    throw new SettingsError(
      `CONTRAIL_BIGQUERY_LOCATION=${JSON.stringify(location)}: expected a BigQuery location such as US, EU or us-central1`,
    );
  }
  const apiEndpoint = setting(env, 'CONTRAIL_BIGQUERY_ENDPOINT');
  if (apiEndpoint !== null && !/^https?:\/\/[^\s/]+/.test(apiEndpoint)) {
    throw new SettingsError(
      `CONTRAIL_BIGQUERY_ENDPOINT=${JSON.stringify(apiEndpoint)}: expected a URL such as http://127.0.0.1:9050`,
    );
  }
  const maxBytes = setting(env, 'CONTRAIL_BIGQUERY_MAX_BYTES_BILLED');
  let maximumBytesBilled: number | null = null;
  if (maxBytes !== null) {
    // Written as `--max_bytes` is: 500MB, 2GiB, 1TB or a number of bytes.
    maximumBytesBilled = parseByteSize(maxBytes);
    if (
      !(maximumBytesBilled !== null && Number.isSafeInteger(maximumBytesBilled) && maximumBytesBilled > 0)
    ) {
      throw new SettingsError(
        `CONTRAIL_BIGQUERY_MAX_BYTES_BILLED=${JSON.stringify(maxBytes)}: expected ${byteSizeForms('more than 0')}`,
      );
    }
  }
  const timeout = setting(env, 'CONTRAIL_BIGQUERY_TIMEOUT_MS');
  const requestTimeoutMs = timeout === null ? DEFAULT_REQUEST_TIMEOUT_MS : Number(timeout);
  if (!(Number.isSafeInteger(requestTimeoutMs) && requestTimeoutMs >= MIN_REQUEST_TIMEOUT_MS)) {
    throw new SettingsError(
      `CONTRAIL_BIGQUERY_TIMEOUT_MS=${JSON.stringify(timeout)}: expected a whole number of milliseconds, at least ${MIN_REQUEST_TIMEOUT_MS}`,
    );
  }
  return { project, sourceProject, location, apiEndpoint, maximumBytesBilled, requestTimeoutMs };
}
