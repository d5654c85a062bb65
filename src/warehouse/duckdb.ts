import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { dataDir, warehouseFile } from '../paths.js';
import type { SqlDialect } from '../sql/dialect.js';
import { duckdbDialect } from '../sql/render/duckdb.js';
import { installBigQueryCompat } from './bigquery-compat.js';
import { DuckDbJobs, inTransaction, messageOf, statementBody } from './duckdb-jobs.js';
import { DuckDbMetadata, type ResolvedRef } from './duckdb-metadata.js';
import { type DuckDbResourceOptions, duckDbResourceConfig } from './duckdb-settings.js';
import {
  bindRows,
  DUCKDB_COLUMN_TYPES,
  type PlainValue,
  plainValueConverter,
  storedSelectSql,
} from './duckdb-values.js';
import { isTransientDuckDbMessage, WarehouseQueryError } from './errors.js';
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

/**
 * The embedded warehouse: the Warehouse interface over one DuckDB database file. Its parts live
 * beside it: the job queue on the one connection (duckdb-jobs.ts), labels and expiry
 * (duckdb-metadata.ts), value conversion (duckdb-values.ts), BigQuery functions as macros
 * (bigquery-compat.ts); it speaks the DuckDB SQL dialect (src/sql/render/duckdb.ts).
 */

export interface OpenDuckDbOptions extends DuckDbResourceOptions {
  /** Database file; default `warehouseFile()`. `':memory:'` for a throwaway warehouse. */
  path?: string;
  /** Extra catalogs: name → database file (or `':memory:'`), e.g. `{ mozdata: '…/mozdata.duckdb' }`. */
  attach?: Record<string, string>;
  /** How often `onProgress` fires while a job runs (default 2000 ms). */
  progressIntervalMs?: number;
  /** Clock for labels and expiry (tests move time forward). */
  now?: () => number;
}

