import type { IsoDate } from '../dates.js';
import type { Dialect, TableRef } from '../warehouse/table-ref.js';

/**
 * Everything that differs between warehouses' SQL, and nothing else. Query templates in
 * `src/sql/plan` are written once against this interface; `src/sql/render/<dialect>.ts` implements it.
 * Expression arguments are already-rendered SQL text.
 */
export interface SqlDialect {
  readonly name: Dialect;
  /** Quote an identifier contrail made (already validated). */
  identifier(name: string): string;
  /** A table contrail writes (enrollments, metrics, statistic inputs). */
  table(ref: TableRef): string;
  /** A shared Mozilla table, named as BigQuery's `moz-fx-data-shared-prod.<dataset>.<table>`. */
  sharedTable(dataset: string, table: string): string;
  stringLiteral(value: string): string;
  dateLiteral(date: IsoDate): string;
  /** A DATE plus a whole number of days, still a DATE. */
  addDays(dateSql: string, days: number): string;
  /** The calendar date of a TIMESTAMP. */
  toDate(timestampSql: string): string;
  /** Scalar string at a JSON path (BigQuery JSON_VALUE). */
  jsonValue(jsonSql: string, path: string): string;
  /** mozfun.map.get_key over a repeated key/value struct. */
  mapGetKey(mapSql: string, keySql: string): string;
  /** A field of a STRUCT-valued expression. */
  structField(structSql: string, field: string): string;
  /** Boolean "any" over a group, false when there are no rows (mozanalysis agg_any). */
  anyTrue(conditionSql: string): string;
  /** To a double-precision float (booleans become 0/1). */
  toFloat(sql: string): string;
  /** A FROM item with one string column `column` and one row per value, aliased `alias`. */
  stringRows(values: readonly string[], alias: string, column: string): string;
  /** A NULL of a given type (so UNION ALL branches agree). */
  typedNull(type: 'string' | 'float'): string;
  /**
   * The queries stacked by column name (UNION ALL), columns in the order they first appear: a
   * column a query lacks is a NULL of the type another query gives it. Windows' tables written
   * by different configs or versions differ in their columns; stacked by position they would
   * fail or, worse, put one column's values under another's name.
   */
  unionAllByName(selects: readonly [NamedSelect, ...NamedSelect[]]): string;
  /** Round to `digits` significant digits (0 stays 0). */
  roundSignificant(sql: string, digits: number): string;
  /**
   * A config SQL fragment (select/from expression, custom query), written in BigQuery SQL as
   * metric-hub is: returned as this dialect must see it. Identity for BigQuery.
   */
  userSql(fragment: string): string;
}

/** One query of a stack by name: its output columns and the rest of it (`FROM …`). */
export interface NamedSelect {
  columns: readonly NamedColumn[];
  from: string;
}

/**
 * An output column: already-rendered SQL, the name it is selected as, and its type in the
 * dialect's SQL (null for a column every query selects: no NULL of it is needed).
 */
export interface NamedColumn {
  name: string;
  sql: string;
  type: string | null;
}
