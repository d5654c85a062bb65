import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of running `temporal server start-dev` processes (to prove none is left behind). */
export function devServerPids(): number[] {
  try {
    return execFileSync('pgrep', ['-f', 'temporal server start-dev'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

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
