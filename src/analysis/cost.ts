import { QUERY_COSTS_TABLE, type QueryCostRow } from '../dashboard/schema.js';
import { isoDate } from '../dates.js';
import { ContrailError, isPermanent } from '../errors.js';
import type { IsoDate } from '../experiments/experiment.js';
import { plural } from '../plural.js';
import { telemetryCoverageSql } from '../sql/plan/metrics.js';
import { planPopulationSample } from '../sql/plan/population.js';
import { deleteExperimentRowsSql } from '../sql/plan/reads.js';
import { type PlannedQuery, type PlannedQueryKind, PUBLISHED_NAMES } from '../sql/plan/types.js';
import { dataDateRange } from '../sql/windows.js';
import { formatBytes, ON_DEMAND_USD_PER_TIB, onDemandCostUsd } from '../warehouse/cost.js';
import { MissingTableError, missingTableIn } from '../warehouse/errors.js';
import type { ColumnType, CostEstimateMethod, Warehouse } from '../warehouse/warehouse.js';
import { type PlanTarget, planDate } from './plan-day.js';
import type { QueryRun } from './results.js';

/**
 * What a preview would scan before any of it runs: the queries that read source tables (the
 * enrollments or population query, and each window's data-source scans), each dry-run by the
 * warehouse. BigQuery answers with the bytes it would bill; the embedded DuckDB estimates them
 * from the sizes of the columns each query reads (`CostEstimateMethod`). Every other query of
 * a run reads only the run's own (small) tables, which do not exist yet: they are counted, not
 * estimated.
 */

export interface QueryEstimate {
  /** Analysis date whose plan the query belongs to. */
  date: IsoDate;
  table: string;
  kind: PlannedQueryKind;
  bytes: number | null;
  /** Why the warehouse could not estimate it: it rejects the SQL (the run reports that error where it belongs). */
  rejected?: string;
}

export interface CostEstimate {
  method: CostEstimateMethod;
  queries: QueryEstimate[];
  totalBytes: number;
  usdPerTib: number;
  totalUsd: number;
  /** Queries of the run that read only its own tables (not estimated). */
  ownTableQueries: number;
  /**
   * Set when no data source the previewed windows read has a row on the dates they read (the
   * embedded warehouse's telemetry ends before them): those dates, and the dates the data
   * sources do hold (null: none). Checked on the embedded warehouse only, where it is free.
   */
  noTelemetry?: {
    dataSources: string[];
    first: IsoDate;
    last: IsoDate;
    held: { first: IsoDate; last: IsoDate } | null;
  };
}

export interface EstimateOptions {
  dates: IsoDate[];
  /** A random population stands in for the enrollments (`--generate-population`). */
  generatePopulation: boolean;
  /** Percent of clients of the population sample. */
  sampleSize: number;
  usdPerTib?: number;
}

/** The SQL of `planned` with the enrollments table replaced by the query that will write it. */
function withEnrollmentsInline(planned: PlannedQuery, enrollments: PlannedQuery | null, target: PlanTarget) {
  if (enrollments === null) return planned.sql;
  const table = target.dialect.table(enrollments.destination);
  return planned.sql.replaceAll(table, `(\n${enrollments.sql}\n)`);
}

