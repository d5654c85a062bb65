import { totalmem } from 'node:os';
import { join } from 'node:path';
import { dataDirPath } from '../paths.js';
import { SettingsError } from '../settings.js';

/**
 * How much of the machine an embedded DuckDB warehouse may use. DuckDB's own default memory
 * limit is 80 % of the machine, and it only spills to disk when it reaches it: at a few million
 * clients the metrics queries then take most of a shared machine, or more than it has. A limit
 * makes DuckDB spill its hash tables and sorts to a temporary directory instead, so the same
 * analysis runs in bounded memory, only slower. The default, 15 % of the machine's memory, keeps
 * a million clients × 28 days under 4 GB on a 24 GB machine: at 25 % DuckDB filled its 5.9 GB
 * with cached table data and hash tables, no faster.
 *
 * Settings, from the environment (or `OpenDuckDbOptions`, which win):
 * - `CONTRAIL_DUCKDB_MEMORY_LIMIT`: a DuckDB size (`4GB`, `512MiB`) or a share of the machine's
 *   memory (`15%`, the default);
 * - `CONTRAIL_DUCKDB_THREADS`: worker threads; unset, DuckDB uses one per core.
 * The temporary directory is one per database: beside a database file (`<file>.tmp`, DuckDB's own
 * choice; the embedded warehouse's file lives in the data directory), and for an in-memory
 * database a directory of its own under `<data directory>/tmp`. DuckDB names its spill files the
 * same in every directory, so two databases must never share one; it removes the directory when
 * the database closes.
 */

export const DEFAULT_MEMORY_LIMIT = '15%';

export interface DuckDbResourceOptions {
  /** DuckDB size (`4GB`, `512MiB`) or share of the machine's memory (`15%`). */
  memoryLimit?: string;
  /** Worker threads (default: DuckDB's, one per core). */
  threads?: number;
  /** Where DuckDB spills (default: see above). */
  tempDirectory?: string;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;
const SHARE = /^(\d+(?:\.\d+)?)\s*%$/;

/** A memory limit as DuckDB's `memory_limit` takes it; a share becomes MiB of this machine's memory. */
export function memoryLimitSetting(value: string, source: string, machineBytes = totalmem()): string {
  const text = value.trim();
  const size = SIZE.exec(text);
  if (size && Number(size[1]) > 0) return `${size[1]}${size[2]}`;
  const share = SHARE.exec(text);
  if (share && Number(share[1]) > 0 && Number(share[1]) <= 100) {
    return `${Math.max(1, Math.floor((machineBytes * Number(share[1])) / 100 / 2 ** 20))}MiB`;
  }
  throw new SettingsError(
    `${source} = ${JSON.stringify(value)}: expected a size such as 4GB or 512MiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB) or a share of the machine's memory such as 25%`,
  );
}

function threadsSetting(value: number | string, source: string): number {
  const n = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new SettingsError(
      `${source} = ${JSON.stringify(value)}: expected a whole number of threads, 1 or more`,
    );
  }
  return n;
}

let inMemoryDatabases = 0;

function defaultTempDirectory(path: string, env: NodeJS.ProcessEnv): string {
  if (path !== ':memory:' && path !== '') return `${path}.tmp`;
  inMemoryDatabases += 1;
  return join(dataDirPath(env), 'tmp', `duckdb-memory-${process.pid}-${inMemoryDatabases}`);
}

/** DuckDB configuration entries (`DuckDBInstance.create`) for a database at `path`. */
export function duckDbResourceConfig(
  path: string,
  options: DuckDbResourceOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const config: Record<string, string> = {
    memory_limit: options.memoryLimit
      ? memoryLimitSetting(options.memoryLimit, 'memoryLimit')
      : env.CONTRAIL_DUCKDB_MEMORY_LIMIT?.trim()
        ? memoryLimitSetting(env.CONTRAIL_DUCKDB_MEMORY_LIMIT, 'CONTRAIL_DUCKDB_MEMORY_LIMIT')
        : memoryLimitSetting(DEFAULT_MEMORY_LIMIT, 'the default memory limit'),
    temp_directory: options.tempDirectory ?? defaultTempDirectory(path, env),
  };
  if (options.threads !== undefined) config.threads = String(threadsSetting(options.threads, 'threads'));
  else if (env.CONTRAIL_DUCKDB_THREADS?.trim())
    config.threads = String(threadsSetting(env.CONTRAIL_DUCKDB_THREADS, 'CONTRAIL_DUCKDB_THREADS'));
  return config;
}

const DEFAULT_WAIT_MS = 30_000;

/**
 * How long a job waits for the embedded warehouse file while another command holds it
 * (`CONTRAIL_WAREHOUSE_WAIT_MS`, default 30 s). Activities heartbeat meanwhile; a job that
 * gives up fails with a transient error and its activity is retried. A value that is no number
 * of milliseconds is refused rather than read as the default: a mistyped wait would otherwise
 * go unnoticed until two commands met.
 */
export function warehouseWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.CONTRAIL_WAREHOUSE_WAIT_MS?.trim();
  if (!text) return DEFAULT_WAIT_MS;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SettingsError(
      `CONTRAIL_WAREHOUSE_WAIT_MS = ${JSON.stringify(env.CONTRAIL_WAREHOUSE_WAIT_MS)}: expected a whole number of milliseconds, 0 or more (default ${DEFAULT_WAIT_MS})`,
    );
  }
  return value;
}

/**
 * The embedded warehouse's settings from the environment, checked: a worker (and an embedded
 * command, before its server starts) stops at once naming a bad one, rather than failing every
 * activity when it first opens the file.
 */
export function checkDuckDbSettings(env: NodeJS.ProcessEnv = process.env): void {
  const memory = env.CONTRAIL_DUCKDB_MEMORY_LIMIT;
  if (memory?.trim()) memoryLimitSetting(memory, 'CONTRAIL_DUCKDB_MEMORY_LIMIT');
  const threads = env.CONTRAIL_DUCKDB_THREADS;
  if (threads?.trim()) threadsSetting(threads, 'CONTRAIL_DUCKDB_THREADS');
  warehouseWaitMs(env);
}
