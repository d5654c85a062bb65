import assert from 'node:assert/strict';
import { LOG_COLUMNS, LOGS_TABLE, logRows, recordLogs } from '../../src/analysis/logs.js';
import type { AnalysisError } from '../../src/analysis/results.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';

/** jetstream's columns of its logs table that contrail's lacked before it wrote them too. */
const JETSTREAM_COLUMNS = ['exception', 'filename', 'func_name'];

const context = { now: new Date('2026-03-10T01:00:00Z'), toolVersion: '0.1.0' };
const logged = {
  slug: 'x',
  date: '2026-03-10',
  stage: 'planDay',
  message: "unknown key 'num_sampels'",
  errorType: 'ConfigError',
  configCommit: null,
} satisfies AnalysisError;

/**
 * A dataset's logs table as an older contrail left it (every column but jetstream's three, one
 * row), written to again: the table gains the columns with that row null in them, a failure
 * logged now fills them, and the old row logged again is still one row (its `log_id` does not
 * depend on them). `table` is the logs table's name in the warehouse's SQL.
 */
export async function checkOldLogsTableMigrated(warehouse: Warehouse, dataset: string, table: string) {
  const ref = { dataset, table: LOGS_TABLE };
  await warehouse.createDataset(dataset);
  const [before] = logRows(logged, context);
  assert.ok(before);
  await warehouse.writeRows({
    destination: ref,
    columns: LOG_COLUMNS.filter((c) => !JETSTREAM_COLUMNS.includes(c.name)),
    rows: [Object.fromEntries(Object.entries(before).filter(([name]) => !JETSTREAM_COLUMNS.includes(name)))],
    mode: 'append',
  });
  const later = { ...context, now: new Date('2026-03-11T05:00:00Z') };
  const failure = {
    ...logged,
    stage: 'computeMetrics',
    message: 'warehouse said: no such column',
    errorType: 'PlannedQueryError',
    raisedAt: { filename: 'src/sql/run.ts', funcName: 'runPlannedQuery' },
  };
  // Twice: adding the columns again would fail, and rows already logged are not logged again.
  for (let i = 0; i < 2; i++)
    await recordLogs(warehouse, dataset, [...logRows(logged, later), ...logRows(failure, later)]);

  // Strings, as jetstream's are: the type the warehouse gives `message` (BigQuery's STRING, DuckDB's VARCHAR).
  const columns = (await warehouse.tableColumns(ref)) ?? [];
  const text = columns.find((c) => c.name === 'message')?.type;
  assert.deepEqual(
    columns.filter((c) => JETSTREAM_COLUMNS.includes(c.name)),
    JETSTREAM_COLUMNS.map((name) => ({ name, type: text })),
  );
  const rows = await warehouse.query<Record<string, unknown>>(
    `SELECT message, exception, filename, func_name FROM ${table} ORDER BY message`,
  );
  assert.deepEqual(rows, [
    // The old row, kept, and null in the columns it was logged without.
    { message: logged.message, exception: null, filename: null, func_name: null },
    {
      message: failure.message,
      exception: "(<class 'PlannedQueryError'>, PlannedQueryError('warehouse said: no such column'), None)",
      filename: 'src/sql/run.ts',
      func_name: 'runPlannedQuery',
    },
  ]);
}
