import { setTimeout as sleep } from 'node:timers/promises';
import type { SqlDialect } from '../sql/dialect.js';
import { abortError, WarehouseBusyError } from './errors.js';
import type { Dialect, QueryProgress, Warehouse } from './warehouse.js';
import { WrappedWarehouse } from './wrapped.js';

/**
 * How a process gets at a warehouse for a piece of work. The embedded DuckDB file admits one
 * writing process at a time, and several contrail commands (a worker, a long `run`, the
 * dashboard, `contrail sample`) share it: so each opens the file for a job and closes it when
 * its jobs are done, instead of holding it for its whole life. Jobs that overlap, or follow
 * each other within `lingerMs`, share one open warehouse. A BigQuery client (or a warehouse a
 * test already holds) is simply shared.
 */
export interface WarehouseSessions {
  /** Runs `work` with the warehouse open; `progress` hears about (and can cancel) a wait for it. */
  use<T>(work: (warehouse: Warehouse) => Promise<T>, progress?: QueryProgress): Promise<T>;
  /** Closes what is open; later `use` calls fail. */
  close(): Promise<void>;
}

export interface PerUseOptions {
  /** Opens the warehouse (e.g. the embedded DuckDB file). */
  open: () => Promise<Warehouse>;
  /** Whether an open failed because another process holds the file (worth waiting for). */
  isBusy: (error: unknown) => boolean;
  /** How long to keep trying while the file is held elsewhere (default 5 s). */
  waitMs?: number;
  /** How long an unused warehouse stays open for the next job (default 0: closed at once). */
  lingerMs?: number;
  /** The error's message when the wait is over: what is busy and who holds it. */
  busyMessage?: (error: unknown, waitedMs: number) => string;
  /**
   * Taking turns with other processes: `announce` says this one waits for the file (and
   * returns how to stop saying so), `othersWaiting` whether another says it waits. Without
   * them a busy process keeps the file while its jobs overlap, however long others wait.
   */
  turns?: { announce: () => () => void; othersWaiting: () => boolean };
  /** How long a session keeps taking new jobs while another process waits (default 5 s). */
  turnMs?: number;
}

interface Session {
  warehouse: Promise<Warehouse>;
  users: number;
  linger: NodeJS.Timeout | null;
  /** When the file was opened (Infinity until it is). */
  openedAt: number;
  /** Settles when this session's warehouse is closed. */
  closed: Promise<void>;
  markClosed: () => void;
}

/** After giving the file up for a waiting process, this long before asking for it again. */
const YIELD_MS = 500;

/**
 * Runs `attempt` again, with backoff, while it fails because another process holds a file
 * (`isBusy`), for `waitMs` from `started`; then fails with a transient WarehouseBusyError saying
 * `busyMessage`. The wait is reported through `progress` at once and then every second (an
 * activity heartbeats with it) and ends when its signal aborts; `onWait` hears each refusal.
 */
export async function whileBusy<T>(
  attempt: () => Promise<T>,
  options: {
    isBusy: (error: unknown) => boolean;
    waitMs: number;
    busyMessage?: (error: unknown, waitedMs: number) => string;
    progress?: QueryProgress;
    started?: number;
    onWait?: () => void;
  },
): Promise<T> {
  const { progress = {}, started = Date.now(), waitMs } = options;
  let delay = 25;
  let reported = 0;
  for (;;) {
    if (progress.signal?.aborted) throw abortError(progress.signal.reason);
    try {
      return await attempt();
    } catch (error) {
      if (!options.isBusy(error)) throw error;
      options.onWait?.();
      const waited = Date.now() - started;
      if (waited + delay > waitMs) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new WarehouseBusyError(
          options.busyMessage?.(error, waitMs) ??
            `the warehouse is in use by another process; waited ${waitMs} ms. ${reason}`,
          error,
        );
      }
      if (progress.onProgress && Date.now() - reported >= 1000) {
        reported = Date.now();
        progress.onProgress({ elapsedMs: waited, detail: 'waiting for the warehouse file' });
      }
      await sleep(delay, undefined, progress.signal ? { signal: progress.signal } : {}).catch(() => {
        throw abortError(progress.signal?.reason);
      });
      delay = Math.min(delay * 2, 400);
    }
  }
}

/**
 * Opens the warehouse for each piece of work (overlapping work shares it) and closes it when
 * the last is done (after `lingerMs`). While another process holds the file, retries with
 * backoff for `waitMs`, reporting the wait through `progress` (activities keep heartbeating),
 * then fails with a transient WarehouseBusyError that names the holder.
 */
