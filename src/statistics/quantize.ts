/**
 * Quantization of metrics with too many distinct values, as a rule SQL can reproduce exactly.
 *
 * When a branch has more than `maxDistinct` distinct values of a metric, every value is
 * rounded to `significantDigits` significant digits before binning (zero stays zero):
 *
 *   quantize(v) = round(v, significantDigits − 1 − floor(log10(|v|)))
 *
 * with `round(v, k)` = round-half-away-from-zero of v·10^k, divided by 10^k (for k < 0:
 * round(v / 10^−k) · 10^−k). DuckDB: `round(v, 3 - floor(log10(abs(v)))::INTEGER)`;
 * BigQuery: `ROUND(v, 3 - CAST(FLOOR(LOG10(ABS(v))) AS INT64))`, each guarded by `v = 0`.
 *
 * Error bound: |quantize(v) − v| ≤ 0.5·10^(1 − significantDigits)·|v| = 5e-4·|v| for 4 digits.
 * Hence any weighted mean (every bootstrap replicate, the linear-model sums) moves by at most
 * 5e-4 × the mean of |v|, and any quantile by at most 5e-4 × its own magnitude. In practice the
 * rounding errors have both signs and largely cancel, and identical rounding in every branch
 * cancels further in comparisons. After quantization a branch has at most 9,000 distinct values
 * per decade of magnitude its values span (plus zero).
 */
export const QUANTIZATION = { maxDistinct: 10_000, significantDigits: 4 } as const;

export function quantize(v: number, significantDigits: number = QUANTIZATION.significantDigits): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const k = significantDigits - 1 - Math.floor(Math.log10(Math.abs(v)));
  const a = Math.abs(v);
  const r = k >= 0 ? Math.round(a * 10 ** k) / 10 ** k : Math.round(a / 10 ** -k) * 10 ** -k;
  return v < 0 ? -r : r;
}
