/**
 * A preview's queries as they ran, next to what was estimated before (cost.ts): the rows of
 * the dataset's `query_costs` table, and the report of them printed after a preview.
 */
import type { IsoDate } from '../dates.js';
import { plural } from '../plural.js';
import { deleteExperimentRowsSql } from '../sql/plan/reads.js';
import { billedText, formatBytes, onDemandCostUsd, totalText } from '../warehouse/cost.js';
import type { ColumnType, Warehouse } from '../warehouse/warehouse.js';
import type { CostEstimate, QueryEstimate } from './cost.js';
import { billedOf } from './cost-report.js';
import type { QueryRun } from './results.js';
import type { QueryCostRow } from './table-rows.js';

/** The table of per-query cost and time a preview keeps in its dataset. */
export const QUERY_COSTS_TABLE = 'query_costs';

/** The queries of one analysed date as they ran. */
export interface DayQueries {
  date: IsoDate;
  /** The queries that ran to the end (on a failed date: those that did before it failed). */
  queries: QueryRun[];
  /**
   * Set when the date's analysis failed: the tables of the queries that failed. A query of the
   * date in neither list did not run (an earlier step failed first).
   */
  failedQueries?: string[];
}

/** What became of a preview's query: it ran, it failed, or it never ran because an earlier step of its date failed. */
export type QueryOutcome = 'ran' | 'failed' | 'not run';

/** A row of `query_costs`, with what became of its query (which the report says, the table does not keep). */
export type QueryCostLine = QueryCostRow & { outcome: QueryOutcome };

