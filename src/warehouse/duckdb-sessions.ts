import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, warehouseFile } from '../paths.js';
import { duckdbDialect } from '../sql/render/duckdb.js';
import { openDuckDbWarehouse } from './duckdb.js';
import { describeHolder, isRunning } from './duckdb-holder.js';
import { warehouseWaitMs } from './duckdb-settings.js';
import { perUseSessions, SessionWarehouse, type WarehouseSessions, whileBusy } from './sessions.js';

/** DuckDB's answer when another process holds the database file. */
const LOCKED = /Could not set lock|Conflicting lock/i;

/** Whether opening failed because another process holds the file. */
export function isLockedError(error: unknown): boolean {
  return error instanceof Error && LOCKED.test(error.message);
}

export interface DuckDbSessionsOptions {
  path: string;
  /** Extra catalogs, as `openDuckDbWarehouse` takes them. */
  attach?: Record<string, string>;
  /** How long to wait while another process holds the file (default 5 s). */
  waitMs?: number;
  /** How long the file stays open after the last job, for the next one (default 0). */
  lingerMs?: number;
  /** Checks before each open (e.g. that the file exists); throws to refuse. */
  beforeOpen?: () => void;
  /** Open the file for reading only (`openDuckDbWarehouse`'s `readOnly`). */
  readOnly?: boolean;
}

/**
 * Processes waiting for a DuckDB file, as files named by their pid in `<file>.waiting/`: the
 * process holding the file reads them to give it up between jobs once its turn is over, so a
 * second worker on the same file is not kept waiting while the first always has a job running.
 */
export function waitingNotes(path: string): { announce: () => () => void; othersWaiting: () => boolean } {
  const dir = `${path}.waiting`;
  const mine = join(dir, String(process.pid));
  let count = 0;
  return {
    announce: () => {
      count++;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(mine, '');
      } catch {
        // Not saying so only costs this process its turn.
      }
      let done = false;
      return () => {
        if (done) return;
        done = true;
        count--;
        if (count === 0) rmSync(mine, { force: true });
      };
    },
    othersWaiting: () => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return false;
      }
      return names.some((name) => {
        const pid = Number(name);
        if (!Number.isInteger(pid) || pid === process.pid) return false;
        if (isRunning(pid)) return true;
        // A note left by a process that was killed while it waited.
        rmSync(join(dir, name), { force: true });
        return false;
      });
    },
  };
}

/**
 * Sessions on a DuckDB warehouse file: opened for each job and closed after it, waiting (a
 * bounded time) while another process holds the file, and naming that process's contrail
 * command, pid and start time when the wait is over (src/warehouse/duckdb-holder.ts).
 */
export function duckDbSessions(options: DuckDbSessionsOptions): WarehouseSessions {
  return perUseSessions({
    open: async () => {
      options.beforeOpen?.();
      return openDuckDbWarehouse({
        path: options.path,
        ...(options.attach ? { attach: options.attach } : {}),
        ...(options.readOnly ? { readOnly: true } : {}),
      });
    },
    isBusy: isLockedError,
    turns: waitingNotes(options.path),
    ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
    ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
    busyMessage: (error, waitedMs) =>
      `the embedded warehouse ${options.path} is in use by another process: ${describeHolder(
        options.path,
        error instanceof Error ? error.message : String(error),
      )}; waited ${waitedMs} ms`,
  });
}

/** The telemetry catalog metric-hub SQL names (`mozdata.telemetry.clients_daily`). */
export function mozdataFile(): string {
  return join(dataDir(), 'mozdata.duckdb');
}

/**
 * Runs `attempt`, which opens the embedded telemetry file, again while another process holds
 * it (every job of the embedded warehouse attaches it, `contrail sample` writes it), waiting as
 * long as such a job would (CONTRAIL_WAREHOUSE_WAIT_MS) and then naming the holder.
 */
export function whileTelemetryBusy<T>(attempt: () => Promise<T>): Promise<T> {
  return whileBusy(attempt, {
    isBusy: isLockedError,
    waitMs: warehouseWaitMs(),
    busyMessage: (error, waitedMs) =>
      `the embedded telemetry ${mozdataFile()} is in use by another process: ${describeHolder(
        warehouseFile(),
        error instanceof Error ? error.message : String(error),
      )}; waited ${waitedMs} ms`,
  });
}

// Consecutive jobs of one step (a query, then the next) share the open file; a gap longer than
// this (a step computing statistics, the time between two activities) lets other commands in.
const LINGER_MS = 150;

let embedded: SessionWarehouse | null = null;

/**
 * The embedded warehouse of this process: `warehouseFile()` with `<dataDir>/mozdata.duckdb`
 * attached as `mozdata`, opened for each job and closed after it, so that several contrail
 * commands can use it in turn. One per process; closing it lets the next call make a new one.
 */
export function embeddedWarehouse(): SessionWarehouse {
  if (embedded === null) {
    const sessions = duckDbSessions({
      path: warehouseFile(),
      attach: { mozdata: mozdataFile() },
      waitMs: warehouseWaitMs(),
      lingerMs: LINGER_MS,
    });
    const warehouse: SessionWarehouse = new SessionWarehouse(
      {
        use: (work, progress) => sessions.use(work, progress),
        close: async () => {
          if (embedded === warehouse) embedded = null;
          await sessions.close();
        },
      },
      'duckdb',
      duckdbDialect(),
    );
    embedded = warehouse;
  }
  return embedded;
}
