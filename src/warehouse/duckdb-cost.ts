import type { DuckDBConnection } from '@duckdb/node-api';
import { plainValueConverter } from './duckdb-values.js';

/**
 * What a query would cost on BigQuery, estimated on the embedded DuckDB warehouse, which has no
 * dry run that counts bytes. BigQuery bills the logical (uncompressed) size of every column a
 * query reads; this finds the columns from DuckDB's own plan (the table scans of `EXPLAIN`, with
 * the columns each projects or filters on) and sizes them from DuckDB's storage info (rows per
 * column segment, each at the width BigQuery counts for its type).
 *
 * It is an estimate, and says so (`column_sizes`): strings are counted at the longest value of
 * each segment (DuckDB's segment statistics keep no average), so text columns are over-counted;
 * whole tables are counted, since the embedded tables have no partitions to prune; columns of
 * in-memory or external scans (parquet files, table functions) are not counted.
 */

/** One table scan of a plan: the table as the plan names it and the columns it reads. */
export interface PlannedScan {
  table: string;
  columns: string[];
}

interface PlanNode {
  name?: string;
  children?: PlanNode[];
  extra_info?: Record<string, unknown>;
}

const asStrings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split('\n') : [];

const FILTER_KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IS',
  'NULL',
  'IN',
  'LIKE',
  'TRUE',
  'FALSE',
  'BETWEEN',
  'OPTIONAL',
]);

/** The table scans of a DuckDB JSON plan (`EXPLAIN (FORMAT JSON)`), with the columns each reads. */
export function plannedScans(planJson: string): PlannedScan[] {
  const scans: PlannedScan[] = [];
  const visit = (node: PlanNode) => {
    const info = node.extra_info ?? {};
    const table = typeof info.Table === 'string' ? info.Table : null;
    if (table !== null) {
      // Columns a pushed-down filter reads need not be projected; BigQuery bills them all the same.
      // Literals, casts ('2026-01-01'::DATE) and keywords name no column.
      const filterWords = asStrings(info.Filters)
        .flatMap(
          (f) =>
            f
              .replace(/'(?:[^']|'')*'/g, ' ')
              .replace(/::[A-Za-z_]+/g, ' ')
              .match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [],
        )
        .filter((w) => !FILTER_KEYWORDS.has(w.toUpperCase()));
      scans.push({ table, columns: [...new Set([...asStrings(info.Projections), ...filterWords])] });
    }
    for (const child of node.children ?? []) visit(child);
  };
  const parsed = JSON.parse(planJson) as PlanNode | PlanNode[];
  for (const root of Array.isArray(parsed) ? parsed : [parsed]) visit(root);
  return scans;
}

/** Bytes BigQuery counts per value of a DuckDB storage segment type (strings: see `segmentBytes`). */
const FIXED_WIDTH: Record<string, number> = {
  BOOLEAN: 1,
  TINYINT: 8,
  SMALLINT: 8,
  INTEGER: 8,
  BIGINT: 8,
  HUGEINT: 16,
  UTINYINT: 8,
  USMALLINT: 8,
  UINTEGER: 8,
  UBIGINT: 8,
  FLOAT: 8,
  DOUBLE: 8,
  DATE: 8,
  TIME: 8,
  TIMESTAMP: 8,
  'TIMESTAMP WITH TIME ZONE': 8,
  INTERVAL: 16,
  UUID: 16,
};

/** A storage segment's logical bytes: rows × the type's width; strings 2 bytes + their longest value. */
export function segmentBytes(segmentType: string, count: number, stats: string): number {
  const type = segmentType.toUpperCase();
  if (type === 'VALIDITY') return 0;
  if (type === 'VARCHAR' || type === 'BLOB') {
    const longest = /Max String Length: (\d+)/.exec(stats)?.[1];
    return count * (2 + (longest === undefined ? 0 : Number(longest)));
  }
  if (type.startsWith('DECIMAL')) return count * 16;
  return count * (FIXED_WIDTH[type] ?? 8);
}

/** `a.b.c` as the plan names a table, split into catalog, schema and table (quotes removed). */
function tableParts(name: string): string[] {
  return (name.match(/"(?:[^"]|"")*"|[^.]+/g) ?? []).map((p) =>
    p.startsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p,
  );
}

/** Estimated bytes of the columns one scan reads, from `pragma_storage_info`; null when the table is not stored. */
async function scanBytes(connection: DuckDBConnection, scan: PlannedScan): Promise<number | null> {
  if (scan.columns.length === 0) return 0;
  const parts = tableParts(scan.table);
  const quoted = parts.map((p) => `"${p.replaceAll('"', '""')}"`).join('.');
  let rows: Record<string, unknown>[];
  try {
    const reader = await connection.runAndReadAll(
      `SELECT column_name, segment_type, count, stats FROM pragma_storage_info($1)`,
      [quoted],
    );
    rows = reader.convertRowObjects(plainValueConverter);
  } catch {
    // A view, a temporary or external relation: nothing stored to size.
    return null;
  }
  const wanted = new Set(scan.columns.map((c) => c.toLowerCase()));
  let bytes = 0;
  for (const row of rows) {
    if (!wanted.has(String(row.column_name).toLowerCase())) continue;
    bytes += segmentBytes(String(row.segment_type), Number(row.count), String(row.stats ?? ''));
  }
  return bytes;
}

/**
 * The estimated bytes a query reads: the sum over its plan's table scans (a table scanned twice
 * counts twice, as BigQuery bills it), and the tables it reads, each once (BigQuery bills at
 * least 10 MB for each: billedBytes). Binding the query also checks it, as a dry run does.
 */
export async function estimateQueryBytes(
  connection: DuckDBConnection,
  sql: string,
): Promise<{ bytes: number; tables: string[] }> {
  const reader = await connection.runAndReadAll(`EXPLAIN (FORMAT JSON) ${sql}`);
  let total = 0;
  const tables = new Set<string>();
  for (const row of reader.getRowObjectsJS()) {
    if (row.explain_key !== 'physical_plan') continue;
    for (const scan of plannedScans(String(row.explain_value))) {
      total += (await scanBytes(connection, scan)) ?? 0;
      tables.add(scan.table);
    }
  }
  return { bytes: total, tables: [...tables].sort() };
}
