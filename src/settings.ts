import { ContrailError } from './errors.js';
import { closestName } from './suggest.js';

/** Levels of the Temporal SDK's logger, quietest last. */
const SDK_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type SdkLogLevel = (typeof SDK_LOG_LEVELS)[number];

/** Runtime settings read from the environment, in one place. */
export interface RuntimeSettings {
  /** Temporal frontend; unset = embedded mode (a private dev server per command). */
  temporalAddress: string | null;
  namespace: string;
  taskQueue: string;
  /** Temporal Web UI base URL for links (defaults to the dev server's). */
  temporalUiUrl: string | null;
  /**
   * The Worker Deployment `contrail worker` joins when it has a build id: `CONTRAIL_DEPLOYMENT`,
   * default `contrail`.
   */
  deploymentName: string;
  /**
   * `CONTRAIL_BUILD_ID`: the exact build (set by the image build). With it, `contrail worker`
   * is a versioned worker of the deployment; without it, an unversioned worker that runs only
   * its own build (embedded mode is always unversioned).
   */
  buildId: string | null;
  /** What the Temporal SDK logs (to stderr): `CONTRAIL_LOG_LEVEL`; null = the command's default. */
  sdkLogLevel: SdkLogLevel | null;
}

export class SettingsError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'SettingsError';
  }
}

export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || null,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.CONTRAIL_TASK_QUEUE || 'contrail',
    temporalUiUrl: env.TEMPORAL_UI_URL || localUiUrl(env.TEMPORAL_ADDRESS),
    deploymentName: deploymentName(env.CONTRAIL_DEPLOYMENT),
    buildId: buildId(env.CONTRAIL_BUILD_ID),
    sdkLogLevel: sdkLogLevel(env.CONTRAIL_LOG_LEVEL),
  };
}

/**
 * The SDK log level of a command that runs a worker for the person at the terminal:
 * `CONTRAIL_LOG_LEVEL`, else WARN with `--verbose`, else ERROR. Retried activities are expected
 * and the CLI reports failures itself, so their WARN lines (each with a stack trace) would
 * only bury the line that matters.
 */
export function commandLogLevel(settings: RuntimeSettings, verbose: boolean): SdkLogLevel {
  return settings.sdkLogLevel ?? (verbose ? 'WARN' : 'ERROR');
}

function sdkLogLevel(value: string | undefined): SdkLogLevel | null {
  if (!value) return null;
  const level = value.toUpperCase();
  if ((SDK_LOG_LEVELS as readonly string[]).includes(level)) return level as SdkLogLevel;
  throw new SettingsError(`CONTRAIL_LOG_LEVEL=${value}: valid levels are ${SDK_LOG_LEVELS.join(', ')}`);
}

/**
 * A build id names a deployment version on the Temporal server, is part of the
 * `ContrailToolVersion` search attribute and labels every result table (BigQuery's labels take
 * 63 characters of [a-z0-9_-]). The server refuses a version whose id is too long only when a
 * worker polls, so a worker with one started, said it ran, and never served anything.
 */
const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** The same, without `.`: Temporal joins the deployment name and build id with one. */
const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** `value` when it matches `pattern`, else a SettingsError naming the variable and what is valid. */
function checkedName(variable: string, value: string, pattern: RegExp, valid: string): string {
  if (pattern.test(value)) return value;
  throw new SettingsError(`${variable}=${value.length > 80 ? `${value.slice(0, 80)}…` : value}: ${valid}`);
}

function buildId(value: string | undefined): string | null {
  if (!value) return null;
  return checkedName(
    'CONTRAIL_BUILD_ID',
    value,
    BUILD_ID,
    "a build id is 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. the image's git commit, 4f2a9c81d0e3)",
  );
}

function deploymentName(value: string | undefined): string {
  if (!value) return 'contrail';
  return checkedName(
    'CONTRAIL_DEPLOYMENT',
    value,
    DEPLOYMENT_NAME,
    "a deployment name is 1 to 63 letters, digits, '_' or '-' (no '.'), starting with a letter or digit",
  );
}

/** `contrail server` (like `temporal server start-dev`) serves the UI on the gRPC port + 1000. */
function localUiUrl(address: string | undefined): string | null {
  const match = /^(localhost|127\.0\.0\.1):(\d+)$/.exec(address ?? '');
  return match ? `http://${match[1]}:${Number(match[2]) + 1000}` : null;
}

export type WarehouseKind = 'duckdb' | 'bigquery';

/**
 * CONTRAIL_WAREHOUSE, checked: every command that picks a warehouse reads it here, so a
 * mistyped name stops each of them alike instead of one quietly falling back to DuckDB.
 */
