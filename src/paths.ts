import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileRefusal } from './file-refusal.js';
import { SettingsError } from './settings.js';

/** The nearest part of `path` that is no directory (a file), or `path` when none can be told. */
function fileInTheWay(path: string): string {
  for (let part = dirname(path); part !== dirname(part); part = dirname(part)) {
    try {
      if (statSync(part, { throwIfNoEntry: false })?.isDirectory() === false) return part;
    } catch {
      // ENOTDIR again: the file is further up.
    }
  }
  return path;
}

/**
 * Makes `dir` and its missing parents, one level at a time (node's recursive mkdir never returns
 * on some paths the kernel refuses, such as under /proc). Null when it is a directory now, else
 * why it cannot be one. `made` collects the directories it made, outermost first.
 */
export function makeDirectory(dir: string, made: string[] = []): string | null {
  const missing: string[] = [];
  let existing = resolve(dir);
  for (;;) {
    let kind: ReturnType<typeof statSync>;
    try {
      kind = statSync(existing, { throwIfNoEntry: false });
    } catch (error) {
      // ENOTDIR: a file stands where a directory of the path should be; named, since the
      // path alone does not say which of its parts it is.
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOTDIR' ? `${fileInTheWay(existing)} is a file, not a directory` : String(error);
    }
    if (kind) {
      if (!kind.isDirectory()) return `${existing} is not a directory`;
      break;
    }
    missing.unshift(existing);
    existing = dirname(existing);
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
      made.push(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // made meanwhile by another command
      return `cannot make ${path}: ${fileRefusal(error)}`;
    }
  }
  return null;
}

/**
 * The data directory's absolute path, without creating it: `CONTRAIL_HOME` if set, else
 * `$XDG_DATA_HOME/contrail`, else `~/.local/share/contrail`. An empty setting is no setting
 * (`CONTRAIL_HOME= contrail …` would otherwise fill the working directory), and a leading `~`
 * is the home directory, as a shell would have it where none expanded it (a quoted value, an
 * env file): DuckDB expands `~` in the warehouse path itself, so a directory made at a literal
 * `./~/…` left the warehouse file somewhere else. Resolved against the working directory once,
 * so every part of a command (and its worker) finds the same files.
 */
export function dataDirPath(env: NodeJS.ProcessEnv = process.env): string {
  const set = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
  const home = set(env.CONTRAIL_HOME);
  const dir = home ?? join(set(env.XDG_DATA_HOME) ?? join(homedir(), '.local', 'share'), 'contrail');
  return resolve(dir === '~' || dir.startsWith('~/') ? join(homedir(), dir.slice(1)) : dir);
}

/**
 * contrail's data directory (see dataDirPath). Holds the embedded DuckDB warehouse, the dev
 * server's SQLite file and exports. Created on first use.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = dataDirPath(env);
  const why = makeDirectory(dir);
  if (why !== null) {
    throw new SettingsError(
      `data directory ${dir}${env.CONTRAIL_HOME?.trim() ? ' (CONTRAIL_HOME)' : ''}: ${why}; set CONTRAIL_HOME to a directory you can write to`,
    );
  }
  return dir;
}

/** A setting that decides where contrail keeps its files: the one to change to move them. */
export type PlacingSetting = 'CONTRAIL_DUCKDB_PATH' | 'CONTRAIL_HOME';

/**
 * The embedded warehouse file and the setting that put it there, without making any directory:
 * `CONTRAIL_DUCKDB_PATH` when set (an empty setting is no setting, as for CONTRAIL_HOME: DuckDB
 * would take an empty path for a database in memory, and every result would vanish with the
 * command), else `warehouse.duckdb` in the data directory (CONTRAIL_HOME, or its default).
 */
export function warehouseLocation(env: NodeJS.ProcessEnv = process.env): {
  file: string;
  setting: PlacingSetting;
} {
  const own = env.CONTRAIL_DUCKDB_PATH?.trim();
  if (own) return { file: own, setting: 'CONTRAIL_DUCKDB_PATH' };
  return { file: join(dataDirPath(env), 'warehouse.duckdb'), setting: 'CONTRAIL_HOME' };
}

/** The embedded warehouse file (one DuckDB database per data directory, unless CONTRAIL_DUCKDB_PATH names one). */
export function warehouseFile(env: NodeJS.ProcessEnv = process.env): string {
  const { file, setting } = warehouseLocation(env);
  if (setting === 'CONTRAIL_HOME') dataDir(env);
  return file;
}

/**
 * The setting that put `path` where it is, under these settings: CONTRAIL_DUCKDB_PATH for the
 * embedded warehouse file it names (and what lies beside it, as `<file>.claims`), CONTRAIL_HOME
 * for anything in the data directory (the warehouse file by default, the telemetry, notes on a
 * BigQuery project); null for a path neither placed (a caller's own file, a database in memory).
 * Advice to move a file that is on a full or read-only disk names this setting: with the
 * warehouse file placed by CONTRAIL_DUCKDB_PATH, another CONTRAIL_HOME would not move it.
 */
export function settingPlacing(path: string, env: NodeJS.ProcessEnv = process.env): PlacingSetting | null {
  if (path === '' || path === ':memory:') return null;
  const warehouse = warehouseLocation(env);
  const at = resolve(path);
  const file = resolve(warehouse.file);
  if (at === file || at.startsWith(`${file}.`)) return warehouse.setting;
  const dir = dataDirPath(env);
  return at === dir || at.startsWith(`${dir}/`) ? 'CONTRAIL_HOME' : null;
}

/**
 * What to do to have a file placed by `setting` (settingPlacing) somewhere else, `there`
 * (`a directory you can write to`): change that setting, or, for a file no setting placed,
 * move it. One wording for every message that advises it.
 */
export function moveTo(setting: PlacingSetting | null, there: string): string {
  if (setting === 'CONTRAIL_DUCKDB_PATH') return `set CONTRAIL_DUCKDB_PATH to a file in ${there}`;
  if (setting === 'CONTRAIL_HOME') return `set CONTRAIL_HOME to ${there}`;
  return `move the warehouse file to ${there}`;
}

/** Why the file at `path` cannot be read (see fileRefusal), or null when it can. */
export function unreadableFile(path: string, expected: string): string | null {
  try {
    if (statSync(path).isDirectory()) return `a directory, not ${expected}`;
    accessSync(path, constants.R_OK);
    return null;
  } catch (error) {
    return fileRefusal(error, expected);
  }
}
