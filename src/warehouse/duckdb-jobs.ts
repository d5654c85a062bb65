import type { DuckDBConnection } from '@duckdb/node-api';
import { abortError, isTransientDuckDbMessage, WarehouseQueryError } from './errors.js';
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
