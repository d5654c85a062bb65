/*
 * One class, the whole Warehouse contract on DuckDB; its parts that stand alone already live
 * beside it (duckdb-jobs.ts, duckdb-metadata.ts, duckdb-values.ts, duckdb-sessions.ts), and what
 * remains is the contract's methods, each a few statements.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DAY_MS } from '../dates.js';
import { warehouseFile } from '../paths.js';
import type { SqlDialect } from '../sql/dialect.js';
import { duckdbDialect } from '../sql/render/duckdb.js';
import { installBigQueryCompat } from './bigquery-compat-install.js';
import { estimateQueryBytes } from './duckdb-cost.js';
import { recordHolder, releaseHolder } from './duckdb-holder.js';
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
import { embeddedStorageError, isTransientDuckDbMessage, WarehouseQueryError } from './errors.js';
import { assertDataset, assertPlainName, assertTableName } from './identifiers.js';
import { assertLabels, lastUpdatedLabel } from './labels.js';
import { distinctByKey } from './rows.js';
import type {
  DatasetCreated,
  DryRunResult,
  QueryProgress,
  RunToTableOptions,
  RunToTableResult,
  TableColumn,
  TableInfo,
  TableLabels,
  TableMove,
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
  /**
   * Open the file for reading only (DuckDB's READ_ONLY access): for a reader of results whose
   * directory cannot be written (a read-only mount, another user's data). Nothing is written on
   * open: no holder note, no metadata tables created, no expired tables dropped; a write fails.
   */
  readOnly?: boolean;
}

/** The embedded warehouse file would not open: named, with what to do when its file system refused. */
function cannotOpen(path: string, error: unknown): WarehouseQueryError {
  const storage = embeddedStorageError({ file: path, duckdbMessage: messageOf(error), cause: error });
  if (storage !== null) return storage;
  return new WarehouseQueryError({
    warehouseMessage: `cannot open DuckDB warehouse ${path}: ${messageOf(error)}`,
    permanent: !isTransientDuckDbMessage(messageOf(error)),
    cause: error,
  });
}

// The temporary table writeRows appends rows to (dropped again in the same transaction).
const WRITE_BUFFER = 'contrail_write_rows';

