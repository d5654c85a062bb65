/**
 * The names both sides of the dialect boundary share: which SQL a warehouse speaks, and a
 * table contrail writes. Kept apart from the Warehouse interface so that the SQL renderers can
 * name them without depending on the adapters that use the renderers.
 */
export type Dialect = 'duckdb' | 'bigquery';

/** A table contrail writes: dataset (schema) + table name. Both validated identifiers. */
export interface TableRef {
  dataset: string;
  table: string;
}
