import { basename } from 'node:path';
import { contrailCommand } from '../command-name.js';
import { ContrailError } from '../errors.js';
import { moveTo, type PlacingSetting, settingPlacing } from '../paths.js';
import type { TableRef } from './warehouse.js';

/**
 * A warehouse job failed. Carries the warehouse's own message (so a config author sees what
 * DuckDB/BigQuery said) and the table it was writing, and whether retrying can help (a lock or
 * a 5xx is transient; SQL the warehouse rejects is permanent).
 */
export class WarehouseQueryError extends ContrailError {
  readonly warehouseMessage: string;
  readonly destination: TableRef | null;
  /** The 1-based line of the submitted SQL the warehouse points at, when it points at one. */
  readonly sqlLine: number | null;

  constructor(options: {
    warehouseMessage: string;
    destination?: TableRef | null;
    permanent: boolean;
    cause?: unknown;
    details?: Record<string, unknown>;
    /** The line of the SQL the warehouse points at, when its words are not all in the message. */
    sqlLine?: number | null;
  }) {
    const where = options.destination
      ? ` (writing ${options.destination.dataset}.${options.destination.table})`
      : '';
    const sqlLine = options.sqlLine ?? sqlErrorLine(options.warehouseMessage);
    super(`warehouse query failed${where}: ${options.warehouseMessage}`, {
      permanent: options.permanent,
      cause: options.cause,
      details: {
        ...options.details,
        warehouseMessage: options.warehouseMessage,
        ...(sqlLine !== null ? { sqlLine } : {}),
      },
    });
    this.name = 'WarehouseQueryError';
    this.warehouseMessage = options.warehouseMessage;
    this.destination = options.destination ?? null;
    this.sqlLine = sqlLine;
  }
}

/**
 * The warehouse gave no answer: the connection failed, or its client found no credentials; or
 * the embedded warehouse's file system refused to take its writes (`storage`: full, or
 * read-only). No query is at fault, so a command that checks many queries stops at the first of
 * these rather than reporting every query as failed, and an analysis stops at the first rather
 * than naming each query's config lines. Retried when the network may recover or space may be
 * freed; not when credentials are missing or the file system is read-only.
 */
export class WarehouseUnavailableError extends WarehouseQueryError {
  /** What the embedded warehouse's file system refused for: null when the warehouse did not answer. */
  readonly storage: StorageRefusal | null;

  constructor(options: {
    warehouseMessage: string;
    permanent: boolean;
    cause?: unknown;
    storage?: StorageRefusal | null;
    details?: Record<string, unknown>;
  }) {
    const storage = options.storage ?? null;
    super({
      warehouseMessage: options.warehouseMessage,
      permanent: options.permanent,
      cause: options.cause,
      // Said in the details too, so that a workflow reading the failure back knows the whole
      // warehouse failed, not one step (src/temporal/failures.ts).
      details: { ...options.details, unavailable: true, ...(storage === null ? {} : { storage }) },
    });
    this.name = 'WarehouseUnavailableError';
    this.storage = storage;
  }
}

/**
 * A query reads a table the warehouse does not have (or, in another BigQuery project, will not
 * say it has: its "Access Denied … or perhaps it does not exist"): a telemetry table a config
 * names wrongly, or data that is elsewhere. Each adapter recognises it in its own warehouse's
 * words (DuckDB's catalog error, BigQuery's `Not found: Table`), so callers ask for the table,
 * never the text: `contrail validate` reports the tables it could not check, and a preview whose
 * enrollments cannot be read (an embedded warehouse with no telemetry at all, too) is refused
 * before anything runs.
 */
export class MissingTableError extends WarehouseQueryError {
  /**
   * The table as the warehouse names it (`mozdata.telemetry.events`, BigQuery's
   * `project:dataset.table`; BigQuery's `project:dataset` when it has no such dataset).
   */
  readonly table: string;
  /** The DuckDB file looked in (`:memory:` for a throwaway warehouse), when known. */
  readonly file: string | null;
  /**
   * The telemetry catalog holds no table at all: `contrail sample` never ran there (or the
   * user's tables are elsewhere), so no query that reads telemetry can run.
   */
  readonly noTelemetry: boolean;

