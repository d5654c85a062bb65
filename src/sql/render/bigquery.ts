import type { IsoDate } from '../../dates.js';
import {
  assertDataset,
  assertPlainName,
  assertProjectId,
  assertTableName,
} from '../../warehouse/identifiers.js';
import type { TableRef } from '../../warehouse/warehouse.js';
import type { NamedSelect, SqlDialect } from '../dialect.js';

/**
 * The BigQuery renderer: GoogleSQL as BigQuery runs it. metric-hub config SQL is already
 * BigQuery SQL and passes through unchanged; `mozfun.*` UDFs are called as BigQuery knows them
 * (the public `mozfun` project). Names contrail makes are validated before they are quoted, and
 * every value contrail puts into SQL is a validated identifier, date or slug rendered as an
 * escaped literal, so a plan is self-contained SQL that runs as written.
 */
export interface BigQueryDialectOptions {
  /** Project holding contrail's datasets; omitted, tables are `dataset.table` in the job's project. */
  project?: string | null;
  /** Project of the shared Mozilla tables (jetstream's `moz-fx-data-shared-prod`). */
  sourceProject?: string;
}

export const DEFAULT_SOURCE_PROJECT = 'moz-fx-data-shared-prod';

function backticked(parts: string[]): string {
  return `\`${parts.join('.')}\``;
}

/** A GoogleSQL string literal: every character that could end or bend the literal is escaped. */
export function bigQueryString(value: string): string {
  const escaped = value.replace(/[\\'\n\r\t\0]/g, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\0':
        return '\\x00';
      default:
        return `\\${c}`;
    }
  });
  return `'${escaped}'`;
}

export function bigqueryDialect(options: BigQueryDialectOptions = {}): SqlDialect {
  const project = options.project ? assertProjectId(options.project) : null;
  const sourceProject = assertProjectId(options.sourceProject ?? DEFAULT_SOURCE_PROJECT, 'source project');
  return {
    name: 'bigquery',
    identifier: (name) => `\`${assertPlainName(name)}\``,
    table(ref: TableRef): string {
      const dataset = assertDataset(ref.dataset);
      const table = assertTableName(ref.table);
      // A dataset written `project.dataset` names its own project.
      const parts = dataset.includes('.') || project === null ? [dataset, table] : [project, dataset, table];
      return backticked(parts);
    },
    sharedTable: (dataset, table) =>
      backticked([sourceProject, assertDataset(dataset), assertTableName(table)]),
    stringLiteral: bigQueryString,
    dateLiteral: (date: IsoDate) => `DATE ${bigQueryString(date)}`,
    addDays: (dateSql, days) =>
      days === 0 ? dateSql : `DATE_${days < 0 ? 'SUB' : 'ADD'}(${dateSql}, INTERVAL ${Math.abs(days)} DAY)`,
    toDate: (sql) => `DATE(${sql})`,
    jsonValue: (sql, path) => `JSON_VALUE(${sql}, ${bigQueryString(path)})`,
    mapGetKey: (map, key) => `mozfun.map.get_key(${map}, ${key})`,
    structField: (sql, field) => `(${sql}).${assertPlainName(field, 'struct field')}`,
    anyTrue: (sql) => `COALESCE(LOGICAL_OR(${sql}), FALSE)`,
    // BigQuery casts neither BOOL to FLOAT64 nor FLOAT64 exactly through INT64, and a metric's
    // type is not known when the plan is made. Booleans become 1/0 by their JSON text; numbers
    // go through JSON's lax conversion, which keeps them exact (BigQuery's LAX_FLOAT64 takes
    // booleans too, but not every BigQuery engine does: the emulator gives NULL).
    toFloat: (sql) =>
      `CASE TO_JSON_STRING(${sql}) WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 ELSE LAX_FLOAT64(TO_JSON(${sql})) END`,
    stringRows: (values, alias, column) => {
      const rows = values.map((v, i) => `SELECT ${bigQueryString(v)}${i === 0 ? ` AS ${column}` : ''}`);
      return `(${rows.join(' UNION ALL ')}) AS ${alias}`;
    },
    typedNull: (type) => (type === 'string' ? 'CAST(NULL AS STRING)' : 'CAST(NULL AS FLOAT64)'),
    unionAllByName: (selects) => unionAllByName(selects),
    // Scaling by a power of ten instead of ROUND(x, <computed digits>), the form DuckDB itself
    // computes and one every BigQuery engine accepts; dividing for negative digits keeps
    // 123456 → 123000 exact.
    roundSignificant: (sql, digits) => {
      const k = `(${digits - 1} - CAST(FLOOR(LOG10(ABS(${sql}))) AS INT64))`;
      return (
        `CASE WHEN ${sql} = 0 OR IS_INF(${sql}) OR IS_NAN(${sql}) THEN ${sql} ` +
        `WHEN ${k} >= 0 THEN ROUND(${sql} * POW(10, ${k})) / POW(10, ${k}) ` +
        `ELSE ROUND(${sql} / POW(10, -${k})) * POW(10, -${k}) END`
      );
    },
    userSql: (fragment) => fragment,
  };
}

/**
 * BigQuery's `FULL OUTER UNION ALL BY NAME` (or `CORRESPONDING`) is not accepted by the
 * GoogleSQL analyzer or the emulator contrail is tested with, so every query selects every
 * column explicitly, in one order, with a typed NULL for a column it lacks: plain positional
 * UNION ALL, which every BigQuery engine accepts.
 */
function unionAllByName(selects: readonly NamedSelect[]): string {
  const types = new Map<string, string | null>();
  for (const { columns } of selects) {
    for (const c of columns) if (types.get(c.name) == null) types.set(c.name, c.type);
  }
  return selects
    .map(({ columns, from }) => {
      const own = new Map(columns.map((c) => [c.name, c.sql]));
      const list = [...types].map(([name, type]) => {
        const sql = own.get(name) ?? (type === null ? null : `CAST(NULL AS ${type})`);
        if (sql === null)
          throw new TypeError(`unionAllByName: column ${name} is missing from a query and has no type`);
        return `${sql} AS \`${assertPlainName(name)}\``;
      });
      return `SELECT ${list.join(', ')}\n${from}`;
    })
    .join('\nUNION ALL\n');
}
