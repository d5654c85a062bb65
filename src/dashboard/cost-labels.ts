/**
 * What the costs panel writes of a preview's queries (the rows of its `query_costs` table):
 * per query the bytes billed, the bytes scanned where they differ, the time and the dollars,
 * and their totals, in the words of the CLI's report of the same queries (query-costs.ts). No
 * DOM, no server code: the page bundle imports it, and unit tests check it.
 */

import {
  type CostColumns,
  type CostFigure,
  costFigures,
  known,
  type QueryCostFigures,
} from '../analysis/cost-figures.js';
import { outcomeOf, unfinishedCounts, unfinishedText } from '../analysis/query-outcome.js';
import type { QueryCostRow } from '../analysis/table-rows.js';
import { plural } from '../plural.js';
import {
  BILLED_MINIMUM_BYTES,
  formatBytes,
  formatUsd,
  labelOf,
  scannedDiffers,
  totalText,
} from '../warehouse/cost.js';

/**
 * Whether the bytes scanned say something the bytes billed do not: no bill is known, or they
 * differ by a MiB or more. The same for a query's figures and for their totals.
 */
export function showsScanned(figures: {
  billed: { value: number } | null;
  scanned: { value: number } | null;
}): boolean {
  const { billed, scanned } = figures;
  return scanned !== null && (billed === null || scannedDiffers(billed.value, scanned.value));
}

/** A query's bytes billed in the table: `20.00 MiB`, `~20.00 MiB (estimate)`, or nothing when none is known. */
export function billedCell(figures: QueryCostFigures): string {
  const { billed } = figures;
  if (billed === null) return '';
  return billed.estimated ? `~${formatBytes(billed.value)} (estimate)` : formatBytes(billed.value);
}

/**
 * A query's bytes scanned in the table, where they differ from its bill (showsScanned). An
 * estimate's is marked `~`, and said to be one when no estimated bill beside it says so.
 */
export function scannedCell(figures: QueryCostFigures): string {
  const { billed, scanned } = figures;
  if (scanned === null || !showsScanned(figures)) return '';
  if (!scanned.estimated) return formatBytes(scanned.value);
  return `~${formatBytes(scanned.value)}${billed?.estimated ? '' : ' (estimate)'}`;
}

/** A query's dollars: `$0.0001`, `~$0.0001` for an estimate's, nothing when none were recorded. */
export function usdCell(figures: QueryCostFigures): string {
  const { usd } = figures;
  return usd === null ? '' : `${usd.estimated ? '~' : ''}${formatUsd(usd.value)}`;
}

/**
 * What the time column says of a query that did not run to the end, in the words of the CLI's
 * report (query-outcome.ts): `FAILED`, `not run (interrupted)`, …; null when it ran.
 */
export function unfinishedCell(row: Pick<QueryCostRow, 'outcome' | 'elapsed_ms'>): string | null {
  const outcome = outcomeOf(row);
  return outcome === 'ran' ? null : unfinishedText(outcome);
}

/**
 * The costs table's total row: "total (1 query)", and how many of them did not run to the end,
 * by what became of them as the CLI's report counts them (CostTotals' `unfinished`): their
 * time, bytes and dollars are not counted, since they were not spent.
 */
export function costsTotal(queries: number, unfinished: readonly string[] = []): string {
  return `total (${plural(queries, 'query', 'queries')}${
    unfinished.length === 0 ? '' : `; not counted: ${unfinished.join(', ')}`
  })`;
}

/** A column's total: the sum of the figures known, whether any is an estimate, and how many it adds. */
export interface FigureTotal {
  value: number;
  estimated: boolean;
  counted: number;
}

export interface CostTotals {
  billed: FigureTotal | null;
  scanned: FigureTotal | null;
  elapsedMs: number | null;
  usd: FigureTotal | null;
  /** The queries that ran to the end: the ones the totals add. */
  finished: number;
  /** How many of the others did what: `1 failed`, `2 not run` (unfinishedCounts). */
  unfinished: string[];
}