  constructor(options: {
    table: string;
    warehouseMessage: string;
    file?: string | null;
    noTelemetry?: boolean;
    sqlLine?: number | null;
    destination?: TableRef | null;
    cause?: unknown;
  }) {
    const file = options.file ?? null;
    super({
      warehouseMessage: options.warehouseMessage,
      destination: options.destination ?? null,
      permanent: true,
      cause: options.cause,
      sqlLine: options.sqlLine ?? null,
      details: { missingTable: options.table, ...(file === null ? {} : { file }) },
    });
    this.name = 'MissingTableError';
    this.table = options.table;
    this.file = file;
    this.noTelemetry = options.noTelemetry ?? false;
  }
}

/**
 * The embedded warehouse's missing table. On a new data directory that is the telemetry itself
 * (`contrail sample` never ran, or the user's tables are elsewhere), and DuckDB's "Table with
 * name events does not exist" says neither which file was looked in nor what to do; this does.
 * The telemetry catalogs (attached files such as mozdata.duckdb, onto which every Mozilla
 * project is mapped) get the remedies; a table missing from the warehouse's own file is named
 * with that file. DuckDB's words follow after a blank line, with the line of the SQL they point
 * at, so the failing query is still located in its config.
 */
export function embeddedMissingTableError(options: {
  table: string;
  file: string | null;
  /** Whether the table would be telemetry (an attached catalog), not the warehouse's own. */
  telemetry: boolean;
  /** What that telemetry catalog holds (`schema.table`), when it could be listed. */
  catalogTables?: string[] | null;
  duckdbMessage: string;
  destination?: TableRef | null;
  cause?: unknown;
}): MissingTableError {
  const onDisk = options.file !== null && options.file !== ':memory:';
  const where = options.file === null ? '' : onDisk ? ` (${options.file})` : ' (in memory)';
  const holds = options.telemetry ? (options.catalogTables ?? null) : null;
  const elsewhere =
    `set CONTRAIL_HOME to a directory whose ${onDisk ? `${basename(options.file as string)} holds` : 'warehouse files hold'} your tables, ` +
    'or use BigQuery (CONTRAIL_WAREHOUSE=bigquery)';
  let remedy = '';
  if (holds !== null && holds.length > 0) {
    // Telemetry is there, only not this table: most likely a name in a config.
    const shown = holds.slice(0, 8).join(', ') + (holds.length > 8 ? `, … (${holds.length} in all)` : '');
    remedy = `, which holds ${shown}: check the table the config reads, or ${elsewhere}`;
  } else if (options.telemetry) {
    remedy = `${holds === null ? '' : ', which holds no telemetry yet'}: run \`${contrailCommand()} sample\` to write demo telemetry, ${elsewhere}`;
  }
  const noTelemetry = holds !== null && holds.length === 0;
  return new MissingTableError({
    table: options.table,
    file: options.file,
    noTelemetry,
    // Where DuckDB points in the SQL locates a wrong name in a config; with no telemetry at all there is none.
    warehouseMessage: `table ${options.table} does not exist in the embedded warehouse${where}${remedy}${noTelemetry ? '' : `\n\n${options.duckdbMessage}`}`,
    sqlLine: sqlErrorLine(options.duckdbMessage),
    destination: options.destination ?? null,
    cause: options.cause,
  });
}

/**
 * What the warehouse itself said about a failure, without contrail's wrapping (a warehouse error's
 * `warehouseMessage`, as a failed planned query carries it too); any other error's message.
 */
export function warehouseMessageOf(error: unknown): string {
  const own = (error as { warehouseMessage?: unknown } | null)?.warehouseMessage;
  if (typeof own === 'string') return own;
  return error instanceof Error ? error.message : String(error);
}

/** The MissingTableError behind `error` (itself or a cause), if any. */
export function missingTableIn(error: unknown): MissingTableError | null {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e instanceof MissingTableError) return e;
  return null;
}

/**
 * The line of the query a warehouse error points at: DuckDB ends its message with
 * `LINE 12: …`, BigQuery with `at [12:5]`. Both count lines of the SQL as submitted (the DuckDB
 * adapter keeps the caller's lines where they were, see runToTable).
 */
