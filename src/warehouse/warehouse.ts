import type { SqlDialect } from '../sql/dialect.js';
import type { Dialect, TableRef } from './table-ref.js';

/**
 * One interface over the embedded DuckDB warehouse and BigQuery. Activities pass table names
 * between each other; rows stay in the warehouse. Adapters implement this and say which SQL
 * they speak (`sqlDialect`); nothing outside `src/warehouse` knows which one is in use.
 */
export type { Dialect, TableRef } from './table-ref.js';

/** Table labels (BigQuery labels; a metadata table in DuckDB). Keys/values: lower-case [a-z0-9_-]. */
export type TableLabels = Record<string, string>;

export interface QueryProgress {
  /** Called periodically while a warehouse job runs (activities heartbeat from here). */
  onProgress?: (info: { elapsedMs: number; detail?: string }) => void;
  /** Aborts the running job (activity cancellation). */
  signal?: AbortSignal;
  /**
   * Identity of the work this job belongs to (e.g. workflow run and activity). A warehouse with
   * job ids derives them from it, so a retry of the same work finds its own running or finished
   * job instead of starting another; without it every call is new work.
   */
  jobKey?: string;
}

export interface RunToTableOptions extends QueryProgress {
  sql: string;
  destination: TableRef;
  /** Written with the table; `last_updated` is set by the adapter. */
  labels?: TableLabels;
  /** Replace the table if it exists (default) — running twice never appends. */
  replace?: boolean;
  /**
   * The query only selects from tables the warehouse already holds (jetstream's per-basis
   * metrics tables, split from contrail's scan table), so the warehouse may keep its result as a
   * view over them instead of a copy. DuckDB does: a copy of a million clients' metrics costs
   * seconds, a view nothing. BigQuery keeps a table: its wildcard queries, which jetstream's
   * consumers run over these tables, skip views.
   */
  mayBeView?: boolean;
  /** Days until the table expires, from when it is written; default: the dataset's default expiry (if any). */
  expirationDays?: number | null;
  /** What the table holds, for people browsing the warehouse (BigQuery table description). */
  description?: string;
}

export interface RunToTableResult {
  destination: TableRef;
  rows: number;
  bytesProcessed: number | null;
  /** What the job was billed (BigQuery's `totalBytesBilled`: minimums applied, nothing for a cached answer); absent where the warehouse bills nothing. */
  bytesBilled?: number | null;
  elapsedMs: number;
}

/** Column types for rows contrail writes itself (statistics, logs). */
export type ColumnType = 'STRING' | 'FLOAT64' | 'INT64' | 'BOOL' | 'DATE' | 'TIMESTAMP';

export interface WriteRowsOptions {
  destination: TableRef;
  columns: { name: string; type: ColumnType }[];
  /** Small result sets only (statistics, logs): rows are sent from the process. */
  rows: Record<string, unknown>[];
  labels?: TableLabels;
  /**
   * 'replace' (default) swaps the whole table atomically; 'append' adds rows; 'merge' adds
   * the rows whose `key` column value the table does not hold yet, so writing the same rows
   * again (a retried or rerun step) adds nothing. 'append' and 'merge' create a missing table
   * and add columns a table written by an older version lacks.
   */
  mode?: 'replace' | 'append' | 'merge';
  /** The column identifying a row, for 'merge'. */
  key?: string;
  /**
   * For 'merge': columns that a row whose key the table holds already takes from the row
   * written again (a log row's time: when it was last logged), its other columns kept.
   */
  refresh?: string[];
  /** Days until a table this call creates expires; default: the dataset's default expiry (if any). */
  expirationDays?: number | null;
  description?: string;
  jobKey?: string;
}

/** One table of a swap: `from` (same dataset) takes the place of `to`. */
export interface TableMove {
  from: TableRef;
  to: TableRef;
}

/**
 * How a warehouse knows what a query would scan: `dry_run` is the warehouse's own answer
 * (BigQuery's dry run, what it would bill); `column_sizes` is an estimate from the sizes of the
 * columns the query reads (the embedded DuckDB warehouse, see duckdb-cost.ts).
 */
export type CostEstimateMethod = 'dry_run' | 'column_sizes';

