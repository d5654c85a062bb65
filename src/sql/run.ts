import { ContrailError, type ErrorSubject, isPermanent } from '../errors.js';
import { WarehouseUnavailableError } from '../warehouse/errors.js';
import type { RunToTableResult, TableLabels, Warehouse } from '../warehouse/warehouse.js';
import { where } from './plan/common.js';
import type { PlannedQuery, SqlFragmentReference } from './plan/types.js';

/**
 * A planned query failed in the warehouse. The message names what the query computed (each
 * metric with its config file and key) and the warehouse's own message; it is permanent exactly
 * when the warehouse error was, so a hiccup is retried and a broken config is not.
 */
export class PlannedQueryError extends ContrailError {
  readonly planned: Pick<
    PlannedQuery,
    'kind' | 'destination' | 'period' | 'windowIndex' | 'analysisBasis' | 'dataSource' | 'metrics'
  >;
  readonly warehouseMessage: string;

  constructor(
    planned: PlannedQuery,
    cause: unknown,
    options: {
      usedFallback?: boolean;
      /** The name people know the destination by, when the query wrote a staged copy of it. */
      table?: string;
    } = {},
  ) {
    const table = options.table ?? planned.destination.table;
    const warehouseMessage =
      cause instanceof Error
        ? (((cause as Error & { warehouseMessage?: unknown }).warehouseMessage as string | undefined) ??
          cause.message)
        : String(cause);
    const what = [
      planned.kind.replace('_', ' '),
      planned.period ? `${planned.period} window ${planned.windowIndex}` : null,
      planned.analysisBasis ? `basis ${planned.analysisBasis}` : null,
      planned.dataSource ? `data source ${planned.dataSource}` : null,
    ]
      .filter((s) => s !== null)
      .join(', ');
    const sqlLine = sqlLineOf(cause, options.usedFallback ?? false);
    const subjects = querySubjects(planned, sqlLine, warehouseMessage, table);
    // The config item on the line the warehouse points at (a metric's or segment's expression,
    // a data source's FROM, the exposure signal) is what it rejected: the query's other items
    // are innocent bystanders, not worth a config author's search. An enrollments query that
    // reads a custom enrollment_query is about that query. Every item is named only when the
    // warehouse gave no line to go by.
    const hit = pointedFragment(planned, sqlLine);
    const custom =
      hit === undefined && planned.kind === 'enrollments' ? ownFrom(planned.references ?? []) : undefined;
    const pointed = hit ?? custom;
    const columns = pointed
      ? [describeFragment(planned, pointed)]
      : (planned.metrics ?? []).map((m) => `${m.name} (${where(m.provenance)})`);
    const label =
      hit && (planned.kind === 'enrollments' || hit.column === null)
        ? 'the config item the warehouse points at'
        : hit && (planned.metrics ?? []).length > 1
          ? 'the metric the warehouse points at'
          : custom
            ? 'config'
            : planned.kind === 'enrollments'
              ? 'config columns (segments, exposure signal)'
              : 'metrics';
    super(
      `${what} → ${table} failed` +
        (columns.length > 0 ? `; ${label}: ${columns.join(', ')}` : '') +
        `; warehouse said: ${warehouseMessage}`,
      {
        cause,
        permanent: isPermanent(cause),
        details: {
          table,
          warehouseMessage,
          metrics: (planned.metrics ?? []).map((m) => ({ name: m.name, ...m.provenance })),
          subjects,
        },
      },
    );
    this.name = 'PlannedQueryError';
    const { sql: _sql, fallback: _fallback, ...rest } = planned;
    this.planned = rest;
    this.warehouseMessage = warehouseMessage;
  }
}

/** The SQL line a warehouse error points at, in the planned SQL (the references describe that, not the fallback). */
function sqlLineOf(cause: unknown, usedFallback: boolean): number | null {
  if (usedFallback || !(cause instanceof ContrailError)) return null;
  const line = cause.details.sqlLine;
  return typeof line === 'number' ? line : null;
}

/** The config fragment on the SQL line the warehouse points at, if any. */
export function pointedFragment(
  planned: Pick<PlannedQuery, 'references'>,
  sqlLine: number | null,
): SqlFragmentReference | undefined {
  if (sqlLine === null) return undefined;
  return (planned.references ?? []).find((r) => r.lines.start <= sqlLine && sqlLine <= r.lines.end);
}

/** The query's own FROM (a metrics scan's data source, a custom enrollment_query), if traced. */
function ownFrom(references: readonly SqlFragmentReference[]): SqlFragmentReference | undefined {
  return references.find((r) => r.column === null && !r.partial);
}

/**
 * A config fragment of a query as an error names it: the column it computes with its config
 * item, a metrics scan's FROM as its data source, any other part by its config item.
 */
