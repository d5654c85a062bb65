import type { Dialect } from '../../warehouse/warehouse.js';
import type { SqlDialect } from '../dialect.js';
import { type BigQueryDialectOptions, bigqueryDialect } from './bigquery.js';
import { duckdbDialect } from './duckdb.js';

/** The renderer of a warehouse's SQL by name (`contrail plan --dialect`). */
export function sqlDialect(name: Dialect, options: { bigquery?: BigQueryDialectOptions } = {}): SqlDialect {
  return name === 'bigquery' ? bigqueryDialect(options.bigquery) : duckdbDialect();
}