export async function estimatePreviewCost(
  warehouse: Warehouse,
  target: PlanTarget,
  options: EstimateOptions,
): Promise<CostEstimate> {
  const usdPerTib = options.usdPerTib ?? ON_DEMAND_USD_PER_TIB;
  const queries: QueryEstimate[] = [];
  let method: CostEstimateMethod | null = null;
  let ownTableQueries = 0;
  let enrollments: PlannedQuery | null = null;
  const last = options.dates.at(-1);
  if (options.generatePopulation && last !== undefined) {
    enrollments = planPopulationSample(
      { spec: target.spec, dataset: target.dataset, dialect: target.dialect },
      { date: last, sampleSize: options.sampleSize },
    );
  }
  const estimate = async (date: IsoDate, planned: PlannedQuery, sql: string) => {
    let result: Awaited<ReturnType<Warehouse['dryRun']>>;
    try {
      result = await warehouse.dryRun(sql);
    } catch (error) {
      // A warehouse without any telemetry, or enrollments reading a table it does not have (or
      // will not let contrail read), leave none of the preview able to run: said once, before
      // anything runs, instead of once per query and date after running them all.
      const missing = missingTableIn(error);
      if (missing?.noTelemetry) throw error;
      if (missing !== null && planned.kind === 'enrollments') {
        throw new MissingTableError({
          table: missing.table,
          file: missing.file,
          warehouseMessage: `${missing.warehouseMessage}\nThe enrollments read it, so none of the preview can run.`,
          sqlLine: missing.sqlLine,
          cause: error,
        });
      }
      // SQL the warehouse rejects costs nothing: the run goes on, so that the error is reported
      // with every other error of the preview, at the config key it comes from.
      if (!isPermanent(error)) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      queries.push({
        date,
        table: planned.destination.table,
        kind: planned.kind,
        bytes: null,
        rejected: reason,
      });
      return;
    }
    method ??= result.method;
    queries.push({
      date,
      table: planned.destination.table,
      kind: planned.kind,
      bytes: result.bytesProcessed,
    });
  };
  let enrollmentsEstimated = false;
  // The dates each data source is read on, over every previewed window.
  const read = new Map<string, { first: IsoDate; last: IsoDate }>();
  for (const date of options.dates) {
    // Under the published names, as the report and the runs name the tables: the scans are
    // written under the run's staging names, but their SQL reads only data sources and enrollments.
    const plan = planDate({ ...target, results: PUBLISHED_NAMES }, date);
    if (enrollments === null && plan.enrollments !== null) enrollments = plan.enrollments;
    if (enrollments !== null && !enrollmentsEstimated && (plan.enrollments !== null || plan.windows.length)) {
      await estimate(date, enrollments, enrollments.sql);
      enrollmentsEstimated = true;
    }
    for (const window of plan.windows) {
      const dates = dataDateRange(target.spec, window.window);
      for (const scan of window.metricsScans) {
        await estimate(date, scan, withEnrollmentsInline(scan, enrollments, target));
        if (scan.dataSource === undefined) continue;
        const before = read.get(scan.dataSource);
        read.set(scan.dataSource, {
          first: before && before.first < dates.first ? before.first : dates.first,
          last: before && before.last > dates.last ? before.last : dates.last,
        });
      }
      ownTableQueries += window.metrics.length + window.statisticInputs.length;
    }
  }
  const totalBytes = queries.reduce((sum, q) => sum + (q.bytes ?? 0), 0);
  // Reading a data source's whole date column is free on the embedded warehouse only.
  const noTelemetry = warehouse.dialect === 'bigquery' ? null : await telemetryGap(warehouse, target, read);
  return {
    method: method ?? (warehouse.dialect === 'bigquery' ? 'dry_run' : 'column_sizes'),
    queries,
    totalBytes,
    usdPerTib,
    totalUsd: onDemandCostUsd(totalBytes, usdPerTib),
    ownTableQueries,
    ...(noTelemetry ? { noTelemetry } : {}),
  };
}

const dateText = (value: unknown): IsoDate | null =>
  value instanceof Date ? isoDate(value) : typeof value === 'string' ? value.slice(0, 10) : null;

/**
 * The previewed dates when none of the data sources they read holds a row on them (and the
 * dates those data sources do hold); null when any does, or when a data source cannot be read
 * (its error is reported where it belongs, by the run).
 */
