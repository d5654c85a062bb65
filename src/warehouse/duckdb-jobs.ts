import type { DuckDBConnection } from '@duckdb/node-api';
import { META_SCHEMA } from './duckdb-metadata.js';
import {
  abortError,
  embeddedMissingTableError,
  embeddedStorageError,
  isTransientDuckDbMessage,
  WarehouseQueryError,
} from './errors.js';
import type { QueryProgress, TableRef } from './warehouse.js';

/** DuckDB statement text without trailing semicolons, so it can be wrapped in `AS ( … )`. */
export function statementBody(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The one connection of a DuckDB warehouse, one job at a time: DuckDB already uses every core
 * for a single query, and owning the connection per job is what makes `interrupt()` cancel
 * exactly that job. Jobs queue in order; a queued job reports progress and can be aborted.
 */
export class DuckDbJobs {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly progressIntervalMs: number,
    /** The database's catalogs and their files, to say which file lacks a table a query reads. */
    private readonly catalogs: DuckDbCatalogs,
  ) {}

  /**
   * Runs `job` with the connection to itself: waits its turn, reports progress every
   * `progressIntervalMs` (also while waiting, so activities keep heartbeating), interrupts
   * DuckDB on abort, and turns DuckDB errors into WarehouseQueryError.
   */
  async run<T>(
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
        const missing = missingTable(error.message, this.catalogs);
        if (missing)
          throw embeddedMissingTableError({
            ...missing,
            catalogTables: missing.telemetry ? await catalogTables(this.connection, missing.catalog) : null,
            duckdbMessage: error.message,
            destination,
            cause: error,
          });
        // A full or read-only disk: no fault of this query, and every other write fails alike.
        const storage = embeddedStorageError({
          file: this.catalogs.files[this.catalogs.main] ?? null,
          duckdbMessage: error.message,
          cause: error,
        });
        if (storage !== null) throw storage;
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

  /** Refuses new jobs and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }
}

/** The catalogs of one DuckDB connection: the main one's name, and every catalog's file. */
export interface DuckDbCatalogs {
  main: string;
  /** Catalog → database file (`:memory:` for one in memory). */
  files: Record<string, string>;
}

const MISSING_TABLE = /^Catalog Error: Table with name (?:"([^"]+)"|(\S+?))!? does not exist/;
/** A reference to a catalog the connection lacks (a BigQuery project's, `"moz-fx-…".telemetry.x`). */
const MISSING_CATALOG = /^Binder Error: Catalog "([^"]+)" does not exist/;
const NAME_PART = '(?:"(?:[^"]|"")+"|[A-Za-z0-9_$-]+)';

/**
 * The table a DuckDB "Table with name … does not exist" error is about, as the query names it,
 * with the file of its catalog. DuckDB names only the table (at most its schema); the query's
 * own reference is in the excerpt after `LINE n:`, under the caret, with its catalog. Null for
 * any other error. A reference to a catalog the connection lacks (a BigQuery project's) is a
 * missing table too, named by that catalog: DuckDB names nothing more.
 */
export function missingTable(
  message: string,
  catalogs: DuckDbCatalogs,
): { table: string; catalog: string; file: string | null; telemetry: boolean } | null {
  // DuckDB names only the catalog, and no file holds it.
  const unknownCatalog = MISSING_CATALOG.exec(message)?.[1];
  if (unknownCatalog !== undefined) {
    return { table: unknownCatalog, catalog: unknownCatalog, file: null, telemetry: false };
  }
  const found = MISSING_TABLE.exec(message);
  const named = found?.[1] ?? found?.[2];
  if (named === undefined) return null;
  let parts = named.split('.');
  const name = parts.at(-1) as string;
  const excerpt = /\nLINE (\d+): (.*)\n( *)\^/.exec(message);
  if (excerpt) {
    const [, line, text = '', caret = ''] = excerpt;
    const at = caret.length - `LINE ${line}: `.length;
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const reference = new RegExp(
      `(?<![\\w"])(?:${NAME_PART}\\s*\\.\\s*){0,2}(?:"${escaped}"|${escaped})(?![\\w"])`,
      'g',
    );
    // DuckDB cuts a long excerpt short with `...`, in the middle of the table's name at times
    // (`mozdata.firefox_desktop.urlbar_events_daily_engagement_by_p...`): a reference whose last
    // part is the start of the name is that reference, with the name completed.
    const cut = new RegExp(`(?<![\\w"])((?:${NAME_PART}\\s*\\.\\s*){0,2})([A-Za-z0-9_$]+)\\.\\.\\.`, 'g');
    const references = [
      ...[...text.matchAll(reference)].map((m) => ({ index: m.index, text: m[0] })),
      ...[...text.matchAll(cut)]
        .filter((m) => name.startsWith(m[2] as string))
        .map((m) => ({ index: m.index, text: `${m[1]}${name}` })),
    ];
    // The reference nearest the caret (DuckDB puts it under the reference's first character).
    const nearest = references.sort((a, b) => Math.abs(a.index - at) - Math.abs(b.index - at))[0];
    if (nearest) {
      parts = [...nearest.text.matchAll(new RegExp(NAME_PART, 'g'))].map((p) =>
        p[0].startsWith('"') ? p[0].slice(1, -1).replaceAll('""', '"') : p[0],
      );
    }
  }
  // `a.b` is schema.table in DuckDB, unless `a` is an attached catalog (its default schema).
  const catalog =
    parts.length === 3 || (parts.length === 2 && Object.hasOwn(catalogs.files, parts[0] as string))
      ? (parts[0] as string)
      : catalogs.main;
  return {
    table: parts.join('.'),
    catalog,
    file: Object.hasOwn(catalogs.files, catalog) ? (catalogs.files[catalog] as string) : null,
    telemetry: catalog !== catalogs.main,
  };
}

/**
 * The tables and views of one catalog (`schema.table`, sorted; contrail's own metadata left
 * out), to say what a telemetry file holds when a query misses a table in it; null when they
 * cannot be listed.
 */
async function catalogTables(connection: DuckDBConnection, catalog: string): Promise<string[] | null> {
  try {
    const reader = await connection.runAndReadAll(
      `SELECT schema_name || '.' || table_name AS name FROM duckdb_tables()
       WHERE database_name = $catalog AND schema_name <> $meta
       UNION ALL
       SELECT schema_name || '.' || view_name FROM duckdb_views()
       WHERE database_name = $catalog AND schema_name <> $meta AND NOT internal
       ORDER BY 1`,
      { catalog, meta: META_SCHEMA },
    );
    return reader.getRowObjectsJS().map((row) => String(row.name));
  } catch {
    return null;
  }
}

/** Runs `body` in one transaction; any failure rolls everything back. */
export async function inTransaction<T>(connection: DuckDBConnection, body: () => Promise<T>): Promise<T> {
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
