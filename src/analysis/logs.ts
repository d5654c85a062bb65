import { createHash } from 'node:crypto';
import { addDays, type IsoDate, startOfDayMs } from '../dates.js';
import type { ErrorSubject } from '../errors.js';
import { experimentLogsSql } from '../sql/plan/reads.js';
import type { ColumnType, TableRef, Warehouse } from '../warehouse/warehouse.js';
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
 * tool version, config commit). The same warning or error of the same analysis is one row
 * however often it is written, with the time it was last written. Not its time, nor what is
 * derived from those facts (`exception`) or moves with the code (`filename`, `func_name`): a
 * row logged again after an upgrade keeps its id.
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
  row.exception = exceptionText(error.errorType, error.message, level);
  row.filename = error.raisedAt?.filename ?? null;
  row.func_name = error.raisedAt?.funcName ?? null;
  row.log_id = logId(row);
  return row;
}

/**
 * What the exported errors say produced them: jetstream's `LogSource` (mozilla-nimbus-schemas),
 * which names the kind of run, an analysis or a preview. Experimenter validates the file
 * against that enum, so contrail's own `source` (`contrail`, in the logs table) cannot appear
 * there.
 */
export type ExportedLogSource = 'jetstream' | 'jetstream-preview';

const EXPORTED_BASES: ReadonlySet<string> = new Set(['enrollments', 'exposures']);

/**
 * One entry of `errors_<slug>.json`, in jetstream's AnalysisError shape (mozilla-nimbus-schemas),
 * which Experimenter validates the whole file against before it shows any result: `filename`
 * and `func_name` are required strings, `analysis_basis` is one basis or null. Plus
 * `analysis_period`, which that shape leaves out and its readers ignore.
 */
export interface ExportedError {
  analysis_basis: 'enrollments' | 'exposures' | null;
  source: ExportedLogSource;
  exception: string | null;
  exception_type: string | null;
  experiment: string | null;
  filename: string;
  func_name: string;
  log_level: string;
  message: string;
  metric: string | null;
  segment: string | null;
  statistic: string | null;
  timestamp: string;
  analysis_period: string | null;
}

/** A logs-table row as the export reads it (columns added later may be missing in old tables). */
export type LoggedRow = {
  timestamp: unknown;
  experiment: string | null;
  stage: string | null;
  log_level: string | null;
  exception_type: string | null;
  message: string | null;
  metric?: string | null;
  statistic?: string | null;
  segment?: string | null;
  analysis_basis?: string | null;
  analysis_period?: string | null;
  config_file?: string | null;
  /**
   * As logged: contrail's own derived from its type and message, jetstream's (in a logs table it
   * shares) as its handler wrote it. Null in a row logged before the column existed: derived again.
   */
  exception?: string | null;
};

/**
 * A config file as the export names it: from the config repo's own folders on
 * (`jetstream/defaults/firefox_desktop.toml`, `definitions/firefox_desktop.toml`), never the
 * worker's path to its checkout; a file outside that layout by its name alone.
 */
export function exportedConfigFile(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  const at = parts.findLastIndex((p) => p === 'jetstream' || p === 'definitions');
  return at >= 0 ? parts.slice(at).join('/') : (parts.at(-1) ?? path);
}

/**
 * The export entries of one logged row, one per basis and segment, as jetstream logs them. A
 * row about one basis (a statistic warning names each basis it held on in a row of its own)
 * lists the segments of that basis, so its entries are that basis in each segment. A row about
 * several bases (a failure, or a warning logged before warnings were logged per basis) does not
 * say which segments went with which basis: one entry per basis, its segments as the row lists
 * them. `filename` is the config file the row's subject was defined in (where its author looks),
 * else `contrail`; `func_name` is the step that logged it.
 */
export function exportedErrors(row: LoggedRow, source: ExportedLogSource): ExportedError[] {
  const bases = listed(row.analysis_basis).filter((b): b is 'enrollments' | 'exposures' =>
    EXPORTED_BASES.has(b),
  );
  const segments = listed(row.segment);
  const places: { basis: ExportedError['analysis_basis']; segment: string | null }[] =
    bases.length > 1
      ? bases.map((basis) => ({ basis, segment: row.segment ?? null }))
      : (segments.length > 0 ? segments : [null]).map((segment) => ({ basis: bases[0] ?? null, segment }));
  return places.map(({ basis, segment }) => ({
    analysis_basis: basis,
    source,
    exception: row.exception ?? exceptionText(row.exception_type, row.message, row.log_level),
    exception_type: row.exception_type,
    experiment: row.experiment,
    filename: row.config_file ? exportedConfigFile(row.config_file) : 'contrail',
    func_name: row.stage ?? 'analysis',
    log_level: row.log_level ?? 'ERROR',
    message: row.message ?? '',
    metric: row.metric ?? null,
    segment,
    statistic: row.statistic ?? null,
    timestamp: timestampText(row.timestamp),
    analysis_period: row.analysis_period ?? null,
  }));
}