export class DuckDbWarehouse implements Warehouse {
  readonly dialect = 'duckdb' as const;
  readonly sqlDialect: SqlDialect = duckdbDialect();
  private readonly jobs: DuckDbJobs;
  private readonly metadata: DuckDbMetadata;
  private readonly now: () => number;
  private closed = false;
  /** A connection of its own for memoryUsage(), which must answer while a job holds the main one. */
  private monitor: DuckDBConnection | null = null;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** The main database's catalog name (DuckDB names it after the file, or `memory`). */
    readonly mainCatalog: string,
    /** The database file (or `:memory:`). */
    readonly path: string,
    options: OpenDuckDbOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.jobs = new DuckDbJobs(connection, options.progressIntervalMs ?? 2000, {
      main: mainCatalog,
      files: { ...options.attach, [mainCatalog]: path },
    });
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
      ...(options.readOnly ? { access_mode: 'READ_ONLY' } : {}),
    }).catch((error: unknown) => {
      throw cannotOpen(path, error);
    });
    const sql = duckdbDialect();
    let connection: DuckDBConnection | null = null;
    try {
      connection = await instance.connect();
      // TimeZone needs ICU, loaded after instance creation, so it is a SET rather than config.
      await connection.run("SET TimeZone = 'UTC'");
      for (const [catalog, file] of Object.entries(options.attach ?? {})) {
        assertPlainName(catalog, 'catalog name');
        await connection.run(`ATTACH IF NOT EXISTS ${sql.stringLiteral(file)} AS ${sql.identifier(catalog)}`);
      }
      await installBigQueryCompat(connection);
      const reader = await connection.runAndReadAll('SELECT current_database() AS db');
      const mainCatalog = String(reader.getRowObjectsJS()[0]?.db);
      const warehouse = new DuckDbWarehouse(instance, connection, mainCatalog, path, options);
      if (options.readOnly) {
        // Read-only, the file is left as it is: its metadata tables are read as they are.
        for (const catalog of [mainCatalog, ...Object.keys(options.attach ?? {})])
          warehouse.metadata.assumeReady(catalog);
        return warehouse;
      }
      // This process holds the file now: a command that has to wait for it can say who does.
      recordHolder(path);
      for (const catalog of [mainCatalog, ...Object.keys(options.attach ?? {})])
        await warehouse.metadata.ensure(connection, catalog);
      await warehouse.dropExpired();
      return warehouse;
    } catch (error) {
      connection?.closeSync();
      instance.closeSync();
      releaseHolder(path);
      throw cannotOpen(path, error);
    }
  }

  /** When a table written now with `days` of expiry expires (null: no expiry of its own). */
  private expiryOf(days: number | null | undefined): number | null {
    if (days === null || days === undefined) return null;
    if (!(Number.isFinite(days) && days > 0)) {
      throw new TypeError(`expirationDays must be a positive number of days, got ${days}`);
    }
    return this.now() + days * DAY_MS;
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
        const expiresAt =
          this.expiryOf(options.expirationDays) ?? (await this.metadata.defaultExpiry(connection, target));
        // CREATE OR REPLACE inside a transaction is DuckDB's atomic swap: readers see the old
        // table until COMMIT; a failing query rolls back to the old table (or to none). The
        // newline before `)` keeps a trailing `-- comment` in the SQL from swallowing it; none
        // after `(`, so the line an error names is the line of the caller's SQL.
        return inTransaction(connection, async () => {
          const body = await storedSelectSql(connection, statementBody(options.sql));
          // A table cannot be replaced by a view of the same name, nor the reverse.
          if (existing !== null && existing !== kind) await connection.run(`DROP ${existing} ${target.sql}`);
          let written: number;
          if (kind === 'VIEW') {
            await connection.run(`CREATE OR REPLACE VIEW ${target.sql} AS (${body}\n)`);
            const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${target.sql}`);
            written = Number(counted.getRows()[0]?.[0] ?? 0);
          } else {
            const reader = await connection.runAndReadAll(
              `CREATE OR REPLACE TABLE ${target.sql} AS (${body}\n)`,
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
    const rows = mode === 'merge' ? distinctByKey(options) : options.rows;
    const bound = bindRows(options.columns, rows);
    const q = this.sqlDialect.identifier;
    const columnList = options.columns.map((c) => q(c.name)).join(', ');
    const definition = options.columns.map((c) => `${q(c.name)} ${DUCKDB_COLUMN_TYPES[c.type].sql}`);
    const key = mode === 'merge' ? q(options.key as string) : null;

    await this.jobs.run(
      async (connection) => {
        await connection.run(`CREATE SCHEMA IF NOT EXISTS ${target.schemaSql}`);
        const existed = (await this.relationKind(connection, target)) !== null;
        const expiresAt =
          this.expiryOf(options.expirationDays) ?? (await this.metadata.defaultExpiry(connection, target));
        await inTransaction(connection, async () => {
          if (mode === 'replace') {
            await connection.run(`CREATE OR REPLACE TABLE ${target.sql} (${definition.join(', ')})`);
          } else if (!existed) {
            await connection.run(`CREATE TABLE ${target.sql} (${definition.join(', ')})`);
          } else {
            await this.addMissingColumns(connection, target, options.columns);
          }
          if (bound.rows.length > 0) {
            // Appended to a table of the rows' own columns, then inserted by name: the target
            // may hold columns the rows do not name, in another order.
            await connection.run(
              `CREATE OR REPLACE TEMP TABLE ${q(WRITE_BUFFER)} (${bound.bindColumnsSql(q)})`,
            );
            await bound.appendTo(connection, WRITE_BUFFER, 'main', 'temp');
            const buffered = `SELECT ${bound.selectSql(q)} FROM temp.main.${q(WRITE_BUFFER)}`;
            const refresh = key === null ? [] : (options.refresh ?? []);
            if (existed && refresh.length > 0) {
              await connection.run(
                `UPDATE ${target.sql} AS t SET ${refresh.map((c) => `${q(c)} = v.${q(c)}`).join(', ')}
                 FROM (${buffered}) AS v WHERE t.${key} = v.${key}`,
              );
            }
            await connection.run(
              key === null
                ? `INSERT INTO ${target.sql} (${columnList}) ${buffered}`
                : // Rows whose key the table already holds are left out: merging twice adds nothing.
                  `INSERT INTO ${target.sql} (${columnList})
                   SELECT * FROM (${buffered}) AS v
                   WHERE v.${key} NOT IN (SELECT ${key} FROM ${target.sql} WHERE ${key} IS NOT NULL)`,
            );
            await connection.run(`DROP TABLE temp.main.${q(WRITE_BUFFER)}`);
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

  /** Columns of `columns` the existing table lacks, added (a table written by an older contrail). */
  private async addMissingColumns(
    connection: DuckDBConnection,
    target: ResolvedRef,
    columns: WriteRowsOptions['columns'],
  ): Promise<void> {
    const reader = await connection.runAndReadAll(
      `SELECT column_name FROM duckdb_columns() WHERE database_name = $1 AND schema_name = $2 AND table_name = $3`,
      [target.catalog, target.schema, target.ref.table],
    );
    const present = new Set(reader.getRowObjectsJS().map((r) => String(r.column_name)));
    const q = this.sqlDialect.identifier;
    for (const column of columns) {
      if (present.has(column.name)) continue;
      await connection.run(
        `ALTER TABLE ${target.sql} ADD COLUMN ${q(column.name)} ${DUCKDB_COLUMN_TYPES[column.type].sql}`,
      );
    }
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

  async readRows<Row extends Record<string, unknown> = Record<string, unknown>>(
    ref: TableRef,
    columns?: readonly string[],
    options: QueryProgress = {},
  ): Promise<Row[]> {
    const d = this.sqlDialect;
    const list = columns === undefined ? '*' : columns.map((c) => d.identifier(c)).join(', ');
    return this.query<Row>(`SELECT ${list} FROM ${d.table(ref)}`, options);
  }

  async execute(sql: string, options: QueryProgress = {}): Promise<void> {
    await this.jobs.run(async (connection) => {
      await connection.run(sql);
    }, options);
  }

  /**
   * What BigQuery would scan for the query, estimated from the sizes of the columns its plan
   * reads (duckdb-cost.ts; DuckDB itself reads compressed columns from a local file), and the
   * tables it reads: what BigQuery would bill follows from both (billedBytes). Planning binds
   * the query, so a misspelt column or table fails here exactly as it would when run.
   */
  async dryRun(sql: string): Promise<DryRunResult> {
    const { bytes, tables } = await this.jobs.run((connection) =>
      estimateQueryBytes(connection, statementBody(sql)),
    );
    return { bytesProcessed: bytes, method: 'column_sizes', referencedTables: tables };
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

  async tableColumns(ref: TableRef): Promise<TableColumn[] | null> {
    const target = this.resolve(ref);
    return this.jobs.run(async (connection) => {
      if ((await this.relationKind(connection, target)) === null) return null;
      const reader = await connection.runAndReadAll(
        `SELECT column_name AS name, data_type AS type FROM duckdb_columns()
         WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 ORDER BY column_index`,
        [target.catalog, target.schema, target.ref.table],
      );
      return reader.getRowObjectsJS().map((row) => ({ name: String(row.name), type: String(row.type) }));
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

  async createDataset(dataset: string, options: { expirationDays?: number } = {}): Promise<DatasetCreated> {
    const target = this.resolve({ dataset, table: 'dataset' });
    const days = options.expirationDays;
    if (days !== undefined && !(Number.isFinite(days) && days > 0)) {
      throw new TypeError(`createDataset: expirationDays must be a positive number of days, got ${days}`);
    }
    return this.jobs.run(async (connection) => {
      await this.metadata.ensure(connection, target.catalog);
      return inTransaction(connection, async () => {
        const existing = await connection.runAndReadAll(
          'SELECT 1 FROM duckdb_schemas() WHERE database_name = $1 AND schema_name = $2',
          [target.catalog, dataset],
        );
        if (existing.getRows().length > 0) {
          const expires =
            days !== undefined && (await this.metadata.defaultExpiry(connection, target)) !== null;
          return { created: false, expires };
        }
        await connection.run(`CREATE SCHEMA ${target.schemaSql}`);
        if (days !== undefined)
          await this.metadata.setDatasetExpiry(connection, target.catalog, dataset, days);
        return { created: true, expires: days !== undefined };
      });
    });
  }

  async listTables(dataset: string, prefix = ''): Promise<TableInfo[]> {
    const target = this.resolve({ dataset, table: 'dataset' });
    await this.dropExpired();
    return this.jobs.run(async (connection) => {
      // A dataset of a database that is not attached (or of DuckDB's own `system` and `temp`)
      // holds no tables, as BigQuery lists none for a dataset that does not exist: nothing to
      // fail on, and no metadata schema to create there.
      const attached = await connection.runAndReadAll(
        'SELECT 1 FROM duckdb_databases() WHERE database_name = $1 AND NOT internal',
        [target.catalog],
      );
      if (attached.getRows().length === 0) return [];
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

  async swapTables(moves: TableMove[], options: QueryProgress & { drop?: TableRef[] } = {}): Promise<void> {
    const pairs = moves.map((move) => {
      if (move.from.dataset !== move.to.dataset) {
        throw new TypeError(
          `swapTables: ${move.from.dataset}.${move.from.table} and ${move.to.dataset}.${move.to.table} are in different datasets`,
        );
      }
      return { from: this.resolve(move.from), to: this.resolve(move.to) };
    });
    const drops = (options.drop ?? []).map((ref) => this.resolve(ref));
    const catalogs = new Set([...pairs.map((p) => p.to.catalog), ...drops.map((d) => d.catalog)]);
    if (catalogs.size > 1) {
      // DuckDB writes to one database per transaction: a swap across catalogs would not be one step.
      throw new TypeError(
        `swapTables: the tables of one swap must be in one database, got ${[...catalogs].join(', ')}`,
      );
    }
    if (pairs.length === 0 && drops.length === 0) return;
    await this.jobs.run(async (connection) => {
      const [first] = [...pairs.map((p) => p.to), ...drops];
      if (first) await this.metadata.ensure(connection, first.catalog);
      // Renames and drops in one transaction: DuckDB's catalog changes are transactional, so
      // readers see the old tables until COMMIT and the moved ones after it.
      await inTransaction(connection, async () => {
        const views: typeof pairs = [];
        for (const { from, to } of pairs) {
          const kind = await this.relationKind(connection, from);
          if (kind === 'VIEW') views.push({ from, to });
          if (kind !== 'TABLE') continue;
          const existing = await this.relationKind(connection, to);
          if (existing === 'VIEW') {
            throw new WarehouseQueryError({
              warehouseMessage: `cannot swap a table into ${to.ref.dataset}.${to.ref.table}: it is a view`,
              destination: to.ref,
              permanent: true,
            });
          }
          if (existing === 'TABLE') await connection.run(`DROP TABLE ${to.sql}`);
          await connection.run(
            `ALTER TABLE ${from.sql} RENAME TO ${this.sqlDialect.identifier(to.ref.table)}`,
          );
          await this.metadata.move(connection, from, to);
        }
        // Staged views (per-basis metrics over a staged scan) are defined again under their
        // published names, over the published names of the tables this swap moved: DuckDB binds
        // a view's table names when it is read, so a moved table would leave it dangling.
        for (const { from, to } of views) {
          const [view] = (
            await connection.runAndReadAll(
              'SELECT sql FROM duckdb_views() WHERE database_name = $1 AND schema_name = $2 AND view_name = $3',
              [from.catalog, from.schema, from.ref.table],
            )
          ).getRowObjectsJS();
          const definition = /^CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+\S+\s+AS\s+([\s\S]*?);?\s*$/i.exec(
            String(view?.sql ?? ''),
          );
          if (!definition?.[1]) {
            throw new WarehouseQueryError({
              warehouseMessage: `cannot swap view ${from.ref.dataset}.${from.ref.table}: its definition cannot be read`,
              destination: to.ref,
              permanent: true,
            });
          }
          const body = pairs.reduce(
            (sql, move) =>
              sql.replace(
                new RegExp(`(?<![\\w"])"?${move.from.ref.table}"?(?![\\w"])`, 'g'),
                this.sqlDialect.identifier(move.to.ref.table),
              ),
            definition[1],
          );
          const existing = await this.relationKind(connection, to);
          if (existing !== null) await connection.run(`DROP ${existing} ${to.sql}`);
          await connection.run(`CREATE VIEW ${to.sql} AS ${body}`);
          await connection.run(`DROP VIEW ${from.sql}`);
          await this.metadata.move(connection, from, to);
        }
        for (const target of drops) {
          const kind = await this.relationKind(connection, target);
          if (kind !== null) await connection.run(`DROP ${kind} ${target.sql}`);
          await this.metadata.forget(connection, target);
        }
      });
    }, options);
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
    releaseHolder(this.path);
  }
}

export function openDuckDbWarehouse(options: OpenDuckDbOptions = {}): Promise<DuckDbWarehouse> {
  return DuckDbWarehouse.open(options);
}