export function describeFragment(
  planned: Pick<PlannedQuery, 'kind' | 'dataSource'>,
  fragment: SqlFragmentReference,
): string {
  const at = where(fragment.provenance);
  if (fragment.column !== null) return `${fragment.column} (${at})`;
  if (!fragment.partial && planned.kind === 'metrics_scan' && planned.dataSource)
    return `data source ${planned.dataSource} (${at})`;
  return at;
}

/**
 * What a failed query is about. When the warehouse names a line and a config fragment sits on
 * it, that fragment's config item alone (the metric whose expression the warehouse rejected, or
 * the data source whose FROM it could not read); otherwise the query itself, located at its data
 * source's FROM when it has one, else at the config items it computes.
 */
export function querySubjects(
  planned: PlannedQuery,
  sqlLine: number | null,
  warehouseMessage: string,
  query: string = planned.destination.table,
): ErrorSubject[] {
  const period = planned.period ?? null;
  // What the warehouse said, without the quoted SQL that follows it: the same for every window and date.
  const said = warehouseMessage.split(/\n\s*\n/)[0]?.trim() ?? warehouseMessage;
  const base = {
    query,
    period,
    analysisBasis: planned.analysisBasis ?? null,
    message: `warehouse said: ${said}`,
  };
  const references = planned.references ?? [];
  const hit = pointedFragment(planned, sqlLine);
  const at = (p: { file: string; key: string; line: number | null }) => ({
    file: p.file,
    key: p.key,
    line: p.line,
  });
  // An enrollments query's columns are segments and the exposure signal, not metrics.
  if (hit)
    return [{ ...base, metric: planned.kind === 'enrollments' ? null : hit.column, ...at(hit.provenance) }];
  const from = ownFrom(references);
  if (from) return [{ ...base, ...at(from.provenance) }];
  const columns = planned.metrics ?? [];
  if (columns.length > 0)
    return columns.map((m) => ({
      ...base,
      metric: planned.kind === 'enrollments' ? null : m.name,
      ...at(m.provenance),
    }));
  return [base];
}

export interface RunPlannedQueryOptions {
  labels?: TableLabels;
  /** Days until the table expires (a run's staged copy); default: the dataset's default expiry. */
  expirationDays?: number | null;
  onProgress?: (info: { elapsedMs: number; detail?: string }) => void;
  signal?: AbortSignal;
  jobKey?: string;
  /**
   * The destination's published name when the query writes a run's staged copy of it: an error
   * names the table people know (the logs, the preview's report), not the staging name.
   */
  table?: string;
}

/** The query's provenance header (what it computes, from which config lines) as a table description. */
export function plannedDescription(planned: PlannedQuery): string {
  const header: string[] = [];
  for (const line of planned.sql.split('\n')) {
    if (!line.startsWith('--')) break;
    header.push(line.replace(/^--\s?/, ''));
  }
  // BigQuery keeps at most 16,384 characters of a description.
  return header.join('\n').slice(0, 16_384);
}

/**
 * The SQL a planned query runs on `warehouse` now: its fallback when a table the fallback
 * stands in for is missing (statistics without the pre-enrollment covariate), else its own.
 */
export async function plannedSql(
  warehouse: Warehouse,
  planned: PlannedQuery,
): Promise<{ sql: string; usedFallback: boolean }> {
  const fallback = planned.fallback;
  for (const ref of fallback?.whenMissing ?? []) {
    if (fallback && !(await warehouse.tableExists(ref))) return { sql: fallback.sql, usedFallback: true };
  }
  return { sql: planned.sql, usedFallback: false };
}

/**
 * Runs one planned query into its destination (atomically: the adapter leaves no partial table),
 * using its fallback SQL when a table the main SQL needs is missing. A failure is a
 * PlannedQueryError naming what the query computed, unless the warehouse itself was unavailable.
 */
export async function runPlannedQuery(
  warehouse: Warehouse,
  planned: PlannedQuery,
  options: RunPlannedQueryOptions = {},
): Promise<RunToTableResult & { usedFallback: boolean }> {
  const { sql, usedFallback } = await plannedSql(warehouse, planned);
  try {
    const result = await warehouse.runToTable({
      sql,
      destination: planned.destination,
      replace: true,
      ...(planned.mayBeView ? { mayBeView: true } : {}),
      description: plannedDescription(planned),
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.expirationDays != null ? { expirationDays: options.expirationDays } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.jobKey ? { jobKey: options.jobKey } : {}),
    });
    return { ...result, usedFallback };
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
    // A warehouse that did not answer, or whose disk is full or read-only, failed this query
    // for no fault of it: naming its metrics and their config lines would send a config author
    // looking for a mistake that is not there.
    if (error instanceof WarehouseUnavailableError) throw error;
    throw new PlannedQueryError(planned, error, {
      usedFallback,
      ...(options.table ? { table: options.table } : {}),
    });
  }
}
