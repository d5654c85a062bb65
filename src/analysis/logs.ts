import { createHash } from 'node:crypto';
import { experimentLogsSql } from '../sql/plan/reads.js';
import type { ColumnType, TableRef, Warehouse } from '../warehouse/warehouse.js';
import type { AnalysisError } from './results.js';

/** The dataset's log of analysis errors (jetstream's `logs` table, plus what contrail knows). */
export const LOGS_TABLE = 'logs';

export const LOG_COLUMNS: { name: string; type: ColumnType }[] = [
  { name: 'timestamp', type: 'TIMESTAMP' },
  { name: 'source', type: 'STRING' },
  { name: 'experiment', type: 'STRING' },
  { name: 'analysis_date', type: 'DATE' },
  { name: 'stage', type: 'STRING' },
  { name: 'log_level', type: 'STRING' },
  { name: 'exception_type', type: 'STRING' },
  { name: 'message', type: 'STRING' },
  { name: 'tool_version', type: 'STRING' },
  { name: 'config_commit', type: 'STRING' },
  // Derived from what the row says, never from when or by which attempt it was written.
  { name: 'log_id', type: 'STRING' },
];

/**
 * Adds rows to the dataset's logs table (creating the dataset if needed): logs are a log,
 * never replaced. A row whose `log_id` the table holds already is left out, so a step that runs
 * again (a retried activity, a crashed run started over) logs nothing twice.
 */
export async function recordLogs(
  warehouse: Warehouse,
  dataset: string,
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  await warehouse.createDataset(dataset);
  await warehouse.writeRows({
    destination: { dataset, table: LOGS_TABLE },
    columns: LOG_COLUMNS,
    rows,
    mode: 'merge',
    key: 'log_id',
  });
}

/**
 * A log row's id: a hash of the facts it records (experiment, date, stage, level, type, message,
 * tool version, config commit). The same warning or error of the same analysis is one row
 * however often it is written; the time it was first written stays.
 */
export function logId(row: Record<string, unknown>): string {
  const facts = LOG_COLUMNS.filter((c) => c.name !== 'timestamp' && c.name !== 'log_id').map(
    (c) => row[c.name] ?? null,
  );
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 32);
}

export function logRow(
  error: AnalysisError,
  context: { now: Date; toolVersion: string; level?: 'ERROR' | 'WARNING' },
): Record<string, unknown> {
  const row: Record<string, unknown> = {
    timestamp: context.now.toISOString(),
    source: 'contrail',
    experiment: error.slug,
    analysis_date: error.date,
    stage: error.stage,
    log_level: context.level ?? 'ERROR',
    exception_type: error.errorType,
    message: error.message,
    tool_version: context.toolVersion,
    config_commit: error.configCommit ?? null,
  };
  row.log_id = logId(row);
  return row;
}

/**
 * One entry of `errors_<slug>.json`, in jetstream's AnalysisErrors shape (mozilla-nimbus-schemas):
 * fields contrail does not track per error (metric, statistic, segment, …) are null.
 */
export interface ExportedError {
  analysis_basis: string | null;
  source: string | null;
  exception: string | null;
  exception_type: string | null;
  experiment: string | null;
  filename: string | null;
  func_name: string | null;
  log_level: string;
  message: string;
  metric: string | null;
  segment: string | null;
  statistic: string | null;
  timestamp: string;
  analysis_period: string | null;
}

/** The experiment's logged errors, oldest first; none when nothing was ever logged. */
export async function experimentErrors(
  warehouse: Warehouse,
  dataset: string,
  slug: string,
): Promise<ExportedError[]> {
  const ref: TableRef = { dataset, table: LOGS_TABLE };
  if (!(await warehouse.tableExists(ref))) return [];
  const rows = await warehouse.query<{
    timestamp: unknown;
    source: string | null;
    experiment: string | null;
    stage: string | null;
    log_level: string | null;
    exception_type: string | null;
    message: string | null;
  }>(experimentLogsSql(warehouse.sqlDialect, ref, slug));
  return rows.map((r) => ({
    analysis_basis: null,
    source: r.source,
    exception: null,
    exception_type: r.exception_type,
    experiment: r.experiment,
    filename: null,
    func_name: r.stage,
    log_level: r.log_level ?? 'ERROR',
    message: r.message ?? '',
    metric: null,
    segment: null,
    statistic: null,
    timestamp: timestampText(r.timestamp),
    analysis_period: null,
  }));
}

function timestampText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
