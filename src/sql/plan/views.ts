import type { TableColumn, TableRef } from '../../warehouse/warehouse.js';
import type { NamedColumn, NamedSelect, SqlDialect } from '../dialect.js';

/**
 * jetstream's views over the per-window tables, which its consumers read: one view per period
 * stacks the windows. Rendered per dialect like every query; which tables they cover is the
 * caller's (the experiment's tables that exist, with their columns as the warehouse has them).
 * The windows are stacked by column name: a window computed by another config or version may
 * lack a column (NULL in its rows, as jetstream's wildcard tables give) or hold them in another
 * order.
 */

/** A table a view reads, with its columns as the warehouse has them. */
export interface ViewTable {
  ref: TableRef;
  columns: readonly TableColumn[];
}

/**
 * `statistics_<slug>_<suffix>`: every window's statistics table of the period. The tables carry
 * window_index already (jetstream's view parses it from the table suffix).
 */
export function statisticsViewSql(
  d: SqlDialect,
  view: TableRef,
  tables: readonly [ViewTable, ...ViewTable[]],
): string {
  const [first, ...rest] = tables.map(
    (table): NamedSelect => ({
      columns: table.columns.map((c) => column(d, null, c)),
      from: `FROM ${d.table(table.ref)}`,
    }),
  ) as [NamedSelect, ...NamedSelect[]];
  return `CREATE OR REPLACE VIEW ${d.table(view)} AS\n${d.unionAllByName([first, ...rest])}`;
}

/** One window of a metrics view: its data sources' metrics tables, each with its metric columns. */
export interface MetricsViewWindow {
  windowIndex: number;
  tables: readonly [MetricsViewTable, ...MetricsViewTable[]];
}

export interface MetricsViewTable extends ViewTable {
  /** The columns the view takes from a table joined to the first (its metrics). */
  metricColumns: readonly string[];
}

/**
 * `<slug>_<basis>_<suffix>`: per window, the data sources' metrics tables joined on the client
 * (each has one row per enrolled client of the basis), with window_index; the windows stacked.
 * A joined table gives the metrics of the config it has (a metric its window's table lacks is
 * NULL through the stacking when another window has it).
 */
export function metricsViewSql(
  d: SqlDialect,
  view: TableRef,
  windows: readonly [MetricsViewWindow, ...MetricsViewWindow[]],
): string {
  const [first, ...rest] = windows.map(({ windowIndex, tables }): NamedSelect => {
    const [t0, ...joined] = tables;
    const columns = t0.columns.map((c) => column(d, 't0', c));
    joined.forEach((t, i) => {
      const wanted = new Set(t.metricColumns);
      for (const c of t.columns) {
        if (wanted.has(c.name) && !columns.some((taken) => taken.name === c.name))
          columns.push(column(d, `t${i + 1}`, c));
      }
    });
    // Every window selects it: no NULL of it is ever needed.
    columns.push({ name: 'window_index', sql: String(windowIndex), type: null });
    const joins = joined.map((t, i) => `LEFT JOIN ${d.table(t.ref)} t${i + 1} USING (analysis_id, branch)`);
    return { columns, from: `FROM ${d.table(t0.ref)} t0${joins.map((j) => `\n${j}`).join('')}` };
  }) as [NamedSelect, ...NamedSelect[]];
  return `CREATE OR REPLACE VIEW ${d.table(view)} AS\n${d.unionAllByName([first, ...rest])}`;
}

function column(d: SqlDialect, alias: string | null, c: TableColumn): NamedColumn {
  return { name: c.name, sql: `${alias === null ? '' : `${alias}.`}${d.identifier(c.name)}`, type: c.type };
}
