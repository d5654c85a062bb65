import { formatProblem } from '../config/problems.js';
import type { AnalysisSpec } from '../config/spec.js';
import { plural } from '../plural.js';
import { warehouseKind } from '../settings.js';
import { planProblemOf } from '../sql/check.js';
import { type CostLevel, costLevel, type DryRunEntry, dryRunAnalysis } from '../sql/dry-run.js';
import { describeCost, labelOf } from '../warehouse/cost.js';
import { WarehouseUnavailableError, warehouseMessageOf } from '../warehouse/errors.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { listed } from './error-groups.js';
import { CliError } from './errors.js';
import { checkedProjectId } from './option-values.js';
import { FAILED_THE_SAME_WAY, retryFailures } from './retry-failures.js';

/**
 * `contrail validate --dry_run`: each valid experiment config's enrollment and metric queries
 * dry-run on the configured warehouse (CONTRAIL_WAREHOUSE; BigQuery reports bytes and cost),
 * one line per query, a problem of several queries once (dryRunReport). Exit codes as
 * jetstream's validate: 1 when a query is invalid, else 3 when one scans more than the high
 * threshold, 2 more than the moderate one.
 */
export interface DryRunOptions {
  thresholdsTb: { moderate: number; high: number };
  projectId?: string;
  write: (line: string) => void;
  /** The signal that interrupted the command, checked between two configs (null: go on). */
  interrupted?: () => NodeJS.Signals | null;
}

async function configuredBigQuerySettings(projectId: string | undefined) {
  const { commandBigQuerySettings } = await import('./bigquery-settings.js');
  return commandBigQuerySettings(process.env, projectId ? { projectId } : {});
}

/**
 * Which warehouse the dry run will ask, its settings checked now: `validate` calls this before
 * it checks any config, so a missing or mistyped setting is the first thing said, not a line
 * after every file's report. True when that is BigQuery.
 */
export async function checkDryRunWarehouse(projectId: string | undefined): Promise<boolean> {
  if (warehouseKind(process.env) !== 'bigquery') return false;
  if (projectId) checkedProjectId(projectId);
  await configuredBigQuerySettings(projectId);
  return true;
}

/**
 * The warehouse to dry-run on, each call tried again a few times when it fails transiently (a
 * dropped connection, a BigQuery backend error), as a worker's are: one lost answer should not
 * fail a CI job's check of every config. Each retry is said, so a slow run says why.
 */
async function configuredWarehouse(
  projectId: string | undefined,
  write: (line: string) => void,
): Promise<Warehouse> {
  const { retryingWarehouse } = await import('../warehouse/retry.js');
  const base =
    warehouseKind(process.env) === 'bigquery'
      ? new (await import('../warehouse/bigquery.js')).BigQueryWarehouse(
          await configuredBigQuerySettings(projectId),
        )
      : (await import('../warehouse/duckdb-sessions.js')).embeddedWarehouse();
  const failures = retryFailures();
  return retryingWarehouse(base, {
    onRetry: ({ attempt, error }) => {
      const message = warehouseMessageOf(error);
      write(
        failures.repeated('dry run', message)
          ? `  retrying the dry run (attempt ${attempt} ${FAILED_THE_SAME_WAY})`
          : `  retrying the dry run (attempt ${attempt} failed): ${message}`,
      );
    },
  });
}

/**
 * One config's dry run as its lines, each problem once: a missing table or a rejected
 * enrollments query fails every window's scan with the same message, and a line per scan buried
 * the one thing to fix. A problem of several queries says how many and which (`listed`); each
 * query's cost stays its own line. `invalid` counts queries, as the exit code's summary does.
 */
