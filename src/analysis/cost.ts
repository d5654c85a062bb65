import { mapBoundedUntilFailure } from '../concurrency.js';
import { type IsoDate, isoDate } from '../dates.js';
import { ContrailError, type ErrorSubject, isPermanent } from '../errors.js';
import { plural } from '../plural.js';
import {
  DRY_RUNS_AT_ONCE,
  type Inlined,
  inlinedEnrollments,
  plannedLine,
  scanOwnBytes,
  withEnrollmentsInlined,
} from '../sql/dry-run.js';
import { telemetryCoverageSql } from '../sql/plan/metrics.js';
import { planPopulationSample } from '../sql/plan/population.js';
import { type PlannedQuery, type PlannedQueryKind, PUBLISHED_NAMES } from '../sql/plan/types.js';
import { querySubjects } from '../sql/run.js';
import { dataDateRange } from '../sql/windows.js';
import {
  aboutUsd,
  formatBytes,
  formatUsd,
  ON_DEMAND_USD_PER_TIB,
  onDemandCostUsd,
} from '../warehouse/cost.js';
import {
  MissingTableError,
  missingTableIn,
  WarehouseQueryError,
  warehouseMessageOf,
} from '../warehouse/errors.js';
import type { CostEstimateMethod, Warehouse } from '../warehouse/warehouse.js';
import { type PlanTarget, planDate } from './plan-day.js';

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
  /** For a rejected query: the config items it is about (file, key, line) and what the warehouse said. */
  subjects?: ErrorSubject[];
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

