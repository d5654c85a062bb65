import type { StatisticInput, ValueBin } from '../../../src/statistics/inputs.js';
import { RandomStream } from '../../../src/statistics/random.js';

export const CTX = {
  segment: 'all',
  analysisBasis: 'enrollments' as const,
  windowIndex: '1',
  referenceBranch: 'control',
  seed: 7,
};

export interface RawRow {
  branch: string;
  y: number | null;
  x?: number | null;
}

/** Aggregates raw rows to bins the way the warehouse does: GROUP BY branch, y, x. */
export function toInput(metric: string, rows: RawRow[], branches?: string[]): StatisticInput {
  const by = new Map<string, Map<string, ValueBin>>();
  for (const b of branches ?? []) by.set(b, new Map());
  for (const r of rows) {
    let m = by.get(r.branch);
    if (!m) {
      m = new Map();
      by.set(r.branch, m);
    }
    const key = `${r.y}|${r.x}`;
    const bin = m.get(key);
    if (bin) bin.count += 1;
    else m.set(key, r.x === undefined ? { y: r.y, count: 1 } : { y: r.y, x: r.x, count: 1 });
  }
  return {
    metric,
    windowDays: 7,
    branches: [...by].map(([branch, m]) => ({ branch, bins: [...m.values()] })),
  };
}

export function poisson(rng: RandomStream, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rng.uniform();
  while (p > l) {
    k++;
    p *= rng.uniform();
  }
  return k;
}

/** numpy's default (linear) quantile of raw numbers, computed independently of src. */
export function npQuantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const k = Math.floor(pos);
  const t = pos - k;
  const a = s[k] as number;
  const b = s[Math.min(k + 1, s.length - 1)] as number;
  return a + (b - a) * t;
}

export const rng = (seed: number, label: string) => RandomStream.of(seed, 'test', label);

/** A statistic input of metric `m`: each branch's bins, branches in the order given. */
export function binsInput(branches: Record<string, ValueBin[]>, windowDays = 1): StatisticInput {
  return {
    metric: 'm',
    windowDays,
    branches: Object.entries(branches).map(([branch, bins]) => ({ branch, bins })),
  };
}