async function telemetryGap(
  warehouse: Warehouse,
  target: PlanTarget,
  read: Map<string, { first: IsoDate; last: IsoDate }>,
): Promise<CostEstimate['noTelemetry'] | null> {
  if (read.size === 0) return null;
  const ctx = { spec: target.spec, dataset: target.dataset, dialect: target.dialect };
  let held = null as { first: IsoDate; last: IsoDate } | null;
  for (const [dataSource, dates] of read) {
    let row: Record<string, unknown> | undefined;
    try {
      [row] = await warehouse.query(telemetryCoverageSql(ctx, dataSource, dates));
    } catch {
      return null;
    }
    if (Number(row?.in_range ?? 0) > 0) return null;
    const first = dateText(row?.first);
    const last = dateText(row?.last);
    if (first !== null && last !== null) {
      held = {
        first: held === null || first < held.first ? first : held.first,
        last: held === null || last > held.last ? last : held.last,
      };
    }
  }
  const ranges = [...read.values()];
  return {
    dataSources: [...read.keys()].sort(),
    first: ranges.map((r) => r.first).sort()[0] as IsoDate,
    last: ranges
      .map((r) => r.last)
      .sort()
      .at(-1) as IsoDate,
    held,
  };
}

/** The largest queries first (ties by table name), for messages. */
export function biggestQueries(estimate: CostEstimate, count: number): QueryEstimate[] {
  return [...estimate.queries]
    .sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0) || a.table.localeCompare(b.table))
    .slice(0, count);
}

const describeQuery = (q: QueryEstimate) =>
  `${q.table} (${q.date}): ${q.bytes === null ? 'unknown' : formatBytes(q.bytes)}`;

/** A preview whose estimated scan is larger than `--max-bytes`, refused before any query runs. */
export class PreviewTooExpensiveError extends ContrailError {
  constructor(estimate: CostEstimate, maxBytes: number) {
    const biggest = biggestQueries(estimate, 3);
    super(
      `the preview would scan ${formatBytes(estimate.totalBytes)} (${labelOf(estimate.method)}), more than --max-bytes ${formatBytes(maxBytes)}; ` +
        `biggest queries: ${biggest.map(describeQuery).join('; ')}. ` +
        'Preview fewer days (--num-days) or periods (--analysis_periods), or raise --max-bytes ' +
        '(a smaller --sample_size does not help: BigQuery bills the whole columns a query reads)',
      {
        permanent: true,
        details: { totalBytes: estimate.totalBytes, maxBytes, biggest: biggest.map((q) => q.table) },
      },
    );
    this.name = 'PreviewTooExpensiveError';
  }
}

/** Refuses an estimate above `maxBytes` (null: no limit). */
export function checkMaxBytes(estimate: CostEstimate, maxBytes: number | null): void {
  if (maxBytes !== null && estimate.totalBytes > maxBytes)
    throw new PreviewTooExpensiveError(estimate, maxBytes);
}

/** How the bytes were found, in words. */
export function labelOf(method: CostEstimateMethod): string {
  return method === 'dry_run'
    ? 'BigQuery dry run'
    : 'estimate from the sizes of the columns read, as BigQuery would count them';
}

const usd = (value: number) => `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;

/** The estimate as people read it: one line per query, then the total in bytes and dollars. */
export function describeEstimate(estimate: CostEstimate): string[] {
  const lines = [`cost before running (${labelOf(estimate.method)}):`];
  for (const q of estimate.queries) {
    const bytes = q.bytes === null ? 'unknown' : formatBytes(q.bytes);
    lines.push(`  ${q.date}  ${q.table}  ${bytes}${q.rejected ? ` (not estimated: ${q.rejected})` : ''}`);
  }
  lines.push(
    `  total ${formatBytes(estimate.totalBytes)} in ${plural(estimate.queries.length, 'query', 'queries')}, about ${usd(estimate.totalUsd)} at ${usd(estimate.usdPerTib)}/TiB on demand` +
      (estimate.ownTableQueries > 0
        ? `; ${estimate.ownTableQueries} more ${estimate.ownTableQueries === 1 ? 'query reads' : 'queries read'} only the preview's own tables (not estimated)`
        : ''),
  );
  return lines;
}