/** Every query of a preview with its estimate (where one was made) and what it took when it ran. */
export function queryCostRows(
  slug: string,
  estimate: CostEstimate,
  runs: DayQueries[],
  now: Date,
): QueryCostLine[] {
  const estimated = new Map(estimate.queries.map((q) => [`${q.date}/${q.table}`, q]));
  const rows: QueryCostLine[] = [];
  const seen = new Set<string>();
  const row = (
    date: IsoDate,
    table: string,
    run: QueryRun | null,
    est: QueryEstimate | null,
    outcome: QueryOutcome,
  ): QueryCostLine => {
    const bytes = run?.bytesProcessed ?? null;
    const billed = run?.bytesBilled ?? null;
    // An estimate made before the minimums were counted has no billed bytes: its scanned ones
    // stand for them in dollars only (`estimateBill`), not in `estimated_bytes_billed`.
    const estimatedBilled = est?.billed ?? null;
    const estimateBill = est ? billedOf(est) : null;
    return {
      outcome,
      timestamp: now.toISOString(),
      experiment: slug,
      analysis_date: date,
      destination: table,
      stage: est?.kind ?? null,
      estimate_method: est ? estimate.method : null,
      estimated_bytes: est?.bytes ?? null,
      estimated_bytes_billed: estimatedBilled,
      bytes_processed: bytes,
      bytes_billed: billed,
      elapsed_ms: run?.elapsedMs ?? null,
      // Dollars of what was billed where the warehouse reports it, else of what the estimate
      // says would be (a job's bytes scanned are not what it costs: BigQuery bills at least
      // 10 MB a query and a table, and nothing for an answer from its cache).
      cost_usd:
        billed !== null
          ? onDemandCostUsd(billed, estimate.usdPerTib)
          : estimateBill !== null
            ? onDemandCostUsd(estimateBill, estimate.usdPerTib)
            : null,
    };
  };
  for (const day of runs) {
    for (const run of day.queries) {
      const key = `${day.date}/${run.table}`;
      seen.add(key);
      rows.push(row(day.date, run.table, run, estimated.get(key) ?? null, 'ran'));
    }
  }
  for (const day of runs) {
    for (const table of day.failedQueries ?? []) {
      const key = `${day.date}/${table}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(row(day.date, table, null, estimated.get(key) ?? null, 'failed'));
    }
  }
  // Estimated queries that never ran (a step before them failed) keep their estimate.
  for (const q of estimate.queries) {
    if (!seen.has(`${q.date}/${q.table}`)) rows.push(row(q.date, q.table, null, q, 'not run'));
  }
  return rows.sort(
    (a, b) =>
      (a.analysis_date ?? '').localeCompare(b.analysis_date ?? '') ||
      a.destination.localeCompare(b.destination),
  );
}

/** The columns of `query_costs`; a table an older version wrote lacks the billed ones until a preview appends to it. */
export const QUERY_COST_COLUMNS: { name: keyof QueryCostRow; type: ColumnType }[] = [
  { name: 'timestamp', type: 'TIMESTAMP' },
  { name: 'experiment', type: 'STRING' },
  { name: 'analysis_date', type: 'DATE' },
  { name: 'destination', type: 'STRING' },
  { name: 'stage', type: 'STRING' },
  { name: 'estimate_method', type: 'STRING' },
  { name: 'estimated_bytes', type: 'INT64' },
  { name: 'estimated_bytes_billed', type: 'INT64' },
  { name: 'bytes_processed', type: 'INT64' },
  { name: 'bytes_billed', type: 'INT64' },
  { name: 'elapsed_ms', type: 'INT64' },
  { name: 'cost_usd', type: 'FLOAT64' },
];

/**
 * Keeps a preview's per-query costs in its dataset's `query_costs` table, in place of the
 * experiment's earlier ones (delete, then append: running it again gives the same table).
 */
export async function recordQueryCosts(
  warehouse: Warehouse,
  dataset: string,
  slug: string,
  rows: (QueryCostRow & { outcome?: QueryOutcome })[],
): Promise<void> {
  const ref = { dataset, table: QUERY_COSTS_TABLE };
  await warehouse.createDataset(dataset);
  if (await warehouse.tableExists(ref)) {
    await warehouse.execute(deleteExperimentRowsSql(warehouse.sqlDialect, ref, slug));
  }
  if (rows.length === 0) return;
  await warehouse.writeRows({
    destination: ref,
    columns: QUERY_COST_COLUMNS,
    rows: rows.map(({ outcome: _outcome, ...r }) => ({
      ...r,
      estimated_bytes: r.estimated_bytes == null ? null : Math.round(r.estimated_bytes),
      estimated_bytes_billed: r.estimated_bytes_billed == null ? null : Math.round(r.estimated_bytes_billed),
      bytes_processed: r.bytes_processed == null ? null : Math.round(r.bytes_processed),
      bytes_billed: r.bytes_billed == null ? null : Math.round(r.bytes_billed),
      elapsed_ms: r.elapsed_ms == null ? null : Math.round(r.elapsed_ms),
    })),
    mode: 'append',
  });
}

/**
 * After the run: per query, what became of it (its time when it ran; failed; not run because an
 * earlier step of its date failed) and its bytes; the total counts the queries that ran.
 */
export function describeQueryCosts(
  rows: (QueryCostRow & { outcome?: QueryOutcome })[],
  /** The first date a cancelled run stopped on: its queries and later ones that did not run were stopped, not failed. */
  stoppedOn?: string,
  /** The date a run stopped on because the warehouse's storage failed: the later dates were not attempted. */
  storageFailedOn?: string,
): string[] {
  if (rows.length === 0) return [];
  const lines = ['queries as they ran (time; bytes billed, else the estimate):'];
  let totalMs = 0;
  let totalBytes = 0;
  // Whether every query counted is counted by what it was (or would be) billed, whether any by
  // its estimate, and how many that ran had a figure at all (on the embedded warehouse, those
  // reading only the preview's own tables have none).
  let billedTotal = true;
  let estimated = false;
  let withFigure = 0;
  const count: Record<QueryOutcome, number> = { ran: 0, failed: 0, 'not run': 0 };
  // The date a cancelled run stopped on: which of its queries ran before the stop is not known
  // (a cancelled analysis reports none), so none of them is said not to have run.
  let stopped = 0;
  for (const row of rows) {
    // A preview recorded before outcomes were kept: a query with no time did not run.
    const r = { ...row, outcome: row.outcome ?? (row.elapsed_ms == null ? 'not run' : 'ran') };
    const stoppedHere = r.outcome === 'not run' && stoppedOn !== undefined && r.analysis_date === stoppedOn;
    if (stoppedHere) stopped++;
    else count[r.outcome]++;
    // What was billed where the warehouse says; else what was scanned (a run recorded before
    // the bill was kept); else the estimate, billed where it says.
    const shown =
      r.bytes_billed != null
        ? `${formatBytes(r.bytes_billed)} billed`
        : r.bytes_processed != null
          ? `${formatBytes(r.bytes_processed)} scanned`
          : r.estimated_bytes_billed != null
            ? `~${billedText(r.estimated_bytes_billed, r.estimated_bytes ?? r.estimated_bytes_billed, 'estimate')}`
            : r.estimated_bytes != null
              ? `~${formatBytes(r.estimated_bytes)} (estimate)`
              : '-';
    if (r.outcome === 'ran') {
      totalMs += r.elapsed_ms ?? 0;
      const billed = r.bytes_billed ?? (r.bytes_processed == null ? r.estimated_bytes_billed : null) ?? null;
      const bytes = billed ?? r.bytes_processed ?? r.estimated_bytes ?? null;
      if (bytes !== null) {
        withFigure++;
        if (billed === null) billedTotal = false;
        if (r.bytes_billed == null && r.bytes_processed == null) estimated = true;
        totalBytes += bytes;
      }
    }
    const what =
      r.outcome === 'ran'
        ? `${((r.elapsed_ms ?? 0) / 1000).toFixed(2)} s`
        : r.outcome === 'failed'
          ? 'FAILED'
          : stoppedHere
            ? 'stopped (interrupted: it may have run before the stop)'
            : stoppedOn !== undefined && (r.analysis_date ?? '') > stoppedOn
              ? 'not run (interrupted)'
              : storageFailedOn !== undefined && (r.analysis_date ?? '') > storageFailedOn
                ? "not run (not attempted: the warehouse's storage failed)"
                : 'not run (an earlier step of this date failed)';
    lines.push(`  ${r.analysis_date}  ${r.destination}  ${what}  ${shown}`);
  }
  const others = [
    count.failed > 0 ? `${count.failed} failed` : '',
    count['not run'] > 0 ? `${count['not run']} not run` : '',
    stopped > 0 ? `${stopped} stopped` : '',
  ].filter((s) => s !== '');
  const bytesTotal = totalText(`${formatBytes(totalBytes)}${billedTotal ? ' billed' : ''}`, {
    estimated,
    counted: withFigure,
    of: count.ran,
  });
  lines.push(
    `  total ${(totalMs / 1000).toFixed(1)} s of ${plural(count.ran, 'query', 'queries')} that ran, ${bytesTotal}${others.length > 0 ? `; ${others.join(', ')}` : ''}`,
  );
  return lines;
}
