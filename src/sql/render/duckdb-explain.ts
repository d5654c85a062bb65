/**
 * Reads DuckDB's `EXPLAIN (FORMAT JSON)` output: how many times each table is scanned, which is
 * how tests and bench/sql.ts show that a query reads each data source once.
 */
interface PlanNode {
  name?: string;
  children?: PlanNode[];
  extra_info?: Record<string, unknown>;
}

export function explainJsonSql(sql: string): string {
  return `EXPLAIN (FORMAT JSON) ${sql}`;
}

/** Scan count per table name, from the rows `explainJsonSql` returns. */
export function countTableScans(rows: { explain_value?: unknown }[]): Map<string, number> {
  const counts = new Map<string, number>();
  const visit = (node: PlanNode): void => {
    const table = node.extra_info?.Table;
    if (node.name?.includes('SCAN') && typeof table === 'string')
      counts.set(table, (counts.get(table) ?? 0) + 1);
    for (const child of node.children ?? []) visit(child);
  };
  for (const row of rows) {
    if (typeof row.explain_value !== 'string') continue;
    const parsed = JSON.parse(row.explain_value) as PlanNode | PlanNode[];
    for (const node of Array.isArray(parsed) ? parsed : [parsed]) visit(node);
  }
  return counts;
}
