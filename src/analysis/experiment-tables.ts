import { ANALYSIS_PERIODS, type AnalysisPeriod } from '../config/periods.js';
import { ANALYSIS_BASES, type AnalysisBasis, type AnalysisSpec } from '../config/spec.js';
import { addDays, type IsoDate } from '../dates.js';
import {
  enrollmentsTableName,
  legacyMetricsScanTableName,
  mayBeAnothersScan,
  metricsScanTableName,
  metricsTableName,
  metricsViewName,
  statisticInputsTableName,
  statisticsTableName,
  statisticsViewName,
} from '../sql/names.js';
import { basesFor, metricsByDataSource } from '../sql/plan/metrics.js';
import { deleteExperimentRowsSql } from '../sql/plan/reads.js';
import { type AnalysisWindow, windowsThrough } from '../sql/windows.js';
import type { TableRef, Warehouse } from '../warehouse/warehouse.js';
import { LOGS_TABLE } from './logs.js';
import { QUERY_COSTS_TABLE } from './query-costs.js';

/**
 * Every table and view contrail writes for one experiment, as data: derived from the spec and
 * the windows that can have completed, named by src/sql/names.ts exactly as the queries that
 * write them name them. What an experiment owns is therefore never guessed from table names
 * (no slug that is a prefix of another can claim the other's tables); what exists is this
 * list met with the dataset's tables.
 */

/** A metrics table (one data source, one basis, one window) and the metric columns it holds. */
export interface MetricsTable {
  ref: TableRef;
  basis: AnalysisBasis;
  dataSource: string;
  metricColumns: string[];
}

/** The tables of one analysis window. */
export interface WindowTables {
  window: AnalysisWindow;
  statistics: TableRef;
  metrics: MetricsTable[];
  /** contrail's own intermediate tables: one scan per data source, one statistic-inputs table per metrics table. */
  intermediate: TableRef[];
  /**
   * Each scan under the name older builds gave it, read by the per-basis views those builds
   * published; such a name may be another experiment's scan as well.
   */
  legacyScans: TableRef[];
}

export interface ExperimentTables {
  /** The experiment's slug. */
  slug: string;
  enrollments: TableRef;
  /** Oldest first within each period, periods in ANALYSIS_PERIODS order. */
  windows: WindowTables[];
  /** jetstream's views, one per period (statistics) and per period and basis (metrics). */
  views: {
    statistics: { period: AnalysisPeriod; ref: TableRef }[];
    metrics: { period: AnalysisPeriod; basis: AnalysisBasis; ref: TableRef }[];
  };
}

/**
 * The last date whose windows an experiment's tables can hold: the day after its end date
 * (the overall window's date) when it has one, else `today`.
 */
export function lastTableDate(spec: AnalysisSpec, today: IsoDate): IsoDate {
  const end = spec.experiment.endDate;
  return end === null ? today : addDays(end, 1);
}

/**
 * The tables and views of `spec`'s experiment in `dataset` for every window completed by
 * `through`, of every period or of `periods`.
 */
export function experimentTables(
  spec: AnalysisSpec,
  dataset: string,
  through: IsoDate,
  periods: readonly AnalysisPeriod[] = ANALYSIS_PERIODS,
): ExperimentTables {
  const slug = spec.experiment.slug;
  const ref = (table: string): TableRef => ({ dataset, table });
  const windows = windowsThrough(spec, through, periods).map((window): WindowTables => {
    const { period, windowIndex } = window;
    const metrics: MetricsTable[] = [];
    const intermediate: TableRef[] = [];
    const legacyScans: TableRef[] = [];
    const dataSources = new Set<string>();
    for (const basis of basesFor(spec, window)) {
      for (const [dataSource, list] of metricsByDataSource(spec, window, basis)) {
        dataSources.add(dataSource);
        metrics.push({
          ref: ref(metricsTableName(slug, basis, dataSource, period, windowIndex)),
          basis,
          dataSource,
          metricColumns: list.map((m) => m.name),
        });
        intermediate.push(ref(statisticInputsTableName(slug, basis, dataSource, period, windowIndex)));
      }
    }
    for (const dataSource of dataSources) {
      intermediate.push(ref(metricsScanTableName(slug, dataSource, period, windowIndex)));
      legacyScans.push(ref(legacyMetricsScanTableName(slug, dataSource, period, windowIndex)));
    }
    return {
      window,
      statistics: ref(statisticsTableName(slug, period, windowIndex)),
      metrics,
      intermediate,
      legacyScans,
    };
  });
  return {
    slug,
    enrollments: ref(enrollmentsTableName(slug)),
    windows,
    views: {
      statistics: periods.map((period) => ({ period, ref: ref(statisticsViewName(slug, period)) })),
      metrics: periods.flatMap((period) =>
        ANALYSIS_BASES.map((basis) => ({ period, basis, ref: ref(metricsViewName(slug, basis, period)) })),
      ),
    },
  };
}

/** Names of the tables and views of a dataset (one listing, so that existence checks cost no query each). */
export async function existingTables(warehouse: Warehouse, dataset: string): Promise<Set<string>> {
  return new Set((await warehouse.listTables(dataset, '')).map((t) => t.ref.table));
}

/**
 * Drops the experiment's views, then its tables (the views read them), keeping the enrollments
 * table when asked (it anchors the version pin). The dataset's logs table is never the
 * experiment's, nor a scan of the older naming that may be another experiment's
 * (`mayBeAnothersScan`). Returns the names dropped, views first, each group in name order.
 */
export async function dropExperimentTables(
  warehouse: Warehouse,
  tables: ExperimentTables,
  options: { keepEnrollments: boolean; keep?: readonly string[] },
): Promise<{ dropped: string[] }> {
  const dataset = tables.enrollments.dataset;
  const existing = await existingTables(warehouse, dataset);
  const anothers = mayBeAnothersScan(tables.slug, existing);
  const present = (refs: TableRef[]) =>
    [...new Set(refs.map((r) => r.table))].filter((t) => existing.has(t)).sort();
  const views = present([...tables.views.statistics, ...tables.views.metrics].map((v) => v.ref));
  const owned = present([
    ...(options.keepEnrollments ? [] : [tables.enrollments]),
    ...tables.windows.flatMap((w) => [
      w.statistics,
      ...w.metrics.map((m) => m.ref),
      ...w.intermediate,
      ...w.legacyScans.filter((r) => !anothers(r.table)),
    ]),
  ]);
  const keep = new Set(options.keep ?? []);
  const dropped = [...views, ...owned].filter((t) => !keep.has(t));
  for (const table of dropped) await warehouse.dropTable({ dataset, table });
  return { dropped };
}

/**
 * Removes the experiment's rows from the dataset-wide tables a run appends to (its logs and,
 * for a preview, its query costs), so that a preview that starts over shows none of an
 * earlier one's warnings or costs beside its own results.
 */
export async function forgetExperimentRows(
  warehouse: Warehouse,
  dataset: string,
  slug: string,
): Promise<void> {
  const existing = await existingTables(warehouse, dataset);
  for (const table of [LOGS_TABLE, QUERY_COSTS_TABLE]) {
    if (existing.has(table))
      await warehouse.execute(deleteExperimentRowsSql(warehouse.sqlDialect, { dataset, table }, slug));
  }
}
