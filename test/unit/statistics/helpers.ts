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
  // Per branch: bins in the order their first row came, found by y, then x (no string keys:
  // the coverage simulations bin hundreds of thousands of rows).
  const by = new Map<
    string,
    { bins: ValueBin[]; index: Map<number | null, Map<number | null | undefined, ValueBin>> }
  >();
  for (const b of branches ?? []) by.set(b, { bins: [], index: new Map() });
  for (const r of rows) {
    let m = by.get(r.branch);
    if (!m) {
      m = { bins: [], index: new Map() };
      by.set(r.branch, m);
    }
    let byX = m.index.get(r.y);
    if (!byX) {
      byX = new Map();
      m.index.set(r.y, byX);
    }
    const bin = byX.get(r.x);
    if (bin) bin.count += 1;
    else {
      const made: ValueBin = r.x === undefined ? { y: r.y, count: 1 } : { y: r.y, x: r.x, count: 1 };
      byX.set(r.x, made);
      m.bins.push(made);
    }
  }
  return {
    metric,
    windowDays: 7,
    branches: [...by].map(([branch, m]) => ({ branch, bins: m.bins })),
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