export interface DryRunResult {
  bytesProcessed: number | null;
  method: CostEstimateMethod;
  /**
   * The tables the query references, by name (BigQuery's `referencedTables`; the tables the
   * embedded estimate sizes): BigQuery bills at least 10 MB for each (`billedBytes`). Absent
   * when the warehouse does not say.
   */
  referencedTables?: string[];
}

/** What `createDataset` found or made. */
export interface DatasetCreated {
  created: boolean;
  /** Whether new tables of the dataset expire (looked up for an existing one only when an expiry was asked for). */
  expires: boolean;
}

export interface TableInfo {
  ref: TableRef;
  labels: TableLabels;
  /** Epoch ms when the table expires, if an expiry is set. */
  expiresAt: number | null;
}

/** A column of a table, its type as the warehouse's own SQL spells it (`CAST(NULL AS <type>)` is valid). */
export interface TableColumn {
  name: string;
  type: string;
}

export interface Warehouse {
  readonly dialect: Dialect;
  /** The SQL renderer for this warehouse: every query contrail sends it is written through this. */
  readonly sqlDialect: SqlDialect;
  /** Run a query into a table atomically: on failure no partial table is left behind. */
  runToTable(options: RunToTableOptions): Promise<RunToTableResult>;
  /** Write rows computed in the process (e.g. statistics) into a table, atomically. */
  writeRows(options: WriteRowsOptions): Promise<{ destination: TableRef; rows: number }>;
  /** Run a query and return its (small) result as plain JS rows; BigInts become numbers. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    options?: QueryProgress,
  ): Promise<Row[]>;
  /**
   * Every row of a small table (statistic inputs: a few thousand rows), the given columns or
   * all of them, as plain JS rows like `query`'s. No query job where the warehouse can list a
   * table: BigQuery's table listing is free and starts no job, a query would bill its minimum.
   */
  readRows<Row extends Record<string, unknown> = Record<string, unknown>>(
    ref: TableRef,
    columns?: readonly string[],
    options?: QueryProgress,
  ): Promise<Row[]>;
  /** Run a statement with no result (DDL, views). */
  execute(sql: string, options?: QueryProgress): Promise<void>;
  /** Bytes the query would scan, without running it (null when the warehouse cannot tell), and how they were found. */
  dryRun(sql: string): Promise<DryRunResult>;
  tableExists(ref: TableRef): Promise<boolean>;
  getTable(ref: TableRef): Promise<TableInfo | null>;
  /** A table's (or view's) columns in order, null when it does not exist. No query job on BigQuery. */
  tableColumns(ref: TableRef): Promise<TableColumn[] | null>;
  setLabels(ref: TableRef, labels: TableLabels): Promise<void>;
  /**
   * Create the dataset if missing; `expirationDays` becomes the default expiry of its tables.
   * An existing dataset keeps its own: a preview never makes the tables of a dataset of lasting
   * results expire. Says whether it was created, and (when `expirationDays` was given) whether
   * the dataset's tables expire.
   */
  createDataset(dataset: string, options?: { expirationDays?: number }): Promise<DatasetCreated>;
  /** Tables in a dataset whose names start with `prefix`. */
  listTables(dataset: string, prefix?: string): Promise<TableInfo[]>;
  dropTable(ref: TableRef): Promise<void>;
  /**
   * Drops the tables whose expiry has passed and returns them. BigQuery drops expired tables
   * itself (none here); the embedded warehouse keeps expiry in its metadata and drops them when
   * asked (the worker's hourly housekeeping, every open of the file, every listing).
   */
  dropExpired(): Promise<TableRef[]>;
  /**
   * Puts each move's `from` table (rows, labels) in the place of its `to` table, which is
   * replaced or created; `from` is gone afterwards and `to` takes the dataset's default expiry.
   * Also drops `drop`. DuckDB does it all in one transaction (a reader sees every `to` as it
   * was or every one as moved, never a mix); BigQuery in one copy job per table (each table
   * atomic). A move whose `from` is missing is skipped: a retried swap that already happened
   * does nothing. A `from` the warehouse kept as a view (`mayBeView`) moves as a view that reads
   * the moved tables under their `to` names.
   */
  swapTables(moves: TableMove[], options?: QueryProgress & { drop?: TableRef[] }): Promise<void>;
  close(): Promise<void>;
}
