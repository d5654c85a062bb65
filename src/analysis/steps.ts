import type { IsoDate } from '../dates.js';
import { ContrailError, StepsFailedError } from '../errors.js';
import { enrollmentsTableName } from '../sql/names.js';
import type { WindowPlan } from '../sql/plan/analysis.js';
import { planEnrollments } from '../sql/plan/enrollments.js';
import { planPopulationSample } from '../sql/plan/population.js';
import { rowCountSql } from '../sql/plan/reads.js';
import type { PlannedQuery } from '../sql/plan/types.js';
import { runPlannedQuery } from '../sql/run.js';
import { anchorLabels } from '../versions/anchor.js';
import { WarehouseUnavailableError } from '../warehouse/errors.js';
import type { AnalysisContext } from './context.js';
import { InvalidInputError } from './errors.js';
import type { QueryRun, TableSummary } from './results.js';

/** A query's time and bytes as the summaries report them. */
export function queryRun(
  table: string,
  result: { elapsedMs: number; bytesProcessed: number | null; bytesBilled?: number | null },
): QueryRun {
  return {
    table,
    elapsedMs: result.elapsedMs,
    bytesProcessed: result.bytesProcessed,
    // Only where the warehouse bills (BigQuery): the summaries of the embedded warehouse stay as they were.
    ...(result.bytesBilled == null ? {} : { bytesBilled: result.bytesBilled }),
  };
}

/**
 * The warehouse steps of an analysis before statistics: enrollments (or a preview's random
 * population in their place) and one window's metrics tables.
 */

/**
 * Creates `enrollments_<slug>` unless it exists (or `recreate`): jetstream keeps an existing
 * enrollments table, whose creation anchors the version pin. The table is labelled with the
 * anchor (`now`) when it is created and never relabelled here, so a later daily run leaves
 * the experiment's pin where it is.
 */
export async function ensureEnrollments(
  ctx: AnalysisContext,
  date: IsoDate,
  recreate: boolean,
  now: Date,
): Promise<TableSummary & { created: boolean }> {
  const { spec, warehouse } = ctx;
  const ref = { dataset: ctx.dataset, table: enrollmentsTableName(spec.experiment.slug) };
  await warehouse.createDataset(ctx.dataset);
  if (!recreate && (await warehouse.tableExists(ref))) {
    const counted = await warehouse.query<{ n: number }>(rowCountSql(warehouse.sqlDialect, ref));
    return { table: ref.table, rows: Number(counted[0]?.n ?? 0), created: false };
  }
  if (spec.experiment.startDate !== null && date < spec.experiment.startDate) {
    throw new InvalidInputError(
      `${spec.experiment.slug} starts ${spec.experiment.startDate}: no enrollments on ${date}`,
    );
  }
  const planned = planEnrollments({ spec, dataset: ctx.dataset, dialect: warehouse.sqlDialect });
  const result = await runPlannedQuery(warehouse, planned, {
    labels: { ...ctx.labels, ...anchorLabels(now) },
    ...ctx.progress.job(`enrollments ${spec.experiment.slug}`),
  });
  return { table: ref.table, rows: result.rows, created: true, queries: [queryRun(ref.table, result)] };
}

/**
 * A preview without enrollments: a random population from the telemetry as enrolled clients.
 * jetstream preview's population sample size defaults to 1 % of clients.
 */
export async function buildPopulation(
  ctx: AnalysisContext,
  date: IsoDate,
  sampleSize: number | null,
): Promise<TableSummary> {
  const { spec, warehouse } = ctx;
  await warehouse.createDataset(ctx.dataset);
  const planned = planPopulationSample(
    { spec, dataset: ctx.dataset, dialect: warehouse.sqlDialect },
    { date, sampleSize: sampleSize ?? spec.sampleSize ?? 1 },
  );
  const result = await runPlannedQuery(warehouse, planned, {
    labels: ctx.labels,
    ...ctx.progress.job(`population sample ${spec.experiment.slug}`),
  });
  return {
    table: planned.destination.table,
    rows: result.rows,
    queries: [queryRun(planned.destination.table, result)],
  };
}

/**
 * Every metrics table of one window: scans first (each basis's metrics table is split from its
 * data source's scan). A scan that fails on the config or data does not stop the other data
 * sources' scans: they all run, and every such failure is raised together before any split.
 */
export async function computeWindowMetrics(
  ctx: AnalysisContext,
  windowPlan: WindowPlan,
): Promise<TableSummary[]> {
  const summaries: TableSummary[] = [];
  const failures: ContrailError[] = [];
  for (const planned of windowPlan.metricsScans) {
    try {
      summaries.push(await runMetricsQuery(ctx, planned));
    } catch (error) {
      // A transient failure retries the whole step anyway; only permanent ones are gathered. A
      // warehouse that is unavailable (its disk full or read-only) fails every scan alike.
      if (!(error instanceof ContrailError && error.permanent) || error instanceof WarehouseUnavailableError)
        throw error;
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    const failure =
      failures.length === 1 ? (failures[0] as ContrailError) : new StepsFailedError(failures, 'metrics scan');
    throw withQueriesRun(failure, summaries);
  }
  for (const planned of windowPlan.metrics) summaries.push(await runMetricsQuery(ctx, planned));
  return summaries;
}

/**
 * `error` with the queries of `ran` in its details (`queriesRun`): the other data sources' scans
 * of a window ran to the end although one failed, and a preview says so per query.
 */
function withQueriesRun(error: ContrailError, ran: TableSummary[]): ContrailError {
  const queries = ran.flatMap((s) => s.queries ?? []);
  if (queries.length === 0) return error;
  const carried = new ContrailError(error.message, {
    permanent: error.permanent,
    details: { ...error.details, queriesRun: queries },
    cause: error,
  });
  carried.name = error.name;
  // The same error, saying more: raised where the query failed (the logs table's `filename`,
  // `func_name`), not here.
  if (error.stack) carried.stack = error.stack;
  return carried;
}

async function runMetricsQuery(ctx: AnalysisContext, planned: PlannedQuery): Promise<TableSummary> {
  ctx.progress.step(planned.destination.table);
  const table = ctx.results.published(planned.destination.table);
  const result = await runPlannedQuery(ctx.warehouse, planned, {
    labels: ctx.labels,
    expirationDays: ctx.results.expirationDays(planned.destination.table),
    table,
    ...ctx.progress.job(planned.destination.table),
  });
  return { table, rows: result.rows, queries: [queryRun(table, result)] };
}