export function perUseSessions(options: PerUseOptions): WarehouseSessions {
  const waitMs = options.waitMs ?? 5000;
  const lingerMs = options.lingerMs ?? 0;
  const turnMs = options.turnMs ?? 5000;
  let current: Session | null = null;
  let closed = false;
  // The next open waits for the last close: two handles on one DuckDB file in one process must never overlap.
  let closing: Promise<void> = Promise.resolve();
  // Set when a session was given up for a waiting process: the next open lets it in first.
  let yielded = false;

  async function openWithRetry(progress: QueryProgress): Promise<Warehouse> {
    await closing;
    if (yielded) {
      yielded = false;
      await sleep(YIELD_MS);
    }
    const started = Date.now();
    let stopAnnouncing: (() => void) | null = null;
    try {
      return await whileBusy(options.open, {
        isBusy: options.isBusy,
        waitMs,
        progress,
        started,
        onWait: () => {
          stopAnnouncing ??= options.turns?.announce() ?? (() => undefined);
        },
        ...(options.busyMessage ? { busyMessage: options.busyMessage } : {}),
      });
    } finally {
      (stopAnnouncing as (() => void) | null)?.();
    }
  }

  function closeSession(session: Session): Promise<void> {
    if (current === session) current = null;
    const done = session.warehouse.then(
      (w) => w.close(),
      () => undefined,
    );
    void done.then(session.markClosed, session.markClosed);
    closing = done.catch(() => undefined);
    return done;
  }

  function newSession(progress: QueryProgress): Session {
    const opening = openWithRetry(progress);
    let markClosed: () => void = () => undefined;
    const closedPromise = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    const session: Session = {
      warehouse: opening,
      users: 0,
      linger: null,
      openedAt: Number.POSITIVE_INFINITY,
      closed: closedPromise,
      markClosed,
    };
    opening.then(
      () => {
        session.openedAt = Date.now();
      },
      // A failed open must not be shared with the next job.
      () => {
        if (current === session) current = null;
        markClosed();
      },
    );
    return session;
  }

  /**
   * Whether the open session has had its turn: open longer than `turnMs` while another process
   * waits. It then takes no new jobs; they open again once its running jobs are done and the
   * waiting process has had the file.
   */
  function turnIsOver(session: Session): boolean {
    return Date.now() - session.openedAt > turnMs && options.turns?.othersWaiting() === true;
  }

  return {
    async use(work, progress = {}) {
      if (closed) throw new Error('the warehouse sessions are closed');
      if (current !== null && turnIsOver(current)) {
        const over = current;
        current = null;
        yielded = true;
        if (over.linger !== null) clearTimeout(over.linger);
        over.linger = null;
        if (over.users === 0) void closeSession(over);
        else closing = over.closed;
      }
      if (current === null) current = newSession(progress);
      const session = current;
      if (session.linger !== null) {
        clearTimeout(session.linger);
        session.linger = null;
      }
      session.users++;
      try {
        return await work(await session.warehouse);
      } finally {
        session.users--;
        if (session.users === 0) {
          if (lingerMs > 0 && current === session && !closed) {
            session.linger = setTimeout(() => {
              session.linger = null;
              if (session.users === 0) void closeSession(session);
            }, lingerMs);
            // A lingering warehouse must not keep a finished process alive.
            session.linger.unref();
          } else {
            await closeSession(session);
          }
        }
      }
    },
    async close() {
      closed = true;
      const session = current;
      current = null;
      if (session?.linger) clearTimeout(session.linger);
      const warehouse = await session?.warehouse.catch(() => null);
      await warehouse?.close();
      await closing;
    },
  };
}

/**
 * A Warehouse whose every call runs in a session: the file is open only while calls run. Domain
 * code and activities use it like any warehouse; `close()` ends the sessions.
 */
export class SessionWarehouse extends WrappedWarehouse {
  constructor(
    readonly sessions: WarehouseSessions,
    dialect: Dialect,
    sqlDialect: SqlDialect,
  ) {
    super(
      dialect,
      sqlDialect,
      (call, run) => sessions.use(run, call.progress),
      () => sessions.close(),
    );
  }
}

/**
 * Sessions over a warehouse that needs no turns (a BigQuery client): every use shares it, and
 * it closes with the sessions.
 */
export function sharedSessions(warehouse: Warehouse): WarehouseSessions {
  let closed = false;
  return {
    use: (work) =>
      closed ? Promise.reject(new Error('the warehouse sessions are closed')) : work(warehouse),
    async close() {
      closed = true;
      await warehouse.close();
    },
  };
}
