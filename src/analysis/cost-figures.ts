/**
 * The figures of one query of a preview's `query_costs` table: its bytes billed, its bytes
 * scanned and its dollars, each the warehouse's own where it reported one, else the estimate's,
 * and marked so. The CLI's report and the dashboard's costs panel both read a row through this.
 * No DOM, no server code: the page bundle imports it.
 */

import type { QueryCostRow } from './table-rows.js';

/** A query's bytes or dollars, and whether they are the estimate made before it ran. */
export interface CostFigure {
  value: number;
  estimated: boolean;
}

/** What the costs table shows of one query. */
export interface QueryCostFigures {
  /**
   * What BigQuery billed it (`bytes_billed`), else what the estimate said it would be billed
   * (`estimated_bytes_billed`); null for a row written before bills were kept.
   */
  billed: CostFigure | null;
  /** What it scanned (`bytes_processed`), else what the estimate said it would scan. */
  scanned: CostFigure | null;
  /**
   * Its dollars (`cost_usd`): of the bill where the warehouse reported one, else of the
   * estimate's; a row written before bills were kept has dollars of what was scanned.
   */
  usd: CostFigure | null;
}

/** The columns of a `query_costs` row the figures come from; a table written by an older version lacks some. */
export type CostColumns = Pick<
  QueryCostRow,
  'estimated_bytes' | 'estimated_bytes_billed' | 'bytes_processed' | 'bytes_billed' | 'cost_usd'
>;

/** A figure a row holds: a finite number (a column an older table lacks reads as undefined). */
export const known = (v: number | null | undefined): v is number =>
  typeof v === 'number' && Number.isFinite(v);

/** The bytes billed and scanned and the dollars of one query, each marked where it is an estimate. */
export function costFigures(row: CostColumns): QueryCostFigures {
  const billed = known(row.bytes_billed)
    ? { value: row.bytes_billed, estimated: false }
    : known(row.estimated_bytes_billed)
      ? { value: row.estimated_bytes_billed, estimated: true }
      : null;
  const scanned = known(row.bytes_processed)
    ? { value: row.bytes_processed, estimated: false }
    : known(row.estimated_bytes)
      ? { value: row.estimated_bytes, estimated: true }
      : null;
  // A preview prices the bill the warehouse reports, else the estimate's bill; a version that
  // kept no bills priced the bytes scanned, else the estimate's scan.
  const usdEstimated =
    !known(row.bytes_billed) && (known(row.estimated_bytes_billed) || !known(row.bytes_processed));
  const usd = known(row.cost_usd) ? { value: row.cost_usd, estimated: usdEstimated } : null;
  return { billed, scanned, usd };
}

/**
 * The one figure a report shows for a query: what was billed where the warehouse says; else
 * what it scanned (a run recorded before bills were kept); else the estimate, its bill where
 * it has one. `billed` says whether the figure is a bill. Null when the row holds none.
 */
export function shownFigure(figures: QueryCostFigures): (CostFigure & { billed: boolean }) | null {
  const { billed, scanned } = figures;
  if (billed && !billed.estimated) return { ...billed, billed: true };
  if (scanned && !scanned.estimated) return { ...scanned, billed: false };
  if (billed) return { ...billed, billed: true };
  if (scanned) return { ...scanned, billed: false };
  return null;
}
