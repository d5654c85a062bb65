import { ContrailError, isPermanent } from '../errors.js';
import type { RunToTableResult, TableLabels, Warehouse } from '../warehouse/warehouse.js';
import { where } from './plan/common.js';
import type { PlannedQuery } from './plan/types.js';

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

  constructor(planned: PlannedQuery, cause: unknown) {
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
    const columns = (planned.metrics ?? []).map((m) => `${m.name} (${where(m.provenance)})`);
    const label = planned.kind === 'enrollments' ? 'config columns (segments, exposure signal)' : 'metrics';
    super(
      `${what} → ${planned.destination.table} failed` +
        (columns.length > 0 ? `; ${label}: ${columns.join(', ')}` : '') +
        `; warehouse said: ${warehouseMessage}`,
      {
        cause,
        permanent: isPermanent(cause),
        details: {
          table: planned.destination.table,
          warehouseMessage,
          metrics: (planned.metrics ?? []).map((m) => ({ name: m.name, ...m.provenance })),
        },
      },
    );
    this.name = 'PlannedQueryError';
    const { sql: _sql, fallback: _fallback, ...rest } = planned;
    this.planned = rest;
    this.warehouseMessage = warehouseMessage;
  }
}

export interface RunPlannedQueryOptions {
  labels?: TableLabels;
  /** Days until the table expires (a run's staged copy); default: the dataset's default expiry. */
  expirationDays?: number | null;
  onProgress?: (info: { elapsedMs: number; detail?: string }) => void;
  signal?: AbortSignal;
  jobKey?: string;
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
 * Runs one planned query into its destination (atomically: the adapter leaves no partial table),
 * using its fallback SQL when a table the main SQL needs is missing.
 */
export async function runPlannedQuery(
  warehouse: Warehouse,
  planned: PlannedQuery,
  options: RunPlannedQueryOptions = {},
): Promise<RunToTableResult & { usedFallback: boolean }> {
  let sql = planned.sql;
  let usedFallback = false;
  if (planned.fallback) {
    for (const ref of planned.fallback.whenMissing) {
      if (!(await warehouse.tableExists(ref))) {
        sql = planned.fallback.sql;
        usedFallback = true;
        break;
      }
    }
  }
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
    throw new PlannedQueryError(planned, error);
  }
}
