import { createHash } from 'node:crypto';
import { configFileInRepo } from '../config/repo-layout.js';
import type { ErrorSubject } from '../errors.js';
import type { ColumnType, Warehouse } from '../warehouse/warehouse.js';
import type { AnalysisError } from './results.js';

/** The dataset's log of analysis errors (jetstream's `logs` table, plus what contrail knows). */
export const LOGS_TABLE = 'logs';

/** The columns naming what a log row is about, and the subject field each is read from. */
const SUBJECT_COLUMN_FIELDS = [
  { name: 'metric', type: 'STRING', field: 'metric' },
  { name: 'statistic', type: 'STRING', field: 'statistic' },
  { name: 'analysis_basis', type: 'STRING', field: 'analysisBasis' },
  { name: 'segment', type: 'STRING', field: 'segment' },
  { name: 'analysis_period', type: 'STRING', field: 'period' },
  { name: 'query', type: 'STRING', field: 'query' },
  { name: 'config_file', type: 'STRING', field: 'file' },
  { name: 'config_key', type: 'STRING', field: 'key' },
  { name: 'config_line', type: 'INT64', field: 'line' },
] as const satisfies readonly { name: string; type: ColumnType; field: keyof ErrorSubject }[];

const SUBJECT_COLUMNS: { name: string; type: ColumnType }[] = SUBJECT_COLUMN_FIELDS.map(({ name, type }) => ({
  name,
  type,
}));

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
  // What the row is about, as far as known (null otherwise): a table written before these
  // columns existed gets them on its next write ('merge' adds missing columns).
  ...SUBJECT_COLUMNS,
  // jetstream's columns, so that a query written for its logs table reads contrail's: the
  // exception as its log handler writes it (null for a warning), and where in contrail's code
  // the error was raised or the warning logged (null when unknown). Added to an older table on
  // its next write, its rows left null.
  { name: 'exception', type: 'STRING' },
  { name: 'filename', type: 'STRING' },
  { name: 'func_name', type: 'STRING' },
];

/** The columns a row's `log_id` is derived from (`logId`), with its subject's when it names one. */
const LOG_ID_COLUMNS = [
  'source',
  'experiment',
  'analysis_date',
  'stage',
  'log_level',
  'exception_type',
  'message',
  'tool_version',
  'config_commit',
] as const;

/**
 * Adds rows to the dataset's logs table (creating the dataset if needed): logs are a log,
 * never replaced. A row whose `log_id` the table holds already is not added again, so a step
 * that runs again (a retried activity, a crashed run started over, the same date analysed
 * again) logs nothing twice; its time becomes the latest: the errors export and Experimenter
 * show only what was logged since the analysis they describe began, and a warning the date's
 * newest analysis gave again is one of them.
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
    refresh: ['timestamp'],
  });
}

/**
 * A log row's id: a hash of the facts it records (experiment, date, stage, level, type, message,
 * tool version, config commit, and what it is about, its config file named from the repo's
 * root: `logRow`). The same warning or error of the same analysis is one row however often it
 * is written, and by whichever worker, with the time it was last written. Not its time, nor
 * what is derived from those facts (`exception`) or moves with the code (`filename`,
 * `func_name`): a row logged again after an upgrade keeps its id.
 */
export function logId(row: Record<string, unknown>): string {
  const facts = LOG_ID_COLUMNS.map((name) => row[name] ?? null);
  // A row about nothing in particular keeps the id it had before rows named their subject, so a
  // step that runs again after an upgrade does not log it twice.
  const subject = SUBJECT_COLUMNS.map((c) => row[c.name] ?? null);
  if (subject.some((v) => v !== null)) facts.push(...subject);
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 32);
}

export interface LogContext {
  now: Date;
  toolVersion: string;
  level?: 'ERROR' | 'WARNING';
}

/**
 * The log rows of an error: one per subject it names (with the subject's own message when it
 * has one), or one row about nothing narrower than the analysis.
 */
export function logRows(error: AnalysisError, context: LogContext): Record<string, unknown>[] {
  const subjects = error.subjects ?? [];
  if (subjects.length === 0) return [logRow(error, context)];
  return subjects.map((subject) =>
    logRow(
      {
        ...error,
        message: subject.message ?? error.message,
        errorType: subject.errorType ?? error.errorType,
      },
      context,
      subject,
    ),
  );
}

export function logRow(
  error: AnalysisError,
  context: LogContext,
  subject: ErrorSubject = {},
): Record<string, unknown> {
  const level = context.level ?? 'ERROR';
  const row: Record<string, unknown> = {
    timestamp: context.now.toISOString(),
    source: 'contrail',
    experiment: error.slug,
    analysis_date: error.date,
    stage: error.stage,
    log_level: level,
    exception_type: error.errorType,
    message: error.message,
    tool_version: context.toolVersion,
    config_commit: error.configCommit ?? null,
  };
  for (const c of SUBJECT_COLUMN_FIELDS) row[c.name] = subject[c.field] ?? null;
  // The file as its config repo names it, not by the worker's path to the repo: workers whose
  // checkouts are in different directories (a scratch clone made at each start) log the same
  // problem of the same file as one row, and the row says where in the repo to look. A row an
  // older contrail logged under the worker's path keeps its id: logged again now, the problem is
  // one more row, once, and the old one keeps the time it was last logged (so it leaves the
  // errors file with its analysis week).
  if (typeof row.config_file === 'string') row.config_file = configFileInRepo(row.config_file);
  row.exception = exceptionText(error.errorType, error.message, level);
  row.filename = error.raisedAt?.filename ?? null;
  row.func_name = error.raisedAt?.funcName ?? null;
  row.log_id = logId(row);
  return row;
}

/**
 * What a message says with its values taken out: numbers, quoted names, lists of them and the
 * bases and segments it was seen on. A statistic's warnings about one config key often differ
 * only in those (which parameters, which branch over which, which segment): the end of a
 * preview and the dashboard's errors panel show one of each kind, with how many more there are,
 * rather than a screen of them.
 */
export function messageShape(message: string): string {
  return message
    .replace(/\s*\([^()]*\bbasis\b[^()]*\)/g, '')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\d+(?:\.\d+)?/g, '#')
    .replace(/(?:, (?:'…' over '…'|'…'|#))+/g, '');
}

/**
 * An error's `exception` as jetstream's log handler writes it, the text of Python's exc_info
 * triple: `(<class 'Type'>, Type('message'), None)`, with what contrail knows (its type and
 * message; no traceback, as jetstream writes for an exception it logs without raising it).
 * Null for a warning, which jetstream logs without an exception.
 */
export function exceptionText(
  errorType: string | null,
  message: string | null,
  level: string | null,
): string | null {
  if (errorType === null || level === 'WARNING') return null;
  const args = message ? pythonStringRepr(message) : '';
  return `(<class '${errorType}'>, ${errorType}(${args}), None)`;
}

/**
 * Python's repr() of a string: single quotes unless it holds one and no double quote, with
 * backslashes, the quote and characters Python does not print escaped.
 */
function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch))
      out +=
        code < 0x100 ? `\\x${hex(code, 2)}` : code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}
