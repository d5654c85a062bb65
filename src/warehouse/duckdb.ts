import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { dataDir, warehouseFile } from '../paths.js';
import { installBigQueryCompat } from './bigquery-compat.js';
import { bindValue, DUCKDB_COLUMN_TYPES, type PlainValue, plainValueConverter } from './duckdb-values.js';
import { abortError, isTransientDuckDbMessage, WarehouseQueryError } from './errors.js';
import { assertDataset, assertTableName } from './identifiers.js';
import { assertLabels, lastUpdatedLabel } from './labels.js';
import type {
  QueryProgress,
  RunToTableOptions,
  RunToTableResult,
  TableInfo,
  TableLabels,
  TableRef,
  Warehouse,
  WriteRowsOptions,
} from './warehouse.js';

export interface OpenDuckDbOptions {
  /** Database file; default `warehouseFile()`. `':memory:'` for a throwaway warehouse. */
  path?: string;
  /** Extra catalogs: name → database file (or `':memory:'`), e.g. `{ mozdata: '…/mozdata.duckdb' }`. */
  attach?: Record<string, string>;
  /** How often `onProgress` fires while a job runs (default 2000 ms). */
  progressIntervalMs?: number;
  /** Clock for labels and expiry (tests move time forward). */
  now?: () => number;
}

const META_SCHEMA = 'contrail_meta';
const DAY_MS = 86_400_000;
// Rows per INSERT statement in writeRows: large enough to be quick, small enough to bind.
const INSERT_BATCH = 256;

