import type { IsoDate } from '../../dates.js';
import type { TableRef } from '../../warehouse/table-ref.js';
import type { SqlDialect } from '../dialect.js';
import { appDataset, dataSourceFor, fromExpression } from './common.js';
import type { PlanContext } from './types.js';

/**
 * The small reads contrail makes of its own tables (counts, statistic inputs, logs, exports) and
 * of a data source (which dates it holds): their results come back to the process, so each
 * returns a few rows or a few thousand at most.
 */

/** `n`: the table's row count. */
export function rowCountSql(d: SqlDialect, table: TableRef): string {
  return `SELECT COUNT(*) AS n FROM ${d.table(table)}`;
}

/** `branch, n`: enrolled clients per branch of an enrollments table (the sample ratio check). */
export function enrollmentsPerBranchSql(d: SqlDialect, enrollments: TableRef): string {
  return `SELECT branch, COUNT(*) AS n FROM ${d.table(enrollments)} GROUP BY branch`;
}

/**
 * An experiment's rows of a logs table (every column: older tables lack the newer ones), in no
 * order: the errors export orders its entries itself (`exportOrder`), by columns such a table
 * may lack.
 */
export function experimentLogsSql(d: SqlDialect, logs: TableRef, slug: string): string {
  return `SELECT *
FROM ${d.table(logs)}
WHERE experiment = ${d.stringLiteral(slug)}`;
}

/** Removes one experiment's rows from a dataset-wide table (a preview's `query_costs`, before its new rows). */
export function deleteExperimentRowsSql(d: SqlDialect, table: TableRef, slug: string): string {
  return `DELETE FROM ${d.table(table)} WHERE experiment = ${d.stringLiteral(slug)}`;
}

/** A statistics view in the order its JSON export lists rows (stable across runs). */
export function statisticsExportSql(d: SqlDialect, view: TableRef): string {
  return `SELECT * FROM ${d.table(view)} ORDER BY window_index, metric, statistic, segment, analysis_basis, branch, comparison, comparison_to_branch, parameter`;
}

/** `answer` = 42: one round trip that proves the warehouse answers queries. */
export function roundTripSql(): string {
  return 'SELECT 6 * 7 AS answer';
}

/**
 * Which dates a data source holds and how many of its rows fall in `dates`: a preview on a
 * warehouse whose telemetry ends before the previewed dates says so, naming the dates it has.
 * Reads the whole date column: run only where that costs nothing (the embedded warehouse).
 */
export function telemetryCoverageSql(
  ctx: PlanContext,
  dataSource: string,
  dates: { first: IsoDate; last: IsoDate },
): string {
  const { dialect: d } = ctx;
  const ds = dataSourceFor(ctx, dataSource, `data source ${dataSource}`);
  const column = `ds.${d.userSql(ds.submissionDateColumn)}`;
  return `SELECT MIN(${column}) AS first, MAX(${column}) AS last,
  COUNT(CASE WHEN ${column} BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)} THEN 1 END) AS in_range
FROM ${fromExpression(ctx, ds, appDataset(ctx.spec))} ds`;
}