/** The names a logs-table column lists, comma-separated (null: none). */
function listed(text: string | null | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/**
 * An error's `exception` as jetstream's log handler writes it, the text of Python's exc_info
 * triple: `(<class 'Type'>, Type('message'), None)`, with what contrail knows (its type and
 * message; no traceback, as jetstream writes for an exception it logs without raising it).
 * Null for a warning, which jetstream logs without an exception.
 */
function exceptionText(
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

/**
 * The kinds of error jetstream's errors export leaves out (its SKIP_ERROR_TYPES): an analysis
 * refused because the experiment has ended or its enrollment is not complete. contrail logs
 * neither (such a date has nothing due and starts no analysis), but a logs table jetstream also
 * wrote to holds them.
 */
const SKIPPED_ERROR_TYPES: ReadonlySet<string> = new Set([
  'EndedException',
  'EnrollmentNotCompleteException',
]);

/**
 * Since when an errors file lists an experiment's logs, as jetstream's export chooses: from the
 * start of the current analysis week (weeks counted from the day after Experimenter's enrollment
 * end date) that began before the run did, else (no enrollment end, or the run began within its
 * first day) from the run's start; floored to the minute. Older logs are about results a later
 * run has replaced: a warning about a metric since fixed leaves the results page.
 */
export function errorsSince(runStart: Date, enrollmentEndDate: IsoDate | null): Date {
  let since = runStart.getTime();
  if (enrollmentEndDate !== null) {
    for (
      let week = addDays(enrollmentEndDate, 1);
      startOfDayMs(week) < runStart.getTime();
      week = addDays(week, 7)
    )
      since = startOfDayMs(week);
  }
  return new Date(since - (since % 60_000));
}

/**
 * Which of an experiment's log rows go to its errors file: those logged since `since` (null:
 * every row) whose type jetstream does not leave out. A row without a type is left out too:
 * jetstream's export keeps rows `WHERE exception_type != '…'`, which a NULL never passes, so
 * what its log handler writes without an exception (every warning it logs, an error logged
 * without one) never reaches its file; from a logs table it shares, such a row would reach
 * Experimenter through contrail's as an "Unknown error". contrail's own rows always have a type
 * (its warnings `StatisticWarning`, which Experimenter names them by). A row whose time cannot
 * be read stays, as Experimenter keeps an entry whose timestamp it cannot read.
 */
function inErrorsFile(row: LoggedRow, since: Date | null): boolean {
  if (row.exception_type === null || SKIPPED_ERROR_TYPES.has(row.exception_type)) return false;
  if (since === null) return true;
  const at = loggedAt(row.timestamp);
  return at === null || at >= since.getTime();
}

function loggedAt(value: unknown): number | null {
  const at =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? null : at;
}

/**
 * The experiment's logged errors that its errors file lists (`inErrorsFile`: since `since`, null
 * for all), in `exportOrder`; none when nothing was ever logged.
 */
export async function experimentErrors(
  warehouse: Warehouse,
  dataset: string,
  slug: string,
  source: ExportedLogSource,
  since: Date | null = null,
): Promise<ExportedError[]> {
  const ref: TableRef = { dataset, table: LOGS_TABLE };
  if (!(await warehouse.tableExists(ref))) return [];
  const rows = await warehouse.query<LoggedRow>(experimentLogsSql(warehouse.sqlDialect, ref, slug));
  return rows
    .filter((r) => inErrorsFile(r, since))
    .flatMap((r) => exportedErrors(r, source))
    .sort(exportOrder);
}

/**
 * What an entry says, in the order its errors file breaks a tie in time by: the analysis's
 * errors before its warnings, then what each is about, then its wording.
 */
const EXPORT_ORDER_FIELDS = [
  'log_level',
  'experiment',
  'metric',
  'statistic',
  'segment',
  'analysis_basis',
  'analysis_period',
  'source',
  'exception_type',
  'message',
  'filename',
  'func_name',
  'exception',
] as const satisfies readonly (keyof ExportedError)[];

/**
 * The order of an errors file: oldest first (an unreadable time last), then by what the entry
 * says (`EXPORT_ORDER_FIELDS`, a missing value first). Rows logged in the same instant, as a
 * step's warnings are, come back from the warehouse in its own order, which follows `log_id`
 * and so the config file's path on the worker: without this, the same analysis run from two
 * checkouts would list the same entries in two orders. Ordered here rather than in the query,
 * which reads logs tables that older contrails and jetstream wrote without some of these columns.
 */
export function exportOrder(a: ExportedError, b: ExportedError): number {
  const at = loggedAt(a.timestamp);
  const bt = loggedAt(b.timestamp);
  if (at !== bt) {
    if (at === null) return 1;
    if (bt === null) return -1;
    return at - bt;
  }
  for (const field of ['timestamp', ...EXPORT_ORDER_FIELDS] as const) {
    const order = compareText(a[field], b[field]);
    if (order !== 0) return order;
  }
  return 0;
}

/** Code-unit order (the same on every machine, whatever its locale), null first. */
function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function timestampText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
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
