import { ContrailError } from '../errors.js';
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
  }) {
    const where = options.destination
      ? ` (writing ${options.destination.dataset}.${options.destination.table})`
      : '';
    const sqlLine = sqlErrorLine(options.warehouseMessage);
    super(`warehouse query failed${where}: ${options.warehouseMessage}`, {
      permanent: options.permanent,
      cause: options.cause,
      details: { warehouseMessage: options.warehouseMessage, ...(sqlLine !== null ? { sqlLine } : {}) },
    });
    this.name = 'WarehouseQueryError';
    this.warehouseMessage = options.warehouseMessage;
    this.destination = options.destination ?? null;
    this.sqlLine = sqlLine;
  }
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

/** The error a cancelled job rejects with (`name === 'AbortError'`, as fetch and timers use). */
export function abortError(reason?: unknown): DOMException {
  const detail =
    reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : '';
  return new DOMException(`warehouse job cancelled${detail}`, 'AbortError');
}
