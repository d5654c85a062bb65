import { z } from 'zod';

/** A number that is finite, or null: NaN and ±Infinity never reach a result row. */
const FiniteOrNull = z
  .number()
  .refine((v) => Number.isFinite(v), 'must be finite')
  .nullable();

/** jetstream computes the enrolment count of every segment as metric `identity`, statistic count. */
export const IDENTITY_METRIC = 'identity';

export const COMPARISONS = ['difference', 'relative_uplift'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/**
 * One row of `statistics_<slug>_<period>_<window>`, in jetstream's column names so existing
 * consumers keep working. `parameter` is a string (jetstream writes a NUMERIC rounded to 6
 * decimals: deciles "0.1"…"0.9", grid points for KDE/ECDF).
 */
export const StatisticResultRow = z.object({
  metric: z.string(),
  statistic: z.string(),
  parameter: z.string().nullable(),
  branch: z.string(),
  comparison: z.enum(COMPARISONS).nullable(),
  comparison_to_branch: z.string().nullable(),
  ci_width: FiniteOrNull,
  point: FiniteOrNull,
  lower: FiniteOrNull,
  upper: FiniteOrNull,
  segment: z.string(),
  analysis_basis: z.enum(['enrollments', 'exposures']),
  window_index: z.string(),
});
export type StatisticResultRow = z.infer<typeof StatisticResultRow>;

/** Where the rows of one computation belong. */
export interface RowContext {
  metric: string;
  segment: string;
  analysisBasis: 'enrollments' | 'exposures';
  windowIndex: string;
}

export function finiteOrNull(v: number | null | undefined): number | null {
  return v !== null && v !== undefined && Number.isFinite(v) ? v : null;
}

/** jetstream's parameter normalisation: the number rounded to 6 decimals, as a string. */
export function formatParameter(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`parameter must be finite, got ${v}`);
  // toFixed rounds the exact binary value; Number() drops trailing zeros ("0.100000" → "0.1").
  const r = Number(Math.abs(v) < 1e21 ? v.toFixed(6) : v);
  return String(Object.is(r, -0) ? 0 : r);
}

export interface RowValues {
  statistic: string;
  branch: string;
  parameter?: number | null;
  comparison?: Comparison | null;
  comparisonToBranch?: string | null;
  ciWidth?: number | null;
  point: number | null;
  lower?: number | null;
  upper?: number | null;
}

export function makeRow(ctx: RowContext, v: RowValues): StatisticResultRow {
  return {
    metric: ctx.metric,
    statistic: v.statistic,
    parameter: v.parameter === null || v.parameter === undefined ? null : formatParameter(v.parameter),
    branch: v.branch,
    comparison: v.comparison ?? null,
    comparison_to_branch: v.comparisonToBranch ?? null,
    ci_width: finiteOrNull(v.ciWidth),
    point: finiteOrNull(v.point),
    lower: finiteOrNull(v.lower),
    upper: finiteOrNull(v.upper),
    segment: ctx.segment,
    analysis_basis: ctx.analysisBasis,
    window_index: ctx.windowIndex,
  };
}
