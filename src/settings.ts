import { readFileSync } from 'node:fs';
import { ContrailError } from './errors.js';
import { fileRefusal } from './file-refusal.js';
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
  /**
   * TLS, client certificate and API key for a Temporal server contrail did not start (the
   * Temporal CLI's `TEMPORAL_TLS*` and `TEMPORAL_API_KEY`); null = a plain connection. The
   * embedded dev server never uses them.
   */
  temporalTls: TemporalTls | null;
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
    temporalTls: temporalTls(env),
  };
}

/** The TLS and API key variables contrail reads, named as the Temporal CLI reads them. */
export const TLS_SETTINGS = [
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CA',
  'TEMPORAL_TLS_CERT',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_TLS_SERVER_NAME',
] as const;

/**
 * Variables the Temporal CLI also reads for its connection that contrail does not, with the one
 * it reads instead: left unread, the connection would go out without the certificate or key
 * they name and fail in the server's words.
 */
const TEMPORAL_TLS_UNREAD: Readonly<Record<string, string>> = {
  TEMPORAL_TLS_CLIENT_CERT_PATH: 'TEMPORAL_TLS_CERT',
  TEMPORAL_TLS_CLIENT_KEY_PATH: 'TEMPORAL_TLS_KEY',
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: 'TEMPORAL_TLS_CA',
  TEMPORAL_TLS_CERT_DATA: 'TEMPORAL_TLS_CERT (a file)',
  TEMPORAL_TLS_CLIENT_CERT_DATA: 'TEMPORAL_TLS_CERT (a file)',
  TEMPORAL_TLS_KEY_DATA: 'TEMPORAL_TLS_KEY (a file)',
  TEMPORAL_TLS_CLIENT_KEY_DATA: 'TEMPORAL_TLS_KEY (a file)',
  TEMPORAL_TLS_CA_DATA: 'TEMPORAL_TLS_CA (a file)',
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'TEMPORAL_TLS_CA (a file)',
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'TEMPORAL_TLS_SERVER_NAME (the name the certificate has)',
};

/** What `TEMPORAL_TLS` takes, as the Temporal CLI parses it. */
const TRUE = /^(?:1|t|true)$/i;
const FALSE = /^(?:0|f|false)$/i;

/**
 * How contrail reaches a Temporal server it did not start (a cluster, Temporal Cloud): TLS, a
 * client certificate for mutual TLS, and an API key. Its files are read with the settings, so a
 * missing one stops the command before anything starts. Neither the API key nor the private
 * key is ever part of what it prints: they are private fields, which neither JSON nor
 * `util.inspect` shows, and `describe()` names only paths and that a key is set.
 */
export class TemporalTls {
  readonly #apiKey: string | null;
  readonly #key: Buffer | null;
  constructor(
    readonly clientCert: { certPath: string; keyPath: string; cert: Buffer } | null,
    key: Buffer | null,
    readonly ca: { path: string; pem: Buffer } | null,
    readonly serverName: string | null,
    /** Whether the connection is TLS: `TEMPORAL_TLS`, else on when anything else is set. */
    readonly tls: boolean,
    apiKey: string | null,
  ) {
    this.#key = key;
    this.#apiKey = apiKey;
  }

  get hasApiKey(): boolean {
    return this.#apiKey !== null;
  }