export function dryRunReport(
  entries: readonly DryRunEntry[],
  thresholdsTb: { moderate: number; high: number },
): { lines: string[]; invalid: number; worst: CostLevel } {
  let invalid = 0;
  let worst: CostLevel = 'ok';
  /** Each line, a problem's with the queries it is about, in the order first seen. */
  const lines: ({ text: string } | { label: string; message: string; tables: string[] })[] = [];
  const problems = new Map<string, { tables: string[] }>();
  const problem = (label: string, message: string, table: string) => {
    const key = JSON.stringify([label, message]);
    const seen = problems.get(key);
    if (seen) return void seen.tables.push(table);
    const line = { label, message, tables: [table] };
    problems.set(key, line);
    lines.push(line);
  };
  for (const entry of entries) {
    if (entry.error !== null) {
      invalid++;
      problem('error', entry.error, entry.table);
      continue;
    }
    if (entry.notChecked !== undefined) {
      problem('not checked', entry.notChecked, entry.table);
      continue;
    }
    const level = costLevel(entry.bytesProcessed, thresholdsTb);
    if (level === 'high' || (level === 'moderate' && worst === 'ok')) worst = level;
    const cost =
      entry.bytesProcessed === null
        ? 'valid (no byte estimate on this warehouse)'
        : describeCost(entry.bytesProcessed, entry.bytesBilled ?? entry.bytesProcessed);
    lines.push({ text: `  ${level === 'ok' ? 'ok' : level}: ${entry.table}: ${cost}` });
  }
  return {
    lines: lines.map((line) => {
      if ('text' in line) return line.text;
      const [table] = line.tables;
      const where =
        line.tables.length === 1
          ? table
          : `in ${plural(line.tables.length, 'query', 'queries')} (${listed(line.tables)})`;
      return `  ${line.label}: ${where}: ${line.message}`;
    }),
    invalid,
    worst,
  };
}

export async function dryRunConfigs(
  configs: { file: string; spec: AnalysisSpec }[],
  options: DryRunOptions,
): Promise<void> {
  // The thresholds were checked before the configs were (the validate command).
  const { moderate, high } = options.thresholdsTb;
  const warehouse = await configuredWarehouse(options.projectId, options.write);
  const dialect = warehouse.sqlDialect;
  let invalid = 0;
  let unplanned = 0;
  let worst: CostLevel = 'ok';
  let done = 0;
  let stoppedBy: NodeJS.Signals | null = null;
  try {
    for (const { file, spec } of configs) {
      stoppedBy = options.interrupted?.() ?? null;
      if (stoppedBy !== null) break;
      done += 1;
      // How the bytes are found, and for which days: an estimate over the embedded sample reads
      // no more than the days it has, so a config whose experiment starts today costs nothing there.
      const method = labelOf(warehouse.dialect === 'bigquery' ? 'dry_run' : 'column_sizes');
      const from = spec.experiment.startDate ?? 'no start date';
      options.write(`dry run  ${file} (${method}; the experiment's windows from ${from})`);
      let entries: Awaited<ReturnType<typeof dryRunAnalysis>>;
      try {
        entries = await dryRunAnalysis(warehouse, spec, { dataset: 'contrail', dialect });
      } catch (error) {
        // A config whose SQL cannot be planned (checked SQL finds this too, but `--no-check_sql`
        // skips that) is this config's error, not the end of every other config's dry run.
        const problem = planProblemOf(error, spec);
        if (problem === null) throw error;
        unplanned++;
        options.write(`  error: ${formatProblem(problem)}`);
        continue;
      }
      const report = dryRunReport(entries, options.thresholdsTb);
      for (const line of report.lines) options.write(line);
      invalid += report.invalid;
      if (report.worst === 'high' || (report.worst === 'moderate' && worst === 'ok')) worst = report.worst;
    }
  } catch (error) {
    // One line for the whole run: no query was checked, and none is at fault.
    if (error instanceof WarehouseUnavailableError)
      throw new CliError(`dry run stopped: ${error.warehouseMessage}`);
    throw error;
  } finally {
    await warehouse.close();
  }
  const faults = [
    ...(unplanned > 0 ? [`${unplanned} config${unplanned === 1 ? '' : 's'} cannot be planned`] : []),
    ...(invalid > 0 ? [`${invalid} quer${invalid === 1 ? 'y is' : 'ies are'} invalid`] : []),
  ];
  if (stoppedBy !== null)
    throw new CliError(
      `interrupted (${stoppedBy}) after dry-running ${done} of ${configs.length} config files${faults.length > 0 ? ` (${faults.join(', ')})` : ''}; the others were not dry-run`,
      130,
    );
  if (faults.length > 0) throw new CliError(faults.join('; '), 1);
  if (worst === 'high') throw new CliError(`a query scans more than ${high} TB (--high_tb)`, 3);
  if (worst === 'moderate') throw new CliError(`a query scans more than ${moderate} TB (--moderate_tb)`, 2);
}