// Rows per INSERT statement in writeRows: large enough to be quick, small enough to bind.
const INSERT_BATCH = 256;

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = 'duckdb' as const;
  readonly sqlDialect: SqlDialect = duckdbDialect();
  private readonly jobs: DuckDbJobs;
  private readonly metadata: DuckDbMetadata;
  private readonly now: () => number;
  private closed = false;
  /** A connection of its own for memoryUsage(), which must answer while a job holds the main one. */
  private monitor: DuckDBConnection | null = null;
  /** Called once by close(); lets `embeddedWarehouse()` forget a closed instance. */
  onClose: (() => void) | null = null;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** The main database's catalog name (DuckDB names it after the file, or `memory`). */
    readonly mainCatalog: string,
    options: OpenDuckDbOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.jobs = new DuckDbJobs(connection, options.progressIntervalMs ?? 2000);
    this.metadata = new DuckDbMetadata(this.sqlDialect, this.now);
  }

  static async open(options: OpenDuckDbOptions = {}): Promise<DuckDbWarehouse> {
    const path = options.path ?? warehouseFile();
    // Extensions that are not built in would be fetched from the internet on first use;
    // contrail never downloads at run time, so such a query fails fast instead. Memory is
    // bounded and spills go to a directory of this database's own (duckdb-settings.ts).
    const instance = await DuckDBInstance.create(path, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      ...duckDbResourceConfig(path, options),
    });
    const sql = duckdbDialect();
    let connection: DuckDBConnection | null = null;
    try {
      connection = await instance.connect();
      // TimeZone needs ICU, loaded after instance creation, so it is a SET rather than config.
      await connection.run("SET TimeZone = 'UTC'");
      for (const [catalog, file] of Object.entries(options.attach ?? {})) {
        assertTableName(catalog);
        await connection.run(`ATTACH IF NOT EXISTS ${sql.stringLiteral(file)} AS ${sql.identifier(catalog)}`);
      }
      await installBigQueryCompat(connection);
      const reader = await connection.runAndReadAll('SELECT current_database() AS db');
      const mainCatalog = String(reader.getRowObjectsJS()[0]?.db);
      const warehouse = new DuckDbWarehouse(instance, connection, mainCatalog, options);
      for (const catalog of [mainCatalog, ...Object.keys(options.attach ?? {})])
        await warehouse.metadata.ensure(connection, catalog);
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

  /** A dataset `a.b` names catalog `a`, schema `b`; a plain dataset is a schema of the main database. */
  private resolve(ref: TableRef): ResolvedRef {
    assertDataset(ref.dataset);
    assertTableName(ref.table);
    const dot = ref.dataset.indexOf('.');
    const catalog = dot === -1 ? this.mainCatalog : ref.dataset.slice(0, dot);
    const schema = dot === -1 ? ref.dataset : ref.dataset.slice(dot + 1);
    const q = this.sqlDialect.identifier;
    const schemaSql = `${q(catalog)}.${q(schema)}`;
    return { ref, catalog, schema, schemaSql, sql: `${schemaSql}.${q(ref.table)}` };
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

  async runToTable(options: RunToTableOptions): Promise<RunToTableResult> {
    const target = this.resolve(options.destination);
    const labels = assertLabels({ ...options.labels, last_updated: lastUpdatedLabel(this.now()) });
    const started = Date.now();
    const kind = options.mayBeView ? 'VIEW' : 'TABLE';
    const rows = await this.jobs.run(
      async (connection) => {
        const existing = await this.relationKind(connection, target);
        if (options.replace === false && existing !== null) {
          throw new WarehouseQueryError({
            warehouseMessage: `table ${options.destination.dataset}.${options.destination.table} already exists (replace: false)`,
            destination: options.destination,
            permanent: true,
          });
        }
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${target.schemaSql}`);
        const expiresAt = await this.metadata.defaultExpiry(connection, target);
        // CREATE OR REPLACE inside a transaction is DuckDB's atomic swap: readers see the old
        // table until COMMIT; a failing query rolls back to the old table (or to none). The
        // newline before `)` keeps a trailing `-- comment` in the SQL from swallowing it.
        return inTransaction(connection, async () => {
          const body = await storedSelectSql(connection, statementBody(options.sql));
          // A table cannot be replaced by a view of the same name, nor the reverse.
          if (existing !== null && existing !== kind) await connection.run(`DROP ${existing} ${target.sql}`);
          let written: number;
          if (kind === 'VIEW') {
            await connection.run(`CREATE OR REPLACE VIEW ${target.sql} AS (\n${body}\n)`);
            const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${target.sql}`);
            written = Number(counted.getRows()[0]?.[0] ?? 0);
          } else {
            const reader = await connection.runAndReadAll(
              `CREATE OR REPLACE TABLE ${target.sql} AS (\n${body}\n)`,
            );
            // CREATE TABLE … AS answers with one row: the number of rows written.
            written = Number(reader.getRows()[0]?.[0] ?? 0);
          }
          await this.metadata.write(connection, target, labels, expiresAt);
          return written;
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
    // Validated and converted before touching the warehouse: bad input writes nothing.
    const bound = bindRows(options.columns, options.rows);
    const q = this.sqlDialect.identifier;
    const columnList = options.columns.map((c) => q(c.name)).join(', ');

    await this.jobs.run(
      async (connection) => {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${target.schemaSql}`);
        const existed = (await this.relationKind(connection, target)) !== null;
        const expiresAt = await this.metadata.defaultExpiry(connection, target);
        await inTransaction(connection, async () => {
          const definition = options.columns.map((c) => `${q(c.name)} ${DUCKDB_COLUMN_TYPES[c.type].sql}`);
          await connection.run(
            mode === 'replace'
              ? `CREATE OR REPLACE TABLE ${target.sql} (${definition.join(', ')})`
              : `CREATE TABLE IF NOT EXISTS ${target.sql} (${definition.join(', ')})`,
          );
          for (let start = 0; start < bound.rows.length; start += INSERT_BATCH) {
            const batch = bound.rows.slice(start, start + INSERT_BATCH);
            const values: DuckDBValue[] = batch.flat();
            const types: DuckDBType[] = batch.flatMap(() => bound.types);
            await connection.run(
              `INSERT INTO ${target.sql} (${columnList}) VALUES ${batch.map((_, i) => bound.placeholders(i)).join(', ')}`,
              values,
              types,
            );
          }
          if (mode === 'replace' || !existed) {
            await this.metadata.write(connection, target, labels, expiresAt);
          } else {
            await this.metadata.merge(connection, target, labels);
          }
        });
      },
      {},
      options.destination,
    );
    return { destination: options.destination, rows: bound.rows.length };
  }

  async query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    options: QueryProgress = {},
  ): Promise<Row[]> {
    return this.jobs.run(async (connection) => {
      const reader = await connection.runAndReadAll(sql);
      return reader.convertRowObjects(plainValueConverter) as Record<string, PlainValue>[] as Row[];
    }, options);
  }

  async execute(sql: string, options: QueryProgress = {}): Promise<void> {
    await this.jobs.run(async (connection) => {
      await connection.run(sql);
    }, options);
  }

  /**
   * DuckDB has no byte estimate worth reporting (it reads compressed columns from a local
   * file), so this returns null; it still binds the query with EXPLAIN, so a misspelt column
   * or table fails here exactly as it would when run.
   */
  async dryRun(sql: string): Promise<{ bytesProcessed: number | null }> {
    await this.jobs.run(async (connection) => {
      await connection.run(`EXPLAIN ${statementBody(sql)}`);
    });
    return { bytesProcessed: null };
  }

  async tableExists(ref: TableRef): Promise<boolean> {
    const target = this.resolve(ref);
    return this.jobs.run(async (connection) => (await this.relationKind(connection, target)) !== null);
  }

  async getTable(ref: TableRef): Promise<TableInfo | null> {
    const target = this.resolve(ref);
    return this.jobs.run(async (connection) => {
      if ((await this.relationKind(connection, target)) === null) return null;
      const meta = await this.metadata.read(connection, target);
      return { ref, labels: meta?.labels ?? {}, expiresAt: meta?.expiresAt ?? null };
    });
  }

  /** Merges `labels` into the table's labels (as BigQuery's patch does); the table must exist. */
  async setLabels(ref: TableRef, labels: TableLabels): Promise<void> {
    const target = this.resolve(ref);
    assertLabels(labels);
    await this.jobs.run(
      async (connection) => {
        if ((await this.relationKind(connection, target)) === null) {
          throw new WarehouseQueryError({
            warehouseMessage: `cannot label ${ref.dataset}.${ref.table}: no such table`,
            destination: ref,
            permanent: true,
          });
        }
        await inTransaction(connection, async () => {
          await this.metadata.merge(connection, target, labels);
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
    await this.jobs.run(async (connection) => {
      await this.metadata.ensure(connection, target.catalog);
      await inTransaction(connection, async () => {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${target.schemaSql}`);
        if (days !== undefined)
          await this.metadata.setDatasetExpiry(connection, target.catalog, dataset, days);
      });
    });
  }

  async listTables(dataset: string, prefix = ''): Promise<TableInfo[]> {
    const target = this.resolve({ dataset, table: 'dataset' });
    await this.dropExpired();
    return this.jobs.run(async (connection) => {
      await this.metadata.ensure(connection, target.catalog);
      const reader = await connection.runAndReadAll(
        `WITH relations AS (
           SELECT table_name AS name FROM duckdb_tables() WHERE database_name = $1 AND schema_name = $2
           UNION ALL
           SELECT view_name FROM duckdb_views() WHERE database_name = $1 AND schema_name = $2 AND NOT internal)
         SELECT r.name, m.labels, m.expires_at_ms
         FROM relations r LEFT JOIN ${this.metadata.schema(target.catalog)}.tables m ON m.dataset = $3 AND m.table_name = r.name
         WHERE starts_with(r.name, $4)
         ORDER BY r.name`,
        [target.catalog, target.schema, dataset, prefix],
      );
      return reader.convertRowObjects(plainValueConverter).map((row) => ({
        ref: { dataset, table: String(row.name) },
        ...DuckDbMetadata.fromRow(row),
      }));
    });
  }

  async dropTable(ref: TableRef): Promise<void> {
    const target = this.resolve(ref);
    await this.jobs.run(
      async (connection) => {
        await this.dropWithMetadata(connection, target);
      },
      {},
      ref,
    );
  }

  private async dropWithMetadata(connection: DuckDBConnection, target: ResolvedRef): Promise<void> {
    const kind = await this.relationKind(connection, target);
    await this.metadata.ensure(connection, target.catalog);
    await inTransaction(connection, async () => {
      if (kind !== null) await connection.run(`DROP ${kind} ${target.sql}`);
      await this.metadata.forget(connection, target);
    });
  }

  /** Drops tables whose expiry has passed (on open, and before listing). */
  async dropExpired(): Promise<TableRef[]> {
    return this.jobs.run(async (connection) => {
      const expired = await this.metadata.expired(connection);
      for (const ref of expired) await this.dropWithMetadata(connection, this.resolve(ref));
      return expired;
    });
  }

  /**
   * What DuckDB holds at this moment: bytes in memory (its buffer pool: data, hash tables, sorts)
   * and bytes spilled to its temporary directory. Answers while a job runs (benchmarks sample it).
   */
  async memoryUsage(): Promise<{ memoryBytes: number; temporaryBytes: number }> {
    if (this.closed)
      throw new WarehouseQueryError({ warehouseMessage: 'the DuckDB warehouse is closed', permanent: false });
    this.monitor ??= await this.instance.connect();
    const reader = await this.monitor.runAndReadAll(
      'SELECT sum(memory_usage_bytes) AS m, sum(temporary_storage_bytes) AS t FROM duckdb_memory()',
    );
    const [m, t] = reader.getRows()[0] ?? [0, 0];
    return { memoryBytes: Number(m ?? 0), temporaryBytes: Number(t ?? 0) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.jobs.close();
    this.monitor?.closeSync();
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
