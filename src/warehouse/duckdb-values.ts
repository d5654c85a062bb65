import {
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBDateValue,
  type DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  type JS,
  JSDuckDBValueConverter,
} from '@duckdb/node-api';
import { assertPlainName } from './identifiers.js';
import type { ColumnType, WriteRowsOptions } from './warehouse.js';

/** A value as `Warehouse.query` returns it: JSON-friendly, no BigInt, no Date objects. */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

/** BigInts become numbers when exact, else decimal strings (never silently rounded). */
function plainInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

function isoFromMicros(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString();
}

/**
 * DuckDB's JS converter with the four types plain JSON cannot carry replaced: integers wider
 * than 32 bits, DATE (→ 'YYYY-MM-DD'), TIMESTAMP/TIMESTAMPTZ (→ ISO 8601, millisecond precision).
 * Nested values (lists, structs) recurse through this converter too.
 */
export const plainValueConverter: DuckDBValueConverter<PlainValue> = (
  value: DuckDBValue,
  type: DuckDBType,
  converter: DuckDBValueConverter<PlainValue>,
): PlainValue => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return plainInteger(value as bigint);
    case DuckDBTypeId.DATE:
      return (value as DuckDBDateValue).toString();
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return isoFromMicros((value as DuckDBTimestampValue).micros);
    default: {
      // The stock converter handles everything else; it calls back into `converter` for children.
      const js = JSDuckDBValueConverter(value, type, converter as unknown as DuckDBValueConverter<JS>);
      if (typeof js === 'bigint') return plainInteger(js);
      if (js instanceof Date) return js.toISOString();
      return js as PlainValue;
    }
  }
};

