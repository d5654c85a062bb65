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
import { costFigures, shownFigure } from './cost-figures.js';
import { billedOf } from './cost-report.js';
import {
  notRunOutcome,
  outcomeOf,
  type PreviewStop,
  type QueryOutcome,
  unfinishedCounts,
  unfinishedText,
} from './query-outcome.js';
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

/** A row of `query_costs` as this version writes it: with what became of its query. */
export type QueryCostLine = QueryCostRow & { outcome: QueryOutcome };

/**
 * Every query of a preview with its estimate (where one was made), what it took when it ran,
 * and what became of it: the queries it did not run, by the `stop` when it stopped early.
 */
export function queryCostRows(
  slug: string,
  estimate: CostEstimate,
  runs: DayQueries[],
  now: Date,
  stop?: PreviewStop,
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
  // Estimated queries that never ran (a step before them failed, or the preview stopped) keep their estimate.
  for (const q of estimate.queries) {
    if (!seen.has(`${q.date}/${q.table}`))
      rows.push(row(q.date, q.table, null, q, notRunOutcome(q.date, stop)));
  }
  return rows.sort(
    (a, b) =>
      (a.analysis_date ?? '').localeCompare(b.analysis_date ?? '') ||
      a.destination.localeCompare(b.destination),
  );
}

/**
 * The columns of `query_costs`; a table an older version wrote lacks the billed ones and the
 * outcome until a preview appends to it (its rows keep none: query-outcome.ts's outcomeOf).
 */
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
  // What became of the query, so that the dashboard says what the report said (query-outcome.ts).
  { name: 'outcome', type: 'STRING' },
];

/**
 * Keeps a preview's per-query costs in its dataset's `query_costs` table, in place of the
 * experiment's earlier ones (delete, then append: running it again gives the same table).
 */
export async function recordQueryCosts(
  warehouse: Warehouse,
  dataset: string,
  slug: string,
  rows: QueryCostRow[],
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
    rows: rows.map((r) => ({
      ...r,
      outcome: r.outcome ?? null,
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
 * After the run: per query, what became of it (its time when it ran, else in the words the
 * dashboard uses too: query-outcome.ts) and its bytes; the total counts the queries that ran.
 */
export function describeQueryCosts(
  rows: QueryCostRow[],
  /**
   * The first date a cancelled run stopped on: its queries and later ones that did not run were
   * stopped, not failed. The rows say so themselves (queryCostRows' stop); this says it of the
   * rows of a preview whose rows said only `not run`.
   */
  stoppedOn?: string,
  /** The date a run stopped on because the warehouse's storage failed: the later dates were not attempted (as stoppedOn). */
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
  let ran = 0;
  const outcomes: (QueryOutcome | null)[] = [];
  const stop: PreviewStop | undefined =
    stoppedOn !== undefined
      ? { date: stoppedOn, by: 'interruption' }
      : storageFailedOn !== undefined
        ? { date: storageFailedOn, by: 'storage' }
        : undefined;
  for (const r of rows) {
    const outcome = shownOutcome(outcomeOf(r), r.analysis_date ?? '', stop);
    outcomes.push(outcome);
    const figures = costFigures(r);
    const figure = shownFigure(figures);
    const shown =
      figure === null
        ? '-'
        : !figure.estimated
          ? `${formatBytes(figure.value)} ${figure.billed ? 'billed' : 'scanned'}`
          : figure.billed
            ? `~${billedText(figure.value, figures.scanned?.value ?? figure.value, 'estimate')}`
            : `~${formatBytes(figure.value)} (estimate)`;
    if (outcome === 'ran') {
      ran++;
      totalMs += r.elapsed_ms ?? 0;
      if (figure !== null) {
        withFigure++;
        if (!figure.billed) billedTotal = false;
        if (figure.estimated) estimated = true;
        totalBytes += figure.value;
      }
    }
    const what = outcome === 'ran' ? `${((r.elapsed_ms ?? 0) / 1000).toFixed(2)} s` : unfinishedText(outcome);
    lines.push(`  ${r.analysis_date}  ${r.destination}  ${what}  ${shown}`);
  }
  const others = unfinishedCounts(outcomes);
  const bytesTotal = totalText(`${formatBytes(totalBytes)}${billedTotal ? ' billed' : ''}`, {
    estimated,
    counted: withFigure,
    of: ran,
  });
  // A date interrupted part way reports none of its queries (a cancelled analysis carries no list
  // of what it ran): some of its stopped queries may well have run, and been billed. The total
  // counts only those known to have run, and says so.
  const stopped = outcomes.filter((o) => o === 'stopped').length;
  const counted =
    stopped > 0
      ? `the ${plural(ran, 'query', 'queries')} known to have run`
      : `${plural(ran, 'query', 'queries')} that ran`;
  const uncounted =
    stopped > 0
      ? `: the stopped ${stopped === 1 ? 'one' : 'ones'} may have run before the interruption, ${stopped === 1 ? 'its' : 'their'} time and bytes not known`
      : '';
  lines.push(
    `  total ${(totalMs / 1000).toFixed(1)} s of ${counted}, ${bytesTotal}${others.length > 0 ? `; ${others.join(', ')}${uncounted}` : ''}`,
  );
  return lines;
}

/**
 * A query's outcome as the report says it. A preview that ran before outcomes said why a query
 * did not run recorded only `not run` (or nothing): the stop its result names says it of the
 * dates it stopped.
 */
function shownOutcome(outcome: QueryOutcome | null, date: string, stop: PreviewStop | undefined) {
  if (outcome !== 'not run' && outcome !== null) return outcome;
  const stopped = notRunOutcome(date, stop);
  return stopped === 'not run' ? outcome : stopped;
}