/** One query to estimate: the date it runs on, and the enrollments query written in for its table. */
interface Estimated {
  date: IsoDate;
  planned: PlannedQuery;
  inlined: Inlined | null;
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
  const estimate = async ({ date, planned, inlined }: Estimated): Promise<QueryEstimate> => {
    const sql = withEnrollmentsInlined(planned.sql, inlined);
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
      // SQL the warehouse rejects is noted with the config items it is about: BigQuery's dry run
      // refuses the preview on it (`checkRejected`); on the embedded warehouse the run goes on, so
      // that the error is reported with every other error of the preview.
      if (!isPermanent(error)) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      const warehouseMessage = warehouseMessageOf(error);
      // The line the warehouse points at, in the planned SQL (before the enrollments were written in).
      const line = error instanceof WarehouseQueryError ? error.sqlLine : null;
      return {
        date,
        table: planned.destination.table,
        kind: planned.kind,
        bytes: null,
        rejected: reason,
        subjects: querySubjects(
          planned,
          line === null ? null : plannedLine(planned.sql, inlined, line),
          warehouseMessage,
        ),
      };
    }
    method ??= result.method;
    return { date, table: planned.destination.table, kind: planned.kind, bytes: result.bytesProcessed };
  };
  // Every query to estimate, in the order of the preview; then estimated a few at once (on
  // BigQuery each is a dry run, a request; one after another they held the preview's start).
  const estimated: Estimated[] = [];
  // Where the enrollments query is among them (-1: not yet): the scans are counted without it.
  let enrollmentsAt = -1;
  // The dates each data source is read on, over every previewed window.
  const read = new Map<string, { first: IsoDate; last: IsoDate }>();
  for (const date of options.dates) {
    // Under the published names, as the report and the runs name the tables: the scans are
    // written under the run's staging names, but their SQL reads only data sources and enrollments.
    const plan = planDate({ ...target, results: PUBLISHED_NAMES }, date);
    if (enrollments === null && plan.enrollments !== null) enrollments = plan.enrollments;
    if (enrollments !== null && enrollmentsAt < 0 && (plan.enrollments !== null || plan.windows.length)) {
      enrollmentsAt = estimated.length;
      estimated.push({ date, planned: enrollments, inlined: null });
    }
    const inlined = enrollments && inlinedEnrollments(enrollments, target.dialect);
    for (const window of plan.windows) {
      const dates = dataDateRange(target.spec, window.window);
      for (const scan of window.metricsScans) {
        estimated.push({ date, planned: scan, inlined });
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
  // An estimate that throws ends the whole estimate (no telemetry, a BigQuery that does not
  // answer): the ones not yet started are not asked.
  const answers = await mapBoundedUntilFailure(estimated, DRY_RUNS_AT_ONCE, estimate);
  const enrollmentsBytes = answers[enrollmentsAt]?.bytes ?? null;
  queries.push(
    ...answers.map((answer, i) => {
      const { planned, inlined } = estimated[i] as Estimated;
      return answer.bytes === null
        ? answer
        : { ...answer, bytes: scanOwnBytes(answer.bytes, planned.sql, inlined, enrollmentsBytes) };
    }),
  );
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
    // The enrollments (or population) query runs once whatever is previewed: when it alone is
    // over the limit, fewer days or periods cannot bring the preview under it.
    const enrollments = estimate.queries.find((q) => q.kind === 'enrollments');
    const fixed = (enrollments?.bytes ?? 0) > maxBytes;
    super(
      `the preview would scan ${formatBytes(estimate.totalBytes)} (${labelOf(estimate.method)}), more than --max-bytes ${formatBytes(maxBytes)}; ` +
        `biggest queries: ${biggest.map(describeQuery).join('; ')}. ` +
        (fixed
          ? `The enrollments query alone is over it, however few days or periods are previewed: raise --max-bytes `
          : 'Preview fewer days (--num-days) or periods (--analysis_periods), or raise --max-bytes ') +
        '(a smaller --sample_size does not help: BigQuery bills the whole columns a query reads)',
      {
        permanent: true,
        details: { totalBytes: estimate.totalBytes, maxBytes, biggest: biggest.map((q) => q.table) },
      },
    );
    this.name = 'PreviewTooExpensiveError';
  }
}

/**
 * A preview on BigQuery whose dry run rejected queries. BigQuery's dry run validates a query
 * exactly as its run would, so those queries would fail: running the others first would create
 * the dataset and pay for their scans only to fail at the end. Refused before anything is
 * created or billed, with what each rejected query is about (config file, key and line) and
 * BigQuery's message, the same message for several dates said once.
 */
export class PreviewQueriesRejectedError extends ContrailError {
  /**
   * `warehouse`: whose refusal this is. BigQuery's dry run (the default), or the embedded
   * warehouse refusing the enrollments query, which every previewed date reads (checkRejected).
   */
  constructor(rejected: QueryEstimate[], warehouse: 'bigquery' | 'embedded' = 'bigquery') {
    // By config file, then config item, then what BigQuery said: the tables and dates it said it for.
    const groups = new Map<string, Map<string, Map<string, string[]>>>();
    const subjects: ErrorSubject[] = [];
    // A scan reads the enrollments query written in for their table: rejected for the same
    // reason as that query, it says nothing of its own (and would be blamed on its data source).
    const enrollments = rejected.find((q) => q.kind === 'enrollments');
    const own = enrollments
      ? rejected.filter((q) => q === enrollments || q.rejected !== enrollments.rejected)
      : rejected;
    const withEnrollments = rejected.length - own.length;
    for (const q of own) {
      const about = q.subjects?.length ? q.subjects : [{ message: q.rejected ?? null }];
      for (const s of about) {
        subjects.push({ ...s, query: q.table });
        const file = s.file ?? '(no config file)';
        const item =
          (s.key ? `${s.key}${s.line ? ` (line ${s.line})` : ''}` : `query ${q.table}`) +
          (s.metric ? ` (metric ${s.metric})` : '');
        const message = s.message ?? q.rejected ?? 'rejected';
        const byItem = groups.get(file) ?? new Map<string, Map<string, string[]>>();
        groups.set(file, byItem);
        const byMessage = byItem.get(item) ?? new Map<string, string[]>();
        byItem.set(item, byMessage);
        const where = `${q.table} on ${q.date}`;
        const seen = byMessage.get(message) ?? [];
        if (!seen.includes(where)) seen.push(where);
        byMessage.set(message, seen);
      }
    }
    const lines = [
      warehouse === 'bigquery'
        ? `BigQuery's dry run rejected ${own.length} of the preview's queries` +
          ' (a run of it would fail), so the preview stops before running any: no dataset or table was created, nothing was billed'
        : `the warehouse refused the preview's enrollments query${own.length > 1 ? ` (and ${plural(own.length - 1, 'other query', 'other queries')})` : ''}: every previewed date reads the enrollments, so each would fail; the preview stops before running any, and an earlier preview's tables are as they were`,
    ];
    for (const [file, byItem] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`  ${file}`);
      for (const [item, byMessage] of byItem) {
        lines.push(`    ${item}`);
        for (const [message, where] of byMessage) lines.push(`      ERROR ${message} [${where.join(', ')}]`);
      }
    }
    if (withEnrollments > 0) {
      lines.push(
        `  (${plural(withEnrollments, 'metrics scan reads', 'metrics scans read')} the enrollments and failed with them: checked once the enrollments query passes)`,
      );
    }
    lines.push(
      warehouse === 'bigquery'
        ? 'Fix the config and preview again (`contrail validate <config file> --dry_run` checks every query of the experiment)'
        : 'Fix the config and preview again (`contrail validate <config file>` checks every query of the experiment)',
    );
    super(lines.join('\n'), {
      permanent: true,
      details: { rejected: rejected.map((q) => ({ table: q.table, date: q.date })), subjects },
    });
    this.name = 'PreviewQueriesRejectedError';
  }
}

