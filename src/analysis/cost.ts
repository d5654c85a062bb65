import { mapBoundedUntilFailure } from '../concurrency.js';
import { type IsoDate, isoDate } from '../dates.js';
import { type ErrorSubject, isPermanent } from '../errors.js';
import {
  billedAsRun,
  DRY_RUNS_AT_ONCE,
  type Inlined,
  inlinedEnrollments,
  plannedLine,
  scanOwnBytes,
  withEnrollmentsInlined,
} from '../sql/dry-run.js';
import { planPopulationSample } from '../sql/plan/population.js';
import { telemetryCoverageSql } from '../sql/plan/reads.js';
import { type PlannedQuery, type PlannedQueryKind, PUBLISHED_NAMES } from '../sql/plan/types.js';
import { querySubjects } from '../sql/run.js';
import { dataDateRange } from '../sql/windows.js';
import { BILLED_MINIMUM_BYTES, ON_DEMAND_USD_PER_TIB, onDemandCostUsd } from '../warehouse/cost.js';
import { missingTableIn, WarehouseQueryError, warehouseMessageOf } from '../warehouse/errors.js';
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
  /** What the query would scan. */
  bytes: number | null;
  /**
   * What BigQuery would bill for it: the bytes with its minimums (billedBytes). Absent from an
   * estimate made before the minimums were counted: its bytes stand for it (billedOf).
   */
  billed?: number | null;
  /** Why the warehouse could not estimate it: it rejects the SQL (the run reports that error where it belongs). */
  rejected?: string;
  /** For a rejected query: the config items it is about (file, key, line) and what the warehouse said. */
  subjects?: ErrorSubject[];
}

export interface CostEstimate {
  method: CostEstimateMethod;
  queries: QueryEstimate[];
  /** What the estimated queries would scan. */
  totalBytes: number;
  /**
   * What the preview would be billed: the estimated queries' `billed`, and BigQuery's 10 MB
   * minimum for each query that reads only the preview's own tables. What `--max_bytes` is
   * compared with. Absent from an estimate made before it was kept (totalBilledOf).
   */
  totalBilledBytes?: number;
  usdPerTib: number;
  /** Dollars of what would be billed. */
  totalUsd: number;
  /** Queries of the run that read only its own tables (not dry-run: their tables do not exist yet). */
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
  // The tables each query references, where the warehouse says (by the query's place in `estimated`).
  const tablesOf = new Map<number, string[]>();
  const estimate = async ({ date, planned, inlined }: Estimated, at: number): Promise<QueryEstimate> => {
    const sql = withEnrollmentsInlined(planned.sql, inlined);
    let result: Awaited<ReturnType<Warehouse['dryRun']>>;
    try {
      result = await warehouse.dryRun(sql);
    } catch (error) {
      // A warehouse without any telemetry leaves none of the preview able to run, whatever its
      // config: said once, before anything runs, instead of once per query and date.
      const missing = missingTableIn(error);
      if (missing?.noTelemetry) throw error;
      // SQL the warehouse rejects, a table it lacks included, is noted with the config items it
      // is about: BigQuery's dry run refuses the preview on it (`checkRejected`), and so does the
      // embedded warehouse when it is the enrollments query, which every date reads (a segment's
      // data source, the enrollment query: the author edits that item, so the refusal names it);
      // otherwise the embedded run goes on, so that the error is reported with every other
      // error of the preview.
      if (!isPermanent(error)) throw error;
      // A missing table's first line goes on to the remedies, said once with its config item:
      // each of the estimate's lines names the table only.
      const reason =
        missing !== null
          ? `warehouse query failed: table ${missing.table} not found`
          : error instanceof Error
            ? error.message.split('\n')[0]
            : String(error);
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
    if (result.referencedTables !== undefined) tablesOf.set(at, result.referencedTables);
    return { date, table: planned.destination.table, kind: planned.kind, bytes: result.bytesProcessed };
  };
  // Every query to estimate, in the order of the preview; then estimated a few at once (on
  // BigQuery each is a dry run, a request; one after another they held the preview's start).
  const estimated: Estimated[] = [];
  // Where the enrollments query is among them (-1: not yet): the scans are counted without it.
  let enrollmentsAt = -1;
  // The dates each data source is read on, over every previewed window.
  const read = new Map<string, { first: IsoDate; last: IsoDate }>();
  // A config that says skip = true has nothing due on any date (dueWork): the preview runs no
  // query, a generated population's included, so none is estimated either.
  for (const date of target.spec.skip ? [] : options.dates) {
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
  const enrollmentsTables = tablesOf.get(enrollmentsAt);
  queries.push(
    ...answers.map((answer, i) => {
      if (answer.bytes === null) return answer;
      const { planned, inlined } = estimated[i] as Estimated;
      const tables = tablesOf.get(i);
      const bytes = scanOwnBytes(answer.bytes, planned.sql, inlined, enrollmentsBytes);
      return { ...answer, bytes, billed: billedAsRun(bytes, tables, inlined, enrollmentsTables) };
    }),
  );
  const totalBytes = queries.reduce((sum, q) => sum + (q.bytes ?? 0), 0);
  // The queries that read only the run's own tables are billed too: at least BigQuery's minimum
  // each, which is what a preview of many small windows mostly costs.
  const totalBilledBytes =
    queries.reduce((sum, q) => sum + (q.billed ?? 0), 0) + ownTableQueries * BILLED_MINIMUM_BYTES;
  // Reading a data source's whole date column is free on the embedded warehouse only.
  const noTelemetry = warehouse.dialect === 'bigquery' ? null : await telemetryGap(warehouse, target, read);
  return {
    method: method ?? (warehouse.dialect === 'bigquery' ? 'dry_run' : 'column_sizes'),
    queries,
    totalBytes,
    totalBilledBytes,
    usdPerTib,
    totalUsd: onDemandCostUsd(totalBilledBytes, usdPerTib),
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
