/**
 * Table schemas in BigQuery's own form (a table's `schema.fields`), and a reader of the DuckDB
 * type strings the sample generator documents its tables with (`STRUCT("key" VARCHAR, …)[]`),
 * so one description of a source table serves the DuckDB sample, the GoogleSQL analyzer's
 * catalog and the emulator's tables.
 */
export type BigQueryType =
  | 'STRING'
  | 'BYTES'
  | 'INT64'
  | 'FLOAT64'
  | 'NUMERIC'
  | 'BOOL'
  | 'DATE'
  | 'DATETIME'
  | 'TIMESTAMP'
  | 'JSON'
  | 'RECORD';

export interface BigQueryField {
  name: string;
  type: BigQueryType;
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  fields?: BigQueryField[];
}

const SCALARS: Record<string, BigQueryType> = {
  VARCHAR: 'STRING',
  TEXT: 'STRING',
  STRING: 'STRING',
  BLOB: 'BYTES',
  BIGINT: 'INT64',
  INTEGER: 'INT64',
  INT: 'INT64',
  INT64: 'INT64',
  HUGEINT: 'INT64',
  DOUBLE: 'FLOAT64',
  FLOAT: 'FLOAT64',
  FLOAT64: 'FLOAT64',
  NUMERIC: 'NUMERIC',
  BOOLEAN: 'BOOL',
  BOOL: 'BOOL',
  DATE: 'DATE',
  DATETIME: 'DATETIME',
  TIMESTAMP: 'TIMESTAMP',
  JSON: 'JSON',
};

/** A BigQuery field from a DuckDB column type (`BIGINT`, `VARCHAR[]`, `STRUCT(a INT, "b" VARCHAR)`). */
export function fieldFromDuckDbType(name: string, type: string): BigQueryField {
  const tokens = type.match(/"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*|\[\]|[(),]/g) ?? [];
  let i = 0;
  const next = () => tokens[i++];
  const unquote = (t: string) => (t.startsWith('"') ? t.slice(1, -1).replaceAll('""', '"') : t);
  const parseType = (fieldName: string): BigQueryField => {
    const head = next();
    if (head === undefined) throw new Error(`type of ${name}: unexpected end of ${JSON.stringify(type)}`);
    let field: BigQueryField;
    if (head.toUpperCase() === 'STRUCT') {
      if (next() !== '(') throw new Error(`type of ${name}: expected ( after STRUCT in ${type}`);
      const fields: BigQueryField[] = [];
      for (;;) {
        const member = next();
        if (member === undefined) throw new Error(`type of ${name}: unterminated STRUCT in ${type}`);
        fields.push(parseType(unquote(member)));
        const separator = next();
        if (separator === ')') break;
        if (separator !== ',') throw new Error(`type of ${name}: expected , or ) in ${type}`);
      }
      field = { name: fieldName, type: 'RECORD', fields };
    } else {
      const scalar = SCALARS[head.toUpperCase()];
      if (!scalar) throw new Error(`type of ${name}: no BigQuery type for DuckDB ${head}`);
      field = { name: fieldName, type: scalar };
    }
    if (tokens[i] === '[]') {
      i++;
      if (field.mode === 'REPEATED') throw new Error(`type of ${name}: BigQuery has no arrays of arrays`);
      field.mode = 'REPEATED';
    }
    return field;
  };
  const field = parseType(name);
  if (i !== tokens.length) throw new Error(`type of ${name}: unexpected ${tokens[i]} in ${type}`);
  return field;
}

/** A table schema from `{column: duckdbType}`. */
export function schemaFromDuckDb(columns: Record<string, string>): BigQueryField[] {
  return Object.entries(columns).map(([name, type]) => fieldFromDuckDbType(name, type));
}