/** DuckDB column types for the `ColumnType`s contrail writes itself. */
export const DUCKDB_COLUMN_TYPES: Record<ColumnType, { sql: string; bind: string }> = {
  STRING: { sql: 'VARCHAR', bind: 'VARCHAR' },
  FLOAT64: { sql: 'DOUBLE', bind: 'DOUBLE' },
  INT64: { sql: 'BIGINT', bind: 'BIGINT' },
  BOOL: { sql: 'BOOLEAN', bind: 'BOOLEAN' },
  // Bound as text and cast in SQL: dates travel as 'YYYY-MM-DD', timestamps as ISO strings.
  DATE: { sql: 'DATE', bind: 'VARCHAR' },
  TIMESTAMP: { sql: 'TIMESTAMP', bind: 'VARCHAR' },
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Checks one value against its declared column type and turns it into what the prepared
 * statement binds. Throws a message naming the row and column (bad input never half-writes).
 */
export function bindValue(value: unknown, type: ColumnType, where: string): DuckDBValue {
  if (value === null || value === undefined) return null;
  const fail = (expected: string): never => {
    throw new TypeError(`${where}: expected ${expected} for a ${type} column, got ${JSON.stringify(value)}`);
  };
  switch (type) {
    case 'STRING':
      return typeof value === 'string' ? value : fail('a string');
    case 'FLOAT64':
      return typeof value === 'number' ? value : fail('a number');
    case 'INT64':
      if (typeof value === 'bigint') return value;
      return typeof value === 'number' && Number.isSafeInteger(value)
        ? BigInt(value)
        : fail('a safe integer');
    case 'BOOL':
      return typeof value === 'boolean' ? value : fail('a boolean');
    case 'DATE':
      return typeof value === 'string' && ISO_DATE.test(value) ? value : fail("a 'YYYY-MM-DD' string");
    case 'TIMESTAMP':
      if (value instanceof Date) return value.toISOString();
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
        ? value
        : fail('an ISO timestamp string or Date');
  }
}

/** Rows checked against their columns and ready to append. */
export interface BoundRows {
  rows: DuckDBValue[][];
  /**
   * Appends the rows to `table` in `catalog`'s `schema`, whose columns are those of the rows, in
   * order, with the bind types (dates and timestamps as text): DuckDB's appender takes values
   * without parsing or planning a statement. Bound parameters, 256 rows to an INSERT, took
   * about two seconds for a window's 4,500 statistics rows, and the appender takes 50 ms.
   */
  appendTo(connection: DuckDBConnection, table: string, schema: string, catalog: string): Promise<void>;
  /** A table of the bind types that `appendTo` can fill (dates and timestamps as VARCHAR). */
  bindColumnsSql(quote: (name: string) => string): string;
  /** The row values as the target columns' types: dates and timestamps cast from their text. */
  selectSql(quote: (name: string) => string): string;
}

/** Appends one checked value as its column's bind type. */
function appendValue(appender: DuckDBAppender, value: DuckDBValue, type: ColumnType): void {
  if (value === null) appender.appendNull();
  else if (type === 'FLOAT64') appender.appendDouble(value as number);
  else if (type === 'INT64') appender.appendBigInt(value as bigint);
  else if (type === 'BOOL') appender.appendBoolean(value as boolean);
  else appender.appendVarchar(value as string);
}

/**
 * Checks the columns and every row of a `writeRows` call before anything touches the warehouse
 * (bad input writes nothing), converting each value to what the appender takes.
 */
export function bindRows(columns: WriteRowsOptions['columns'], rows: WriteRowsOptions['rows']): BoundRows {
  if (columns.length === 0) throw new TypeError('writeRows: columns must name at least one column');
  const names = new Set<string>();
  for (const column of columns) {
    assertPlainName(column.name);
    if (names.has(column.name)) throw new TypeError(`writeRows: column ${column.name} is listed twice`);
    if (!(column.type in DUCKDB_COLUMN_TYPES)) {
      throw new TypeError(
        `writeRows: column ${column.name} has type ${JSON.stringify(column.type)}; valid: ${Object.keys(DUCKDB_COLUMN_TYPES).join(', ')}`,
      );
    }
    names.add(column.name);
  }
  const bound = rows.map((row, index) => {
    for (const key of Object.keys(row)) {
      if (!names.has(key))
        throw new TypeError(`writeRows: row ${index} has unknown column ${JSON.stringify(key)}`);
    }
    return columns.map((column) =>
      bindValue(row[column.name], column.type, `writeRows: row ${index}, column ${column.name}`),
    );
  });
  const cast = (type: ColumnType) => type === 'DATE' || type === 'TIMESTAMP';
  return {
    rows: bound,
    appendTo: async (connection, table, schema, catalog) => {
      const appender = await connection.createAppender(table, schema, catalog);
      try {
        for (const row of bound) {
          for (const [i, column] of columns.entries()) appendValue(appender, row[i] ?? null, column.type);
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    },
    bindColumnsSql: (quote) =>
      columns.map((c) => `${quote(c.name)} ${DUCKDB_COLUMN_TYPES[c.type].bind}`).join(', '),
    selectSql: (quote) =>
      columns
        .map((c) =>
          cast(c.type)
            ? `CAST(${quote(c.name)} AS ${DUCKDB_COLUMN_TYPES[c.type].sql}) AS ${quote(c.name)}`
            : quote(c.name),
        )
        .join(', '),
  };
}

/**
 * The SELECT that `runToTable` stores: `body` with its HUGEINT columns cast to BIGINT. DuckDB
 * widens SUM and COUNTIF over integers to HUGEINT (128 bits), a type BigQuery does not have (its
 * SUM of INT64 is INT64, and overflows with an error, as the cast does here); and DuckDB 1.5
 * reads a stored, bit-packed HUGEINT column about a hundred times slower than a BIGINT one, which
 * made every read of a metrics table (the per-basis tables, the statistic inputs) seconds long
 * at a million clients. The result columns come from binding the query (DESCRIBE), not running it.
 */
export async function storedSelectSql(connection: DuckDBConnection, body: string): Promise<string> {
  const reader = await connection.runAndReadAll(`DESCRIBE ${body}`);
  const wide = reader
    .getRowObjectsJS()
    .filter((row) => row.column_type === 'HUGEINT')
    .map((row) => `"${String(row.column_name).replace(/"/g, '""')}"`);
  if (wide.length === 0) return body;
  return `SELECT * REPLACE (${wide.map((c) => `CAST(${c} AS BIGINT) AS ${c}`).join(', ')})
FROM (
${body}
)`;
}
