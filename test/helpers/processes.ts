import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Live processes of this user whose environment holds `name=value`. Children inherit their
 * parent's environment, so a marker set on a command finds everything it started, even after
 * the command died and its children were adopted by another process; other engineers' and
 * other tests' processes never carry it.
 */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours
    }
    if (environ.split('\0').includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * The fields of `/proc/<pid>/stat` after the command name (which may hold spaces and
 * parentheses): state first, then ppid, pgrp, session, …; null when the process is gone.
 */
export function procStat(pid: number | 'self'): string[] | null {
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return line.slice(line.lastIndexOf(')') + 2).split(' ');
}

/** A unique marker for the processes one test starts: `env` to pass them, `pids()` to find them. */
export function processMarker(): { env: { CONTRAIL_TEST_MARKER: string }; pids: () => number[] } {
  const value = randomUUID();
  return {
    env: { CONTRAIL_TEST_MARKER: value },
    pids: () => processesWithEnv('CONTRAIL_TEST_MARKER', value),
  };
}

/** Waits until none of the marked processes is alive (or the time is up); returns the survivors. */
export async function marked(pids: () => number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const alive = pids();
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 100));
  }
}