export { usd as formatUsd };

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
    return {
      outcome,
      timestamp: now.toISOString(),
      experiment: slug,
      analysis_date: date,
      destination: table,
      stage: est?.kind ?? null,
      estimate_method: est ? estimate.method : null,
      estimated_bytes: est?.bytes ?? null,
      bytes_processed: bytes,
      elapsed_ms: run?.elapsedMs ?? null,
      // Dollars of what was billed where the warehouse reports it, else of the estimate.
      cost_usd:
        bytes !== null
          ? onDemandCostUsd(bytes, estimate.usdPerTib)
          : est?.bytes != null
            ? onDemandCostUsd(est.bytes, estimate.usdPerTib)
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

const COST_COLUMNS: { name: keyof QueryCostRow; type: ColumnType }[] = [
  { name: 'timestamp', type: 'TIMESTAMP' },
  { name: 'experiment', type: 'STRING' },
  { name: 'analysis_date', type: 'DATE' },
  { name: 'destination', type: 'STRING' },
  { name: 'stage', type: 'STRING' },
  { name: 'estimate_method', type: 'STRING' },
  { name: 'estimated_bytes', type: 'INT64' },
  { name: 'bytes_processed', type: 'INT64' },
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
    columns: COST_COLUMNS,
    rows: rows.map(({ outcome: _outcome, ...r }) => ({
      ...r,
      estimated_bytes: r.estimated_bytes == null ? null : Math.round(r.estimated_bytes),
      bytes_processed: r.bytes_processed == null ? null : Math.round(r.bytes_processed),
      elapsed_ms: r.elapsed_ms == null ? null : Math.round(r.elapsed_ms),
    })),
    mode: 'append',
  });
}

/**
 * After the run: per query, what became of it (its time when it ran; failed; not run because an
 * earlier step of its date failed) and its bytes; the total counts the queries that ran.
 */
export function describeQueryCosts(rows: (QueryCostRow & { outcome?: QueryOutcome })[]): string[] {
  if (rows.length === 0) return [];
  const lines = ['queries as they ran (time; bytes billed, else the estimate):'];
  let totalMs = 0;
  let totalBytes = 0;
  let ran = 0;
  const count: Record<QueryOutcome, number> = { ran: 0, failed: 0, 'not run': 0 };
  for (const row of rows) {
    // A preview recorded before outcomes were kept: a query with no time did not run.
    const r = { ...row, outcome: row.outcome ?? (row.elapsed_ms == null ? 'not run' : 'ran') };
    count[r.outcome]++;
    const shown =
      r.bytes_processed != null
        ? formatBytes(r.bytes_processed)
        : r.estimated_bytes != null
          ? `~${formatBytes(r.estimated_bytes)} (estimate)`
          : '-';
    if (r.outcome === 'ran') {
      ran++;
      totalMs += r.elapsed_ms ?? 0;
      totalBytes += r.bytes_processed ?? r.estimated_bytes ?? 0;
    }
    const what =
      r.outcome === 'ran'
        ? `${((r.elapsed_ms ?? 0) / 1000).toFixed(2)} s`
        : r.outcome === 'failed'
          ? 'FAILED'
          : 'not run (an earlier step of this date failed)';
    lines.push(`  ${r.analysis_date}  ${r.destination}  ${what}  ${shown}`);
  }
  const others = [
    count.failed > 0 ? `${count.failed} failed` : '',
    count['not run'] > 0 ? `${count['not run']} not run` : '',
  ].filter((s) => s !== '');
  lines.push(
    `  total ${(totalMs / 1000).toFixed(1)} s of ${plural(ran, 'query', 'queries')} that ran, ${formatBytes(totalBytes)}${others.length > 0 ? `; ${others.join(', ')}` : ''}`,
  );
  return lines;
}