  /**
   * The TLS and API key options of a Temporal connection, the client's (`Connection.connect`)
   * and the worker's (`NativeConnection.connect`) alike: the one place they are built.
   */
  connectionOptions(): TemporalConnectionOptions {
    const options: TemporalConnectionOptions = { tls: false };
    if (this.tls)
      options.tls = {
        ...(this.serverName ? { serverNameOverride: this.serverName } : {}),
        ...(this.ca ? { serverRootCACertificate: this.ca.pem } : {}),
        ...(this.clientCert && this.#key
          ? { clientCertPair: { crt: this.clientCert.cert, key: this.#key } }
          : {}),
      };
    if (this.#apiKey !== null) options.apiKey = this.#apiKey;
    return options;
  }

  /** What the connection uses, for doctor and messages: paths and names, never a key. */
  describe(): string {
    const parts = [this.tls ? 'TLS' : 'no TLS (TEMPORAL_TLS=false)'];
    if (this.clientCert) parts.push(`client certificate ${this.clientCert.certPath}`);
    if (this.ca) parts.push(`CA ${this.ca.path}`);
    if (this.serverName) parts.push(`server name ${this.serverName}`);
    if (this.#apiKey !== null) parts.push('API key set');
    return parts.join(', ');
  }
}

/** The connection options TemporalTls gives, as both of the SDK's connections take them. */
export interface TemporalConnectionOptions {
  tls:
    | false
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      };
  apiKey?: string;
}

/** The names of the TLS and API key variables set in `env` (for messages: names, never values). */
export function temporalTlsVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  return TLS_SETTINGS.filter((name) => env[name]?.trim());
}

/** A PEM file named by `variable`, read; a SettingsError naming the variable when it cannot be. */
function pemFile(variable: string, path: string, what: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    throw new SettingsError(`${variable}=${path}: ${fileRefusal(error, what)} (expected ${what}, PEM)`);
  }
  if (!content.includes('-----BEGIN ')) {
    throw new SettingsError(`${variable}=${path}: not PEM (expected ${what}, a file with -----BEGIN lines)`);
  }
  return content;
}

/** The TLS settings of `env`, checked and their files read; null when none is set. */
export function temporalTls(env: NodeJS.ProcessEnv = process.env): TemporalTls | null {
  for (const [name, instead] of Object.entries(TEMPORAL_TLS_UNREAD)) {
    if (env[name]?.trim())
      throw new SettingsError(
        `${name} is read by the Temporal CLI but not by contrail: unset it, and set ${instead} instead`,
      );
  }
  if (temporalTlsVariables(env).length === 0) return null;
  const flag = env.TEMPORAL_TLS?.trim();
  if (flag && !TRUE.test(flag) && !FALSE.test(flag))
    throw new SettingsError(`TEMPORAL_TLS=${flag}: expected true or false`);
  const certPath = env.TEMPORAL_TLS_CERT?.trim() || null;
  const keyPath = env.TEMPORAL_TLS_KEY?.trim() || null;
  if ((certPath === null) !== (keyPath === null))
    throw new SettingsError(
      `${certPath === null ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'} is set without ${certPath === null ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY'}: mutual TLS needs both the client certificate (TEMPORAL_TLS_CERT) and its private key (TEMPORAL_TLS_KEY)`,
    );
  const caPath = env.TEMPORAL_TLS_CA?.trim() || null;
  const tls = flag ? TRUE.test(flag) : true;
  if (!tls && (certPath || caPath || env.TEMPORAL_TLS_SERVER_NAME?.trim()))
    throw new SettingsError(
      'TEMPORAL_TLS=false turns TLS off, but TEMPORAL_TLS_CERT, TEMPORAL_TLS_CA or TEMPORAL_TLS_SERVER_NAME is set: unset TEMPORAL_TLS, or those',
    );
  const cert = certPath === null ? null : pemFile('TEMPORAL_TLS_CERT', certPath, 'a client certificate');
  const key =
    keyPath === null ? null : pemFile('TEMPORAL_TLS_KEY', keyPath, "the client certificate's private key");
  return new TemporalTls(
    certPath !== null && cert !== null && keyPath !== null ? { certPath, keyPath, cert } : null,
    key,
    caPath === null ? null : { path: caPath, pem: pemFile('TEMPORAL_TLS_CA', caPath, 'a CA certificate') },
    env.TEMPORAL_TLS_SERVER_NAME?.trim() || null,
    tls,
    env.TEMPORAL_API_KEY?.trim() || null,
  );
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
  ...TLS_SETTINGS,
] as const;

/**
 * TEMPORAL_* variables of the Temporal CLI and Web UI that contrail does not read, which a shell
 * or deployment set up for them holds beside contrail's: never taken for a misspelt setting.
 */
const TEMPORAL_TOOLS =
  /^TEMPORAL_(?:GRPC_META(?:_\w+)?|CODEC_\w+|AUTH_\w+|ENV|PROFILE|CONFIG_FILE|DISABLE_CONFIG_\w+|CORS_ORIGINS|UI_(?:PORT|PUBLIC_PATH|ENABLED)|CLI_(?:ADDRESS|NAMESPACE|TLS_\w+))$/;

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
      // The Temporal CLI's TLS variables contrail does not read are refused as such (temporalTls).
      skip: (name) => TEMPORAL_TOOLS.test(name) || name in TEMPORAL_TLS_UNREAD,
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
