import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * Who holds an embedded DuckDB warehouse file. DuckDB lets one process write to a file at a
 * time and, when another tries, names only a pid. So the process that opens the file also
 * writes a small note beside it (`<file>.holder.json`: which contrail command, its pid, when it
 * started, since when it holds the file) and removes it when it closes the file; a process
 * that waits for the file reads the note to say who it waits for. A note whose pid no longer
 * runs is stale (its process was killed) and is ignored.
 */

export interface WarehouseHolder {
  pid: number;
  /** The contrail command line, e.g. `contrail backfill --experiment_slug … --start_date …`. */
  command: string;
  /** When the holding process started (ISO). */
  processStartedAt: string;
  /** Since when it holds the file (ISO). */
  heldSince: string;
}

let thisCommand: string | null = null;

/** Names this process in the notes it writes (the CLI sets `contrail <command> <args>`). */
export function setWarehouseCommand(command: string): void {
  thisCommand = command;
}

/** This process's contrail command line, as the notes name it. */
export function currentCommand(): string {
  return thisCommand ?? [basename(process.argv[1] ?? process.argv0), ...process.argv.slice(2)].join(' ');
}

export function holderFile(path: string): string {
  return `${path}.holder.json`;
}

/** Whether the file is a database on disk (an in-memory warehouse has no holder to name). */
function onDisk(path: string): boolean {
  return path !== ':memory:' && !path.startsWith(':memory:');
}

/** Writes this process's note beside the file it just opened. A note is a courtesy: failing to write one is no error. */
export function recordHolder(path: string, now: Date = new Date()): void {
  if (!onDisk(path)) return;
  const holder: WarehouseHolder = {
    pid: process.pid,
    command: currentCommand().slice(0, 500),
    processStartedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    heldSince: now.toISOString(),
  };
  const temporary = `${holderFile(path)}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(holder)}\n`);
    renameSync(temporary, holderFile(path));
  } catch {
    rmSync(temporary, { force: true });
  }
}

/** Removes this process's note (another process's is left alone). */
export function releaseHolder(path: string): void {
  if (!onDisk(path)) return;
  if (readHolder(path)?.pid === process.pid) rmSync(holderFile(path), { force: true });
}

/** Whether process `pid` still runs (a note whose process is gone is stale). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): WarehouseHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(holderFile(path), 'utf8')) as Partial<WarehouseHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.command !== 'string') return null;
    return {
      pid: parsed.pid,
      command: parsed.command,
      processStartedAt: String(parsed.processStartedAt ?? ''),
      heldSince: String(parsed.heldSince ?? ''),
    };
  } catch {
    return null;
  }
}

/** The holder's note, if its process still runs. */
export function currentHolder(path: string): WarehouseHolder | null {
  const holder = readHolder(path);
  return holder !== null && isRunning(holder.pid) ? holder : null;
}

/** A process's command line from /proc (Linux), for a holder that wrote no note. */
function commandLineOf(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return text === '' ? null : text.slice(0, 300);
  } catch {
    return null;
  }
}

/**
 * Who holds the file, in words: the note's command, pid and times; else the pid DuckDB named
 * in `lockMessage` (with its command line where the system shows it).
 */
export function describeHolder(path: string, lockMessage: string): string {
  const holder = currentHolder(path);
  const pid = Number(/PID (\d+)/i.exec(lockMessage)?.[1] ?? Number.NaN);
  if (holder !== null && (Number.isNaN(pid) || holder.pid === pid)) {
    return `\`${holder.command}\` (pid ${holder.pid}, started ${holder.processStartedAt}, holding the file since ${holder.heldSince})`;
  }
  if (Number.isNaN(pid)) return 'another process';
  const commandLine = commandLineOf(pid);
  return `pid ${pid}${commandLine === null ? '' : ` (${commandLine})`}, which left no note of the contrail command it runs`;
}
