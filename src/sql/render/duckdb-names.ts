/**
 * DuckDB's spelling of names and strings: what the renderer and the rewrites of config SQL
 * quote with (one home: the warehouse adapter renders through the dialect, never on its own).
 */
export const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function nameOrQuoted(name: string): string {
  return PLAIN_IDENTIFIER.test(name) ? name : quoteIdentifier(name);
}

export function duckString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
