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
 * Which way a branch differs from the one it is compared to: 'higher' or 'lower' when the
 * interval lies wholly above or below zero (it excludes no change), 'unclear' when it includes
 * zero, null without both bounds.
 */
export type Direction = 'higher' | 'lower' | 'unclear';

export function direction(lower: number | null, upper: number | null): Direction | null {
  const excludes = excludesNoChange(lower, upper);
  if (excludes === null) return null;
  if (!excludes) return 'unclear';
  return (lower ?? 0) > 0 ? 'higher' : 'lower';
}

/**
 * The confidence level of intervals written with `ci_width` (0.95 → "95%"); null without one.
 */
export function confidenceLevel(ciWidth: number | null): string | null {
  if (ciWidth === null || !Number.isFinite(ciWidth)) return null;
  return `${Number((ciWidth * 100).toFixed(2))}%`;
}
