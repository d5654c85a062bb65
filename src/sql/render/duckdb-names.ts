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
