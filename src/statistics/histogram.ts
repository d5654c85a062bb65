import type { ValueBin } from './inputs.js';

/** Distinct finite values in ascending order with their counts (a compact sorted sample). */
export interface Histogram {
  values: Float64Array;
  counts: Float64Array;
  /** cumulative[i] = counts[0] + … + counts[i]. */
  cumulative: Float64Array;
  n: number;
}

export interface HistogramResult {
  histogram: Histogram;
  /** Clients whose value is null. */
  nulls: number;
  /** Clients whose value is NaN or ±Infinity. */
  nonFinite: number;
}

export function fromPairs(pairs: Map<number, number>): Histogram {
  const values = Float64Array.from(pairs.keys()).sort();
  const counts = new Float64Array(values.length);
  const cumulative = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const c = pairs.get(values[i] as number) as number;
    counts[i] = c;
    n += c;
    cumulative[i] = n;
  }
  return { values, counts, cumulative, n };
}

/** Tallies the `y` of bins (merging equal values; -0 counts as 0). */
export function histogramOf(
  bins: readonly ValueBin[],
  pick: (b: ValueBin) => number | null | undefined = (b) => b.y,
): HistogramResult {
  const pairs = new Map<number, number>();
  let nulls = 0;
  let nonFinite = 0;
  for (const bin of bins) {
    if (bin.count <= 0) continue;
    const v = pick(bin);
    if (v === null || v === undefined) nulls += bin.count;
    else if (!Number.isFinite(v)) nonFinite += bin.count;
    else {
      const key = v === 0 ? 0 : v;
      pairs.set(key, (pairs.get(key) ?? 0) + bin.count);
    }
  }
  return { histogram: fromPairs(pairs), nulls, nonFinite };
}

/** 0-based index of the distinct value holding rank r (0 ≤ r < n) of the sorted sample. */
export function indexOfRank(h: Histogram, r: number): number {
  const cum = h.cumulative;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cum[mid] as number) > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function valueAtRank(h: Histogram, r: number): number {
  return h.values[indexOfRank(h, r)] as number;
}

/** numpy/pandas default quantile ("linear": h = (n−1)q, interpolate between order statistics). */
export function histogramQuantile(h: Histogram, q: number): number {
  if (h.n === 0) return Number.NaN;
  const pos = (h.n - 1) * q;
  const k = Math.floor(pos);
  const t = pos - k;
  const a = valueAtRank(h, k);
  if (t === 0) return a;
  const b = valueAtRank(h, Math.min(k + 1, h.n - 1));
  return lerp(a, b, t);
}

/** numpy's interpolation (exact at both ends). */
export function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** numpy's default quantile of an already sorted array. */
export function sortedQuantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const k = Math.floor(pos);
  const t = pos - k;
  const a = sorted[k] as number;
  if (t === 0) return a;
  return lerp(a, sorted[Math.min(k + 1, n - 1)] as number, t);
}

/** Empirical CDF F(x) = #{values ≤ x} / n. */
export function ecdfAt(h: Histogram, x: number): number {
  // Count of values ≤ x: first index with value > x.
  const vals = h.values;
  let lo = 0;
  let hi = vals.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((vals[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : (h.cumulative[lo - 1] as number) / h.n;
}

/** Neumaier-compensated running sum: sums over millions of clients stay accurate. */
export class Sum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

/** Mean of an array (compensated). */
export function mean(xs: Float64Array): number {
  const s = new Sum();
  for (let i = 0; i < xs.length; i++) s.add(xs[i] as number);
  return s.value / xs.length;
}

/** True when every value is an integer (jetstream rounds clip thresholds up for integer columns). */
export function allIntegers(h: Histogram): boolean {
  for (let i = 0; i < h.values.length; i++) if (!Number.isInteger(h.values[i])) return false;
  return true;
}
