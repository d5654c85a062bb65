import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isRunning } from '../warehouse/duckdb-holder.js';

/**
 * Where a running `contrail dashboard` can be found: it leaves a note at the place of the
 * warehouse it reads (warehouse-place.ts; `<place>.dashboard.json`: its process, port and SQL
 * directories), so a preview of that warehouse names the dashboard's real address (it may listen
 * on any --port) and the SQL it shows. The note goes when the dashboard stops; one whose process
 * is gone is ignored.
 */
export interface DashboardNote {
  pid: number;
  port: number;
  /** Absolute paths of the --sql-output-dir directories it shows. */
  sqlDirs: string[];
}

function noteFile(warehouse: string): string {
  return `${warehouse}.dashboard.json`;
}

/**
 * Notes this process's dashboard; returns the function that removes the note (also on exit). A
 * note is a courtesy: where the warehouse's directory cannot be written (a read-only mount) the
 * dashboard runs without one, and a preview names the default address instead.
 */
export function noteDashboard(warehouse: string, note: Omit<DashboardNote, 'pid'>): () => void {
  const file = noteFile(warehouse);
  const mine: DashboardNote = {
    pid: process.pid,
    port: note.port,
    sqlDirs: note.sqlDirs.map((d) => resolve(d)),
  };
  try {
    writeFileSync(file, `${JSON.stringify(mine)}\n`);
  } catch {
    return () => undefined;
  }
  const release = () => {
    if (runningDashboard(warehouse)?.pid === process.pid) rmSync(file, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return release;
}

/** The dashboard running on `warehouse`, or null when none noted one or its process is gone. */
export function runningDashboard(warehouse: string): DashboardNote | null {
  try {
    const note = JSON.parse(readFileSync(noteFile(warehouse), 'utf8')) as Partial<DashboardNote>;
    if (typeof note.pid !== 'number' || typeof note.port !== 'number' || !isRunning(note.pid)) return null;
    const sqlDirs = Array.isArray(note.sqlDirs) ? note.sqlDirs.filter((d) => typeof d === 'string') : [];
    return { pid: note.pid, port: note.port, sqlDirs };
  } catch {
    return null;
  }
}
