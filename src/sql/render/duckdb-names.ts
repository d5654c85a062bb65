import { nextSignificant, previousSignificant, type Token } from './bigquery-lexer.js';

/**
 * DuckDB's spelling of names and strings: what the renderer and the rewrites of config SQL
 * quote with (one home: the warehouse adapter renders through the dialect, never on its own).
 */
export const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// DuckDB's reserved keywords (duckdb_keywords(), category 'reserved'): a backtick-quoted
// `offset` or `order` in BigQuery SQL is a name, which DuckDB reads only when it is quoted.
const RESERVED = new Set(
  (
    'ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC BOTH CASE CAST CHECK COLLATE COLUMN CONSTRAINT ' +
    'CREATE DEFAULT DEFERRABLE DESC DESCRIBE DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FROM GROUP ' +
    'HAVING IN INITIALLY INTERSECT INTO LAMBDA LATERAL LEADING LIMIT NOT NULL OFFSET ON ONLY OR ORDER PIVOT ' +
    'PIVOT_LONGER PIVOT_WIDER PLACING PRIMARY QUALIFY REFERENCES RETURNING SELECT SHOW SOME SUMMARIZE ' +
    'SYMMETRIC TABLE THEN TO TRAILING TRUE UNION UNIQUE UNPIVOT USING VARIADIC WHEN WHERE WINDOW WITH'
  ).split(' '),
);

export function nameOrQuoted(name: string): string {
  return PLAIN_IDENTIFIER.test(name) && !RESERVED.has(name.toUpperCase()) ? name : quoteIdentifier(name);
}

export function duckString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The table path starting at word token `i` whose project is dashed and unquoted
 * (`moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6`): its three names and the index
 * of its last token, else null. BigQuery reads such a path only where a table is named, so it is
 * taken only right after FROM or JOIN, or as a whole fragment (a data source's
 * `from_expression`); anywhere else `a-b.c.d` is a subtraction. Its parts are written together,
 * as BigQuery lexes them: `a - b.c.d` is a subtraction wherever it stands.
 */
export function dashedTablePath(tokens: Token[], i: number): { parts: string[]; end: number } | null {
  let j = i;
  let project = tokens[j]!.text;
  while (tokens[j + 1]?.text === '-' && tokens[j + 2]?.kind === 'word') {
    project += `-${tokens[j + 2]!.text}`;
    j += 2;
  }
  if (j === i || !/^[A-Za-z]/.test(project)) return null;
  const parts = [project];
  while (parts.length < 3 && tokens[j + 1]?.text === '.' && tokens[j + 2]?.kind === 'word') {
    parts.push(tokens[j + 2]!.text);
    j += 2;
  }
  if (parts.length < 3 || tokens[j + 1]?.text === '.') return null;
  const before = previousSignificant(tokens, i - 1);
  const keyword = tokens[before]?.text.toUpperCase();
  const wholeFragment = before < 0 && nextSignificant(tokens, j + 1) >= tokens.length;
  return keyword === 'FROM' || keyword === 'JOIN' || wholeFragment ? { parts, end: j } : null;
}
