import { setTimeout as sleep } from 'node:timers/promises';
import type { Warehouse } from '../warehouse/warehouse.js';
import { WarehouseBusyError } from './errors.js';

/**
 * How the dashboard gets at the warehouse for one answer. The embedded DuckDB file admits one
 * writing process at a time, and the dashboard runs for hours beside previews and workers
 * that write to it: so it opens the file per answer and closes it right after (tens of
 * milliseconds), instead of holding it for its whole life. Answers that overlap share one
 * open warehouse. A BigQuery client (or a warehouse a test already holds) is simply shared.
 */
export interface WarehouseSessions {
  use<T>(work: (warehouse: Warehouse) => Promise<T>): Promise<T>;
  /** Closes what is open; later `use` calls fail. */
  close(): Promise<void>;
}

/** Uses one warehouse for every answer and never closes it (its owner does). */
export function sharedSessions(warehouse: Warehouse): WarehouseSessions {
  return {
    use: (work) => work(warehouse),
    close: async () => undefined,
  };
}

export interface PerAnswerOptions {
  /** Opens the warehouse (e.g. the embedded DuckDB file). */
  open: () => Promise<Warehouse>;
  /** Whether an open failed because another process holds the file (worth waiting for). */
  isBusy: (error: unknown) => boolean;
  /** How long to keep trying while the file is held elsewhere (default 5 s). */
  waitMs?: number;
  /** Names what is busy in the error the page shows. */
  describe?: string;
}

/**
 * Opens the warehouse for each answer (overlapping answers share it) and closes it when the
 * last of them is done. While another process holds the file, retries with backoff for
 * `waitMs`, then fails with a WarehouseBusyError the page shows and retries on its own.
 */
export function perAnswerSessions(options: PerAnswerOptions): WarehouseSessions {
  const waitMs = options.waitMs ?? 5000;
  let current: { warehouse: Promise<Warehouse>; users: number } | null = null;
  let closed = false;
  // The next open waits for the last close: two handles on one DuckDB file in one process must never overlap.
  let closing: Promise<void> = Promise.resolve();

  async function openWithRetry(): Promise<Warehouse> {
    await closing;
    const deadline = Date.now() + waitMs;
    let delay = 25;
    for (;;) {
      try {
        return await options.open();
      } catch (error) {
        if (!options.isBusy(error)) throw error;
        if (Date.now() + delay > deadline) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new WarehouseBusyError(
            `${options.describe ?? 'the warehouse'} is in use by another process (a preview, a worker or another command writing to it); waited ${waitMs} ms. ${reason}`,
            error,
          );
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 400);
      }
    }
  }

  return {
    async use(work) {
      if (closed) throw new Error('the dashboard has stopped');
      if (current === null) {
        const opening = openWithRetry();
        current = { warehouse: opening, users: 0 };
        // A failed open must not be shared with the next answer.
        opening.catch(() => {
          if (current?.warehouse === opening) current = null;
        });
      }
      const session = current;
      session.users++;
      try {
        return await work(await session.warehouse);
      } finally {
        session.users--;
        if (session.users === 0) {
          if (current === session) current = null;
          const done = session.warehouse.then(
            (w) => w.close(),
            () => undefined,
          );
          closing = done.catch(() => undefined);
          await done;
        }
      }
    },
    async close() {
      closed = true;
      const session = current;
      current = null;
      const warehouse = await session?.warehouse.catch(() => null);
      await warehouse?.close();
    },
  };
}
