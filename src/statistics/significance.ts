/**
 * Whether a comparison's interval excludes no change (zero difference, zero uplift): how the
 * CLI's headline marks a result with `*` and the dashboard marks it as significant. Without
 * both bounds nothing can be said.
 */
export function excludesNoChange(lower: number | null, upper: number | null): boolean | null {
  if (lower === null || upper === null) return null;
  return lower > 0 || upper < 0;
}

/**
 * The confidence level of intervals written with `ci_width` (0.95 → "95%"); null without one.
 */
export function confidenceLevel(ciWidth: number | null): string | null {
  if (ciWidth === null || !Number.isFinite(ciWidth)) return null;
  return `${Number((ciWidth * 100).toFixed(2))}%`;
}
