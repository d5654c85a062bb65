import type { TableRef } from '../../warehouse/table-ref.js';
import type { SqlDialect } from '../dialect.js';

/**
 * jetstream's views over the per-window tables, which its consumers read: one view per period
 * stacks the windows. Rendered per dialect like every query; which tables they cover is the
 * caller's (the experiment's tables that exist).
 */

/**
 * `statistics_<slug>_<suffix>`: every window's statistics table of the period. The tables carry
 * window_index already (jetstream's view parses it from the table suffix).
 */
export function statisticsViewSql(d: SqlDialect, view: TableRef, tables: readonly TableRef[]): string {
  const selects = tables.map((table) => `SELECT * FROM ${d.table(table)}`);
  return `CREATE OR REPLACE VIEW ${d.table(view)} AS\n${selects.join('\nUNION ALL\n')}`;
}

/** One window of a metrics view: its data sources' metrics tables, each with its metric columns. */
export interface MetricsViewWindow {
  windowIndex: number;
  tables: readonly [MetricsViewTable, ...MetricsViewTable[]];
}

export interface MetricsViewTable {
  ref: TableRef;
  metricColumns: readonly string[];
}

/**
 * `<slug>_<basis>_<suffix>`: per window, the data sources' metrics tables joined on the client
 * (each has one row per enrolled client of the basis), with window_index; the windows stacked.
 */
export function metricsViewSql(d: SqlDialect, view: TableRef, windows: readonly MetricsViewWindow[]): string {
  const selects = windows.map(({ windowIndex, tables }) => {
    const [first, ...rest] = tables;
    const columns = [
      't0.*',
      ...rest.flatMap((t, i) => t.metricColumns.map((c) => `t${i + 1}.${d.identifier(c)}`)),
    ];
    const joins = rest.map((t, i) => `LEFT JOIN ${d.table(t.ref)} t${i + 1} USING (analysis_id, branch)`);
    return `SELECT ${columns.join(', ')}, ${windowIndex} AS window_index\nFROM ${d.table(first.ref)} t0${joins.map((j) => `\n${j}`).join('')}`;
  });
  return `CREATE OR REPLACE VIEW ${d.table(view)} AS\n${selects.join('\nUNION ALL\n')}`;
}