export function sqlErrorLine(message: string): number | null {
  const found = /\bLINE (\d+):/.exec(message) ?? /\bat \[(\d+):\d+\]/.exec(message);
  const line = found ? Number(found[1]) : Number.NaN;
  return Number.isInteger(line) && line > 0 ? line : null;
}

/**
 * The embedded warehouse file is held by another process (a worker, a run, `contrail sample`
 * writing to it) for longer than a command waits for it. Asking again later helps.
 */
export class WarehouseBusyError extends ContrailError {
  constructor(message: string, cause?: unknown) {
    super(message, { permanent: false, cause });
    this.name = 'WarehouseBusyError';
  }
}

/**
 * DuckDB prefixes every error with its class ("Binder Error: …"). Lock and I/O trouble and
 * write-write conflicts between transactions go away on a retry; parser, binder, catalog,
 * conversion and constraint errors are properties of the SQL or the data and never do.
 */
const TRANSIENT_DUCKDB =
  /^(IO Error|TransactionContext Error|Transaction Error)\b|Could not set lock|conflict/i;

export function isTransientDuckDbMessage(message: string): boolean {
  return TRANSIENT_DUCKDB.test(message);
}

/** Why the embedded warehouse's file system refused a write: it is full, or mounted read-only. */
export type StorageRefusal = 'full' | 'read-only';

/**
 * DuckDB's words for a file system that will not take a write, anywhere in its message (a
 * write that failed, and every later one: "database has been invalidated … Original error: …
 * No space left on device"), with the system's own words for it and what to do: move the file
 * by the setting that placed it (`setting`, see settingPlacing and moveTo).
 */
const STORAGE_REFUSALS: readonly {
  refusal: StorageRefusal;
  words: RegExp;
  said: (file: string, setting: PlacingSetting | null) => string;
}[] = [
  {
    refusal: 'full',
    words: /No space left on device|Disk quota exceeded/i,
    said: (file, setting) =>
      `the file system holding the embedded warehouse${file} is full: free space there, or ${moveTo(setting, 'a directory with room')}, and run the command again`,
  },
  {
    refusal: 'read-only',
    words: /Read-only file system/i,
    said: (file, setting) =>
      `the embedded warehouse${file} is on a read-only file system: ${moveTo(setting, 'a directory you can write to')}`,
  },
];

/**
 * The embedded warehouse's file system refused a write (full, or read-only): not the fault of
 * the query that wrote, nor of its config, and every other write fails alike. Null for any other
 * DuckDB error. The message names the warehouse file, the system's words (`No space left on
 * device`), what to do, with the setting that placed the file under `env` (the settings of the
 * process that opened it), and nothing that differs from one query or write to the next (the
 * table, the WAL or the database file DuckDB named), so that the failures of many dates are said
 * once; DuckDB's own words stay in the details. A full disk is retried by the activity's policy
 * (space may be freed meanwhile); a read-only one is not.
 */
export function embeddedStorageError(options: {
  /** The warehouse's database file. */
  file: string | null;
  duckdbMessage: string;
  cause?: unknown;
  /** The settings that placed the file; default this process's. */
  env?: NodeJS.ProcessEnv;
}): WarehouseUnavailableError | null {
  const found = STORAGE_REFUSALS.find(({ words }) => words.test(options.duckdbMessage));
  if (found === undefined) return null;
  const systemSaid = found.words.exec(options.duckdbMessage)?.[0] ?? '';
  const file = options.file === null || options.file === ':memory:' ? '' : ` ${options.file}`;
  const setting = options.file === null ? null : settingPlacing(options.file, options.env);
  return new WarehouseUnavailableError({
    warehouseMessage: `${found.said(file, setting)} (the file system said: ${systemSaid})`,
    permanent: found.refusal === 'read-only',
    storage: found.refusal,
    cause: options.cause,
    details: { duckdbMessage: options.duckdbMessage, ...(file === '' ? {} : { file: options.file }) },
  });
}

/** The error a cancelled job rejects with (`name === 'AbortError'`, as fetch and timers use). */
export function abortError(reason?: unknown): DOMException {
  const detail =
    reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : '';
  return new DOMException(`warehouse job cancelled${detail}`, 'AbortError');
}