/**
 * Refuses an estimate whose queries BigQuery's dry run rejected. The embedded warehouse's
 * estimate is only DuckDB's plan over the local tables, and running there costs nothing: its
 * preview goes on, and reports each failed query with the run's other errors. Unless the
 * warehouse refused the enrollments query (a segment's or the enrollment query's SQL, or a
 * generated population's): every date reads it, so nothing of the preview could run, and going
 * on would only drop the earlier preview's tables before failing as a whole, with no date's
 * errors to report (as a table the enrollments read that does not exist stops it).
 */
export function checkRejected(estimate: CostEstimate): void {
  const rejected = estimate.queries.filter((q) => q.rejected !== undefined);
  if (rejected.length === 0) return;
  if (estimate.method === 'dry_run') throw new PreviewQueriesRejectedError(rejected);
  if (rejected.some((q) => q.kind === 'enrollments'))
    throw new PreviewQueriesRejectedError(rejected, 'embedded');
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

/** The estimate as people read it: one line per query, then the total in bytes and dollars. */
export function describeEstimate(estimate: CostEstimate): string[] {
  const lines = [`cost before running (${labelOf(estimate.method)}):`];
  for (const q of estimate.queries) {
    const bytes = q.bytes === null ? 'unknown' : formatBytes(q.bytes);
    lines.push(`  ${q.date}  ${q.table}  ${bytes}${q.rejected ? ` (not estimated: ${q.rejected})` : ''}`);
  }
  // The preview's own tables do not exist yet, and are small: what the scans read of the
  // enrollments table, and the queries that read nothing else, are named, not estimated.
  // A query the warehouse refused has no size: counted in the total as nothing, the total would
  // claim to cover it ("0 B in 6 queries" when every query was refused).
  const refused = estimate.queries.filter((q) => q.bytes === null).length;
  const own = [
    ...(refused > 0
      ? [
          `${plural(refused, 'query', 'queries')} above the warehouse refused (${refused === 1 ? 'it fails' : 'they fail'} when run)`,
        ]
      : []),
    ...(estimate.queries.some((q) => q.kind === 'metrics_scan')
      ? ['the enrollments table the scans read']
      : []),
    ...(estimate.ownTableQueries > 0
      ? [
          `${plural(estimate.ownTableQueries, 'more query', 'more queries')} that read only the preview's own tables`,
        ]
      : []),
  ];
  const estimated = estimate.queries.length - refused;
  const total =
    estimated === 0 && refused > 0
      ? 'total unknown'
      : `total ${formatBytes(estimate.totalBytes)} in ${plural(estimated, 'query', 'queries')}, ${aboutUsd(estimate.totalUsd)} at ${formatUsd(estimate.usdPerTib)}/TiB on demand`;
  const last = own.length > 1 ? `, and ${own.at(-1)}` : '';
  lines.push(
    `  ${total}${own.length > 0 ? `; not estimated: ${own.slice(0, own.length > 1 ? -1 : 1).join(', ')}${last}` : ''}`,
  );
  return lines;
}