export function warehouseKind(env: NodeJS.ProcessEnv = process.env): WarehouseKind {
  const kind = env.CONTRAIL_WAREHOUSE ?? 'duckdb';
  if (kind !== 'duckdb' && kind !== 'bigquery') {
    throw new SettingsError(`CONTRAIL_WAREHOUSE=${kind}: valid warehouses are duckdb and bigquery`);
  }
  return kind;
}

/**
 * Every CONTRAIL_* variable contrail, its scripts, its tests' helpers and docker-compose.yml
 * read, but the CONTRAIL_BIGQUERY_* settings (their module checks those when BigQuery is chosen).
 */
export const SETTINGS = [
  'CONTRAIL_BUILD_ID',
  'CONTRAIL_CHROMIUM_PATH',
  'CONTRAIL_CONFIG_REPOS',
  'CONTRAIL_DEBUG',
  'CONTRAIL_DEPLOYMENT',
  'CONTRAIL_DUCKDB_MEMORY_LIMIT',
  'CONTRAIL_DUCKDB_PATH',
  'CONTRAIL_DUCKDB_THREADS',
  'CONTRAIL_EXPERIMENTER_URL',
  'CONTRAIL_EXPERIMENTS_FILE',
  'CONTRAIL_EXPORT_DIR',
  'CONTRAIL_FAULTS',
  'CONTRAIL_HOME',
  'CONTRAIL_INVOKED_AS',
  'CONTRAIL_LOG_LEVEL',
  'CONTRAIL_METRIC_HUB',
  'CONTRAIL_PYTHON',
  'CONTRAIL_SHARED_DIR',
  'CONTRAIL_TASK_QUEUE',
  'CONTRAIL_WAREHOUSE',
  'CONTRAIL_WAREHOUSE_WAIT_MS',
  'CONTRAIL_WORKFLOW_BUNDLE',
] as const;

/** Variables of the project's own test and benchmark runners, which contrail itself never reads. */
const TOOLING = /^CONTRAIL_(?:TEST|BENCH)_/;

/** The TEMPORAL_* variables contrail reads (runtimeSettings, and the Temporal CLI it runs). */
export const TEMPORAL_SETTINGS = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_CLI_PATH',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_UI_URL',
] as const;

/**
 * TEMPORAL_* variables of the Temporal CLI and Web UI that contrail does not read, which a shell
 * or deployment set up for them holds beside contrail's: never taken for a misspelt setting.
 */
const TEMPORAL_TOOLS =
  /^TEMPORAL_(?:API_KEY|GRPC_META|TLS(?:_\w+)?|CODEC_\w+|AUTH_\w+|ENV|PROFILE|CONFIG_FILE|DISABLE_CONFIG_\w+|CORS_ORIGINS|UI_(?:PORT|PUBLIC_PATH|ENABLED)|CLI_(?:ADDRESS|NAMESPACE|TLS_\w+))$/;

/**
 * A set CONTRAIL_* variable one typo away from a setting is that setting misspelt: left unread,
 * `CONTRAIL_WAREHOSE=bigquery` would analyse the embedded warehouse instead, and
 * `CONTRAIL_EXPORT_DIRS` would write exports where nobody looks. Others (a deployment's own
 * `CONTRAIL_*` names) are not contrail's to judge.
 */
export function refuseMisspeltSettings(env: NodeJS.ProcessEnv = process.env): void {
  // A misspelt TEMPORAL_ADDRESS fails nothing: a run starts a private server and analyses on
  // this machine, a worker polls localhost:7233; a misspelt TEMPORAL_NAMESPACE serves and
  // starts every run in the namespace `default`, where the cluster's workers do not poll.
  const found =
    unknownSetting(env, 'CONTRAIL_', SETTINGS, {
      skip: (name) => name.startsWith('CONTRAIL_BIGQUERY_') || TOOLING.test(name),
      nearOnly: true,
    }) ??
    unknownSetting(env, 'TEMPORAL_', TEMPORAL_SETTINGS, {
      skip: (name) => TEMPORAL_TOOLS.test(name),
      nearOnly: true,
    });
  if (found)
    throw new SettingsError(
      `${found.name} is not a contrail setting (did you mean ${found.meant}?): unset it, or set ${found.meant} instead`,
    );
}

/**
 * The first set variable (in name order) named with `prefix` that is none of `known`, with the
 * known one it most resembles; null when there is none. An empty value counts as unset, `skip`
 * names variables that are not this check's, and `nearOnly` passes over names like no known one.
 */
export function unknownSetting(
  env: NodeJS.ProcessEnv,
  prefix: string,
  known: readonly string[],
  options: { skip?: (name: string) => boolean; nearOnly?: boolean } = {},
): { name: string; meant: string | null } | null {
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(prefix) || known.includes(name) || !env[name]?.trim() || options.skip?.(name))
      continue;
    const meant = closestName(name, known);
    if (meant !== null || !options.nearOnly) return { name, meant };
  }
  return null;
}