interface ResolvedRef {
  ref: TableRef;
  catalog: string;
  schema: string;
  /** Fully qualified, quoted: "catalog"."schema"."table". */
  sql: string;
  schemaSql: string;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** DuckDB statement text without trailing semicolons, so it can be wrapped in `AS ( … )`. */
function statementBody(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The embedded warehouse. One connection, one job at a time: DuckDB already uses every core
 * for a single query, and owning the connection per job is what makes `interrupt()` cancel
 * exactly that job. Jobs queue in order; a queued job reports progress and can be aborted.
 */
export class DuckDbWarehouse implements Warehouse {
  readonly dialect = 'duckdb' as const;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly progressIntervalMs: number;
  private readonly now: () => number;
  private readonly metaCatalogs = new Set<string>();
  /** Called once by close(); lets `embeddedWarehouse()` forget a closed instance. */
  onClose: (() => void) | null = null;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** The main database's catalog name (DuckDB names it after the file, or `memory`). */
    readonly mainCatalog: string,
    options: OpenDuckDbOptions,
  ) {
    this.progressIntervalMs = options.progressIntervalMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  static async open(options: OpenDuckDbOptions = {}): Promise<DuckDbWarehouse> {
    const path = options.path ?? warehouseFile();
    // Extensions that are not built in would be fetched from the internet on first use;
    // contrail never downloads at run time, so such a query fails fast instead.
    const instance = await DuckDBInstance.create(path, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    let connection: DuckDBConnection | null = null;
    try {
      connection = await instance.connect();
      // TimeZone needs ICU, loaded after instance creation, so it is a SET rather than config.
      await connection.run("SET TimeZone = 'UTC'");
      for (const [catalog, file] of Object.entries(options.attach ?? {})) {
        assertTableName(catalog);
        await connection.run(`ATTACH IF NOT EXISTS '${file.replaceAll("'", "''")}' AS ${quote(catalog)}`);
      }
      await installBigQueryCompat(connection);
      const reader = await connection.runAndReadAll('SELECT current_database() AS db');
      const mainCatalog = String(reader.getRowObjectsJS()[0]?.db);
      const warehouse = new DuckDbWarehouse(instance, connection, mainCatalog, options);
      await warehouse.initMetadata(Object.keys(options.attach ?? {}));
      await warehouse.dropExpired();
      return warehouse;
    } catch (error) {
      connection?.closeSync();
      instance.closeSync();
      throw new WarehouseQueryError({
        warehouseMessage: `cannot open DuckDB warehouse ${path}: ${messageOf(error)}`,
        permanent: !isTransientDuckDbMessage(messageOf(error)),
        cause: error,
      });
    }
  }

  /**
   * Labels and expiry live in a `contrail_meta` schema of the table's own catalog: DuckDB lets
   * one transaction write to one database only, and the table and its metadata must change
   * together.
   */
  private meta(catalog: string): string {
    return `${quote(catalog)}.${META_SCHEMA}`;
  }

  private async ensureMetadata(connection: DuckDBConnection, catalog: string): Promise<void> {
    if (this.metaCatalogs.has(catalog)) return;
    await connection.run(`
      CREATE SCHEMA IF NOT EXISTS ${this.meta(catalog)};
      CREATE TABLE IF NOT EXISTS ${this.meta(catalog)}.tables (
        dataset VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
        labels VARCHAR NOT NULL, expires_at_ms BIGINT);
      CREATE TABLE IF NOT EXISTS ${this.meta(catalog)}.datasets (
        dataset VARCHAR NOT NULL, expiration_days DOUBLE);`);
    this.metaCatalogs.add(catalog);
  }

  private async initMetadata(attached: string[]): Promise<void> {
    for (const catalog of [this.mainCatalog, ...attached])
      await this.ensureMetadata(this.connection, catalog);
  }

  /** A dataset `a.b` names catalog `a`, schema `b`; a plain dataset is a schema of the main database. */
  private resolve(ref: TableRef): ResolvedRef {
    assertDataset(ref.dataset);
    assertTableName(ref.table);
    const dot = ref.dataset.indexOf('.');
    const catalog = dot === -1 ? this.mainCatalog : ref.dataset.slice(0, dot);
    const schema = dot === -1 ? ref.dataset : ref.dataset.slice(dot + 1);
    const schemaSql = `${quote(catalog)}.${quote(schema)}`;
    return { ref, catalog, schema, schemaSql, sql: `${schemaSql}.${quote(ref.table)}` };
  }

  /**
   * Runs `job` with the connection to itself: waits its turn, reports progress every
   * `progressIntervalMs` (also while waiting, so activities keep heartbeating), interrupts
   * DuckDB on abort, and turns DuckDB errors into WarehouseQueryError.
   */
  private async exclusive<T>(
    job: (connection: DuckDBConnection) => Promise<T>,
    progress: QueryProgress = {},
    destination: TableRef | null = null,
  ): Promise<T> {
    if (this.closed) {
      // Closed while a worker shuts down: another attempt (on a live worker) can succeed.
      throw new WarehouseQueryError({ warehouseMessage: 'the DuckDB warehouse is closed', permanent: false });
    }
    const { signal, onProgress } = progress;
    if (signal?.aborted) throw abortError(signal.reason);
    const previous = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tail = previous.then(() => mine);

    const started = Date.now();
    let running = false;
    const timer = onProgress
      ? setInterval(() => {
          const pct = running ? this.connection.progress.percentage : -1;
          const detail = !running
            ? 'waiting for another warehouse job'
            : pct >= 0
              ? `${pct.toFixed(0)}%`
              : undefined;
          onProgress({ elapsedMs: Date.now() - started, ...(detail ? { detail } : {}) });
        }, this.progressIntervalMs)
      : null;
    let interrupted = false;
    const onAbort = () => {
      if (running) {
        interrupted = true;
        this.connection.interrupt();
      }
    };
    try {
      await new Promise<void>((resolve, reject) => {
        const abortWhileWaiting = () => reject(abortError(signal?.reason));
        signal?.addEventListener('abort', abortWhileWaiting, { once: true });
        previous.then(() => {
          signal?.removeEventListener('abort', abortWhileWaiting);
          resolve();
        });
      });
      if (signal?.aborted) throw abortError(signal.reason);
      running = true;
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return await job(this.connection);
      } catch (error) {
        if (interrupted || signal?.aborted) throw abortError(signal?.reason);
        if (error instanceof WarehouseQueryError || !(error instanceof Error)) throw error;
        // Our own validation (TypeError, InvalidIdentifierError, …) is not a warehouse failure.
        if (!/^[A-Za-z ]*Error: /.test(error.message)) throw error;
        throw new WarehouseQueryError({
          warehouseMessage: error.message,
          destination,
          permanent: !isTransientDuckDbMessage(error.message),
          cause: error,
        });
      }
    } finally {
      running = false;
      signal?.removeEventListener('abort', onAbort);
      if (timer) clearInterval(timer);
      release();
    }
  }

  /** Runs `body` in one transaction; any failure rolls everything back. */
  private async transaction<T>(connection: DuckDBConnection, body: () => Promise<T>): Promise<T> {
    await connection.run('BEGIN TRANSACTION');
    try {
      const result = await body();
      await connection.run('COMMIT');
      return result;
    } catch (error) {
      // After an interrupt or a failed statement the transaction is aborted; roll it back
      // so the connection is usable again. A rollback error must not hide the real one.
      await connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async defaultExpiry(connection: DuckDBConnection, target: ResolvedRef): Promise<number | null> {
    await this.ensureMetadata(connection, target.catalog);
    const reader = await connection.runAndReadAll(
      `SELECT expiration_days FROM ${this.meta(target.catalog)}.datasets WHERE dataset = $1`,
      [target.ref.dataset],
    );
    const days = reader.getRowObjectsJS()[0]?.expiration_days;
    return typeof days === 'number' ? this.now() + days * DAY_MS : null;
  }

  private async writeMetadata(
    connection: DuckDBConnection,
    target: ResolvedRef,
    labels: TableLabels,
    expiresAt: number | null,
  ): Promise<void> {
    const meta = this.meta(target.catalog);
    await connection.run(`DELETE FROM ${meta}.tables WHERE dataset = $1 AND table_name = $2`, [
      target.ref.dataset,
      target.ref.table,
    ]);
    await connection.run(`INSERT INTO ${meta}.tables VALUES ($1, $2, $3, $4)`, [
      target.ref.dataset,
      target.ref.table,
      JSON.stringify(labels),
      expiresAt === null ? null : BigInt(Math.round(expiresAt)),
    ]);
  }

  /** Merges `labels` into a table's labels, keeping its expiry. */
  private async mergeLabels(connection: DuckDBConnection, target: ResolvedRef, labels: TableLabels) {
    const current = await this.readMetadata(connection, target);
    await this.writeMetadata(
      connection,
      target,
      { ...current?.labels, ...labels },
      current?.expiresAt ?? null,
    );
  }

  private async relationKind(
    connection: DuckDBConnection,
    target: ResolvedRef,
  ): Promise<'TABLE' | 'VIEW' | null> {
    const reader = await connection.runAndReadAll(
      `SELECT 'TABLE' AS kind FROM duckdb_tables() WHERE database_name = $1 AND schema_name = $2 AND table_name = $3
       UNION ALL
       SELECT 'VIEW' FROM duckdb_views() WHERE database_name = $1 AND schema_name = $2 AND view_name = $3`,
      [target.catalog, target.schema, target.ref.table],
    );
    const kind = reader.getRowObjectsJS()[0]?.kind;
    return kind === 'TABLE' || kind === 'VIEW' ? kind : null;
  }

  private async readMetadata(
    connection: DuckDBConnection,
    target: ResolvedRef,
  ): Promise<{ labels: TableLabels; expiresAt: number | null } | null> {
    await this.ensureMetadata(connection, target.catalog);
    const reader = await connection.runAndReadAll(
      `SELECT labels, expires_at_ms FROM ${this.meta(target.catalog)}.tables WHERE dataset = $1 AND table_name = $2`,
      [target.ref.dataset, target.ref.table],
    );
    const row = reader.convertRowObjects(plainValueConverter)[0];
    if (!row) return null;
    return {
      labels: JSON.parse(String(row.labels)) as TableLabels,
      expiresAt: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
    };
  }

  async runToTable(options: RunToTableOptions): Promise<RunToTableResult> {
    const target = this.resolve(options.destination);
    const labels = assertLabels({ ...options.labels, last_updated: lastUpdatedLabel(this.now()) });
    const started = Date.now();
    const rows = await this.exclusive(
      async (connection) => {
        if (options.replace === false && (await this.relationKind(connection, target)) !== null) {
          throw new WarehouseQueryError({
            warehouseMessage: `table ${options.destination.dataset}.${options.destination.table} already exists (replace: false)`,
            destination: options.destination,
            permanent: true,
          });
        }
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${target.schemaSql}`);
        const expiresAt = await this.defaultExpiry(connection, target);
        // CREATE OR REPLACE inside a transaction is DuckDB's atomic swap: readers see the old
        // table until COMMIT; a failing query rolls back to the old table (or to none). The
        // newline before `)` keeps a trailing `-- comment` in the SQL from swallowing it.
        return this.transaction(connection, async () => {
          const reader = await connection.runAndReadAll(
            `CREATE OR REPLACE TABLE ${target.sql} AS (\n${statementBody(options.sql)}\n)`,
          );
          await this.writeMetadata(connection, target, labels, expiresAt);
          // CREATE TABLE … AS answers with one row: the number of rows written.
          return Number(reader.getRows()[0]?.[0] ?? 0);
        });
      },
      options,
      options.destination,
    );
    return { destination: options.destination, rows, bytesProcessed: null, elapsedMs: Date.now() - started };
  }

  async writeRows(options: WriteRowsOptions): Promise<{ destination: TableRef; rows: number }> {
    const target = this.resolve(options.destination);
    const mode = options.mode ?? 'replace';
    const labels = assertLabels({ ...options.labels, last_updated: lastUpdatedLabel(this.now()) });
    if (options.columns.length === 0) throw new TypeError('writeRows: columns must name at least one column');
    const names = new Set<string>();
    for (const column of options.columns) {
      assertTableName(column.name);
      if (names.has(column.name)) throw new TypeError(`writeRows: column ${column.name} is listed twice`);
      if (!(column.type in DUCKDB_COLUMN_TYPES)) {
        throw new TypeError(
          `writeRows: column ${column.name} has type ${JSON.stringify(column.type)}; valid: ${Object.keys(DUCKDB_COLUMN_TYPES).join(', ')}`,
        );
      }
      names.add(column.name);
    }
    // Validate and convert every row before touching the warehouse: bad input writes nothing.
    const bound = options.rows.map((row, index) => {
      for (const key of Object.keys(row)) {
        if (!names.has(key))
          throw new TypeError(`writeRows: row ${index} has unknown column ${JSON.stringify(key)}`);
      }
      return options.columns.map((column) =>
        bindValue(row[column.name], column.type, `writeRows: row ${index}, column ${column.name}`),
      );
    });
    const columnList = options.columns.map((c) => quote(c.name)).join(', ');
    const placeholders = (rowIndex: number) =>
      `(${options.columns
        .map((column, i) => {
          const p = `$${rowIndex * options.columns.length + i + 1}`;
          return column.type === 'DATE' || column.type === 'TIMESTAMP'
            ? `CAST(${p} AS ${DUCKDB_COLUMN_TYPES[column.type].sql})`
            : p;
        })
        .join(', ')})`;
    const columnTypes = options.columns.map((c) => DUCKDB_COLUMN_TYPES[c.type].bind);

    await this.exclusive(
      async (connection) => {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${target.schemaSql}`);
        const existed = (await this.relationKind(connection, target)) !== null;
        const expiresAt = await this.defaultExpiry(connection, target);
        await this.transaction(connection, async () => {
          const definition = options.columns.map(
            (c) => `${quote(c.name)} ${DUCKDB_COLUMN_TYPES[c.type].sql}`,
          );
          await connection.run(
            mode === 'replace'
              ? `CREATE OR REPLACE TABLE ${target.sql} (${definition.join(', ')})`
              : `CREATE TABLE IF NOT EXISTS ${target.sql} (${definition.join(', ')})`,
          );
          for (let start = 0; start < bound.length; start += INSERT_BATCH) {
            const batch = bound.slice(start, start + INSERT_BATCH);
            const values: DuckDBValue[] = batch.flat();
            const types: DuckDBType[] = batch.flatMap(() => columnTypes);
            await connection.run(
              `INSERT INTO ${target.sql} (${columnList}) VALUES ${batch.map((_, i) => placeholders(i)).join(', ')}`,
              values,
              types,
            );
          }
          if (mode === 'replace' || !existed) {
            await this.writeMetadata(connection, target, labels, expiresAt);
          } else {
            await this.mergeLabels(connection, target, labels);
          }
        });
      },
      {},
      options.destination,
    );
    return { destination: options.destination, rows: bound.length };
  }

  async query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    options: QueryProgress = {},
  ): Promise<Row[]> {
    return this.exclusive(async (connection) => {
      const reader = await connection.runAndReadAll(sql);
      return reader.convertRowObjects(plainValueConverter) as Record<string, PlainValue>[] as Row[];
    }, options);
  }

  async execute(sql: string, options: QueryProgress = {}): Promise<void> {
    await this.exclusive(async (connection) => {
      await connection.run(sql);
    }, options);
  }

  /**
   * DuckDB has no byte estimate worth reporting (it reads compressed columns from a local
   * file), so this returns null; it still binds the query with EXPLAIN, so a misspelt column
   * or table fails here exactly as it would when run.
   */
  async dryRun(sql: string): Promise<{ bytesProcessed: number | null }> {
    await this.exclusive(async (connection) => {
      await connection.run(`EXPLAIN ${statementBody(sql)}`);
    });
    return { bytesProcessed: null };
  }

  async tableExists(ref: TableRef): Promise<boolean> {
    const target = this.resolve(ref);
    return this.exclusive(async (connection) => (await this.relationKind(connection, target)) !== null);
  }

  async getTable(ref: TableRef): Promise<TableInfo | null> {
    const target = this.resolve(ref);
    return this.exclusive(async (connection) => {
      if ((await this.relationKind(connection, target)) === null) return null;
      const meta = await this.readMetadata(connection, target);
      return { ref, labels: meta?.labels ?? {}, expiresAt: meta?.expiresAt ?? null };
    });
  }

  /** Merges `labels` into the table's labels (as BigQuery's patch does); the table must exist. */
  async setLabels(ref: TableRef, labels: TableLabels): Promise<void> {
    const target = this.resolve(ref);
    assertLabels(labels);
    await this.exclusive(
      async (connection) => {
        if ((await this.relationKind(connection, target)) === null) {
          throw new WarehouseQueryError({
            warehouseMessage: `cannot label ${ref.dataset}.${ref.table}: no such table`,
            destination: ref,
            permanent: true,
          });
        }
        await this.transaction(connection, async () => {
          await this.mergeLabels(connection, target, labels);
        });
      },
      {},
      ref,
    );
  }

  async createDataset(dataset: string, options: { expirationDays?: number } = {}): Promise<void> {
    const target = this.resolve({ dataset, table: 'dataset' });
    const days = options.expirationDays;
    if (days !== undefined && !(Number.isFinite(days) && days > 0)) {
      throw new TypeError(`createDataset: expirationDays must be a positive number of days, got ${days}`);
    }
    await this.exclusive(async (connection) => {
      await this.ensureMetadata(connection, target.catalog);
      await this.transaction(connection, async () => {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${target.schemaSql}`);
        if (days !== undefined) {
          const meta = this.meta(target.catalog);
          await connection.run(`DELETE FROM ${meta}.datasets WHERE dataset = $1`, [dataset]);
          await connection.run(`INSERT INTO ${meta}.datasets VALUES ($1, $2)`, [dataset, days]);
        }
      });
    });
  }

  async listTables(dataset: string, prefix = ''): Promise<TableInfo[]> {
    const target = this.resolve({ dataset, table: 'dataset' });
    await this.dropExpired();
    return this.exclusive(async (connection) => {
      await this.ensureMetadata(connection, target.catalog);
      const reader = await connection.runAndReadAll(
        `WITH relations AS (
           SELECT table_name AS name FROM duckdb_tables() WHERE database_name = $1 AND schema_name = $2
           UNION ALL
           SELECT view_name FROM duckdb_views() WHERE database_name = $1 AND schema_name = $2 AND NOT internal)
         SELECT r.name, m.labels, m.expires_at_ms
         FROM relations r LEFT JOIN ${this.meta(target.catalog)}.tables m ON m.dataset = $3 AND m.table_name = r.name
         WHERE starts_with(r.name, $4)
         ORDER BY r.name`,
        [target.catalog, target.schema, dataset, prefix],
      );
      return reader.convertRowObjects(plainValueConverter).map((row) => ({
        ref: { dataset, table: String(row.name) },
        labels: row.labels === null ? {} : (JSON.parse(String(row.labels)) as TableLabels),
        expiresAt: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
      }));
    });
  }

  async dropTable(ref: TableRef): Promise<void> {
    const target = this.resolve(ref);
    await this.exclusive(
      async (connection) => {
        await this.dropWithMetadata(connection, target);
      },
      {},
      ref,
    );
  }

  private async dropWithMetadata(connection: DuckDBConnection, target: ResolvedRef): Promise<void> {
    const kind = await this.relationKind(connection, target);
    await this.ensureMetadata(connection, target.catalog);
    await this.transaction(connection, async () => {
      if (kind !== null) await connection.run(`DROP ${kind} ${target.sql}`);
      await connection.run(
        `DELETE FROM ${this.meta(target.catalog)}.tables WHERE dataset = $1 AND table_name = $2`,
        [target.ref.dataset, target.ref.table],
      );
    });
  }

  /** Drops tables whose expiry has passed (on open, and before listing). */
  async dropExpired(): Promise<TableRef[]> {
    return this.exclusive(async (connection) => {
      const expired: TableRef[] = [];
      for (const catalog of this.metaCatalogs) {
        const reader = await connection.runAndReadAll(
          `SELECT dataset, table_name FROM ${this.meta(catalog)}.tables WHERE expires_at_ms <= $1`,
          [BigInt(Math.round(this.now()))],
        );
        for (const row of reader.getRowObjectsJS()) {
          expired.push({ dataset: String(row.dataset), table: String(row.table_name) });
        }
      }
      for (const ref of expired) await this.dropWithMetadata(connection, this.resolve(ref));
      return expired;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    this.connection.closeSync();
    this.instance.closeSync();
    this.onClose?.();
  }
}

export function openDuckDbWarehouse(options: OpenDuckDbOptions = {}): Promise<DuckDbWarehouse> {
  return DuckDbWarehouse.open(options);
}

/** The telemetry catalog metric-hub SQL names (`mozdata.telemetry.clients_daily`). */
export function mozdataFile(): string {
  return join(dataDir(), 'mozdata.duckdb');
}

let embedded: Promise<DuckDbWarehouse> | null = null;

/**
 * The embedded warehouse of this process: `warehouseFile()` with `<dataDir>/mozdata.duckdb`
 * attached as `mozdata`. One instance per process (DuckDB locks the file); closing it lets
 * the next call open a fresh one.
 */
export function embeddedWarehouse(): Promise<DuckDbWarehouse> {
  if (embedded === null) {
    const opening = openDuckDbWarehouse({ attach: { mozdata: mozdataFile() } }).then((warehouse) => {
      warehouse.onClose = () => {
        if (embedded === opening) embedded = null;
      };
      return warehouse;
    });
    opening.catch(() => {
      if (embedded === opening) embedded = null;
    });
    embedded = opening;
  }
  return embedded;
}