/**
 * The totals of a preview's per-query costs. A query that did not run to the end (it failed, a
 * step before it did, the preview stopped) is not added, since nothing was spent on it, as the
 * CLI's report adds only the queries that ran.
 */
export function costTotals(
  rows: readonly (CostColumns & Pick<QueryCostRow, 'elapsed_ms' | 'outcome'>)[],
): CostTotals {
  const outcomes = rows.map(outcomeOf);
  const finished = rows.filter((_, i) => outcomes[i] === 'ran');
  const figures = finished.map(costFigures);
  return {
    billed: figureTotal(figures.map((f) => f.billed)),
    scanned: figureTotal(figures.map((f) => f.scanned)),
    elapsedMs: knownTotal(finished.map((r) => r.elapsed_ms)),
    usd: figureTotal(figures.map((f) => f.usd)),
    finished: finished.length,
    unfinished: unfinishedCounts(outcomes.filter((o) => o !== 'ran')),
  };
}

function figureTotal(figures: readonly (CostFigure | null)[]): FigureTotal | null {
  const present = figures.filter((f): f is CostFigure => f !== null);
  if (present.length === 0) return null;
  return {
    value: present.reduce((sum, f) => sum + f.value, 0),
    estimated: present.some((f) => f.estimated),
    counted: present.length,
  };
}

/**
 * The total row's cells, worded as the CLI's report words its total:
 * `~60.00 MiB billed (the 3 with a figure, estimated)`. The scanned total only where it
 * differs from the billed one, as a query's does.
 */
export function totalCells(totals: CostTotals): { billed: string; scanned: string; usd: string } {
  const { billed, scanned, usd, finished } = totals;
  const text = (total: FigureTotal | null, shown: (v: number) => string) =>
    total === null ? '' : totalText(shown(total.value), { ...total, of: finished });
  return {
    billed: text(billed, (v) => `${formatBytes(v)} billed`),
    scanned: showsScanned(totals) ? text(scanned, (v) => `${formatBytes(v)} scanned`) : '',
    usd: text(usd, formatUsd),
  };
}

/**
 * What the table's columns mean, for someone who has not read BigQuery's pricing: the bill's
 * minimums, what `~` marks (with how each estimate was made), when scanned bytes are shown, and
 * why rows written by an older version have no bill, or no outcome.
 */
export function costsExplanation(
  rows: readonly (CostColumns & Pick<QueryCostRow, 'estimate_method' | 'elapsed_ms' | 'outcome'>)[],
): string {
  const figures = rows.map(costFigures);
  const estimated = rows.filter((_, i) => {
    const f = figures[i] as QueryCostFigures;
    return f.billed?.estimated || f.scanned?.estimated || f.usd?.estimated;
  });
  const methods = [...new Set(estimated.map((r) => r.estimate_method).filter((m) => typeof m === 'string'))];
  const parts = [
    `billed: what BigQuery bills a query, at least ${formatBytes(BILLED_MINIMUM_BYTES)} for it and for each table it reads, rounded up to the MiB`,
    ...(estimated.length > 0
      ? [
          `~: estimated before the run${methods.length > 0 ? ` (${methods.map(estimateLabel).join('; ')})` : ''}`,
        ]
      : []),
    'scanned: shown where it differs from billed by a MiB or more',
    ...(figures.some((f) => f.billed === null && f.scanned !== null)
      ? ['a row with no bill was written before bills were kept: its cost is of what was scanned']
      : []),
    ...(rows.some((r) => outcomeOf(r) === null)
      ? [`${unfinishedText(null)}: written before what became of a query was kept`]
      : []),
  ];
  return parts.join('; ');
}

/** How an estimate was made, in words; a method this version does not know, as recorded. */
export function estimateLabel(method: string): string {
  return method === 'dry_run' || method === 'column_sizes' ? labelOf(method) : method;
}

/**
 * The total of a column of which some values may be missing: null when none is known (a sum of
 * nothing is not zero bytes or zero milliseconds: DuckDB reports no bytes processed, a query
 * that never ran no time).
 */
export function knownTotal(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter(known);
  return present.length === 0 ? null : present.reduce((sum, v) => sum + v, 0);
}
