// The errors file Experimenter shows a config author (`errors_<slug>.json`): the dataset's logs
// rows of one experiment, in jetstream's exported shape and order.
import { configFileInRepo } from '../config/repo-layout.js';
import { addDays, type IsoDate, startOfDayMs } from '../dates.js';
import { experimentLogsSql } from '../sql/plan/reads.js';
import type { TableRef, Warehouse } from '../warehouse/warehouse.js';
import { exceptionText, LOGS_TABLE } from './logs.js';

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
    // Rows logged before the logs table named files by their place in the repo name them by the
    // worker's path to it: named here as the others are.
    filename: row.config_file ? configFileInRepo(row.config_file) : 'contrail',
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
