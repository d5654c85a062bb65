import { execFileSync } from 'node:child_process';

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
