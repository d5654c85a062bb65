/**
 * Quantiles of unsorted samples by selection instead of a full sort: the interval bounds of a
 * statistic need two order statistics each, and sorting 10,000 bootstrap samples for every
 * branch, comparison and decile dominated the statistics step. Same values as sorting and
 * interpolating linearly (type 7), in expected linear time.
 */

/** Rearranges `a[from..to]` so that `a[k]` holds the value a full sort would put there. */
function select(a: Float64Array, k: number, from: number, to: number): void {
  let left = from;
  let right = to;
  while (right > left) {
    // Median of three as pivot: good on already-ordered runs, which bootstrap draws often have.
    const mid = (left + right) >>> 1;
    if ((a[mid] as number) < (a[left] as number)) swap(a, mid, left);
    if ((a[right] as number) < (a[left] as number)) swap(a, right, left);
    if ((a[right] as number) < (a[mid] as number)) swap(a, right, mid);
    const pivot = a[mid] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
}

/** The smallest value of `a[from..to]`. */
function minOf(a: Float64Array, from: number, to: number): number {
  let m = a[from] as number;
  for (let i = from + 1; i <= to; i++) if ((a[i] as number) < m) m = a[i] as number;
  return m;
}

/**
 * Type-7 quantiles of `values` (which must hold no NaN) for increasing `probs`; `values` is not
 * changed.
 */
export function quantilesOf(values: Float64Array, probs: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return probs.map(() => Number.NaN);
  const a = values.slice();
  const out: number[] = [];
  let from = 0;
  for (const q of probs) {
    const pos = (n - 1) * q;
    const k = Math.floor(pos);
    select(a, k, from, n - 1);
    const lower = a[k] as number;
    const t = pos - k;
    // After selecting k, everything right of k is ≥ a[k]: the next order statistic is their minimum.
    out.push(t === 0 || k + 1 >= n ? lower : lower + (minOf(a, k + 1, n - 1) - lower) * t);
    from = k;
  }
  return out;
}
