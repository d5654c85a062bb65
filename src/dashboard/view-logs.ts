import { messageShape } from '../analysis/logs.js';
import { QUERY_COSTS_TABLE } from '../analysis/query-costs.js';
import { LogRow, QueryCostRow } from '../analysis/table-rows.js';
import { ANALYSIS_PERIODS, type AnalysisPeriod } from '../config/periods.js';
import type { SqlDialect } from '../sql/dialect.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import type { TableRef, Warehouse } from '../warehouse/warehouse.js';
import type { CostsPanel, ErrorsPanel, LoggedColumn, LoggedProblem } from './api.js';

/**
 * What a view shows of a dataset's run logs and per-query costs: the errors panel, the dates a run
 * logged errors on, and the cost rows of an experiment.
 */

/**
 * At most this many log rows per view: a production dataset's log is long. Errors come first,
 * newest first, then warnings: a daily analysis logs statistics warnings every day, and the
 * newest of them would otherwise push an older error, the one the page's notice points to, out
 * of the rows shown.
 */
const MAX_LOG_ROWS = 500;

/**
 * The errors panel's columns, in the order a reader needs them: what went wrong, where in the
 * config to fix it, what it concerns; the run's bookkeeping (which experiment, when logged, by
 * which build) last.
 */
const LOG_COLUMN_ORDER = [
  'log_level',
  'occurred',
  'message',
  'config_file',
  'config_line',
  'config_key',
  'metric',
  'statistic',
  'analysis_basis',
  'segment',
  'exception_type',
  'stage',
  'query',
  'experiment',
  'timestamp',
  'tool_version',
  'config_commit',
] as const satisfies readonly LoggedColumn[];
/**
 * The log's columns a problem's entries differ in by when they were logged: the `occurred`
 * column lists them together.
 */
const OCCURRENCE_COLUMNS: readonly (keyof LogRow)[] = ['analysis_date', 'analysis_period'];
/** Every column of a problem, in that order (a column added to LogRow later comes last). */
const LOG_COLUMNS_SHOWN: LoggedColumn[] = [
  ...LOG_COLUMN_ORDER,
  ...(Object.keys(LogRow.shape) as (keyof LogRow)[]).filter(
    (k) => !(LOG_COLUMN_ORDER as readonly string[]).includes(k) && !OCCURRENCE_COLUMNS.includes(k),
  ),
];
/**
 * Columns a problem lists each value of (it was seen on the enrollments and exposures basis, in
 * which segments, in which stages); the others hold the newest entry's (its time, its query).
 */
const LISTED_COLUMNS: readonly (keyof LogRow)[] = [
  'analysis_basis',
  'segment',
  'stage',
  'tool_version',
  'config_commit',
];
/** What makes two log entries the same problem, besides the shape of their message. */
const PROBLEM_COLUMNS: readonly (keyof LogRow)[] = [
  'log_level',
  'exception_type',
  'config_file',
  'config_line',
  'config_key',
  'metric',
  'statistic',
  'experiment',
];
const MAX_COST_ROWS = 2000;

/** "3 errors were logged [for x] (analysis dates a, b)". */
export function errorsLogged(failed: { date: string; errors: number }[], experiment?: string): string {
  const count = failed.reduce((n, f) => n + f.errors, 0);
  return `${count} error${count === 1 ? ' was' : 's were'} logged${experiment === undefined ? '' : ` for ${experiment}`} (analysis date${failed.length === 1 ? '' : 's'} ${failed.map((f) => f.date).join(', ')})`;
}

/** The analysis dates on which errors (not warnings) were logged for the experiment. */
export async function errorDates(
  warehouse: Warehouse,
  dialect: SqlDialect,
  ref: TableRef | null,
  experiments: string[],
): Promise<{ date: string; errors: number }[]> {
  if (ref === null || experiments.length === 0) return [];
  const rows = await warehouse.query<{ analysis_date: unknown; errors: unknown }>(
    `SELECT analysis_date, COUNT(*) AS errors FROM ${dialect.table(ref)}
WHERE experiment IN (${inList(dialect, experiments)}) AND log_level = 'ERROR'
GROUP BY analysis_date
ORDER BY analysis_date`,
  );
  return rows.map((r) => ({ date: String(r.analysis_date ?? 'unknown'), errors: Number(r.errors) }));
}

function inList(dialect: SqlDialect, values: string[]): string {
  return values.map((v) => dialect.stringLiteral(v)).join(', ');
}

export async function readErrors(
  warehouse: Warehouse,
  dialect: SqlDialect,
  ref: TableRef | null,
  experiments: string[],
): Promise<ErrorsPanel> {
  if (ref === null) return { present: false, columns: [], rows: [], entries: 0, truncated: false };
  if (experiments.length === 0) return { present: true, columns: [], rows: [], entries: 0, truncated: false };
  const raw = await warehouse.query(
    `SELECT * FROM ${dialect.table(ref)}
WHERE experiment IN (${inList(dialect, experiments)})
ORDER BY CASE WHEN log_level = 'ERROR' THEN 0 ELSE 1 END, timestamp DESC
LIMIT ${MAX_LOG_ROWS + 1}`,
  );
  const rows: LogRow[] = [];
  for (const row of raw.slice(0, MAX_LOG_ROWS)) {
    // Columns of an unexpected type are shown as text rather than dropping the error.
    const parsed = LogRow.safeParse(row);
    rows.push(parsed.success ? parsed.data : LogRow.parse(textColumns(row)));
  }
  const problems = groupProblems(rows);
  const columns = LOG_COLUMNS_SHOWN.filter((k) =>
    problems.some((r) => (k === 'occurred' ? r.occurred.length > 0 : r[k] !== null && r[k] !== undefined)),
  );
  return {
    present: true,
    columns,
    rows: problems,
    entries: rows.length,
    truncated: raw.length > MAX_LOG_ROWS,
  };
}

/**
 * The log's entries as the problems they report, as a preview's report groups them: a broken
 * config key fails every date and period it is computed for, and is one thing to fix. `rows`
 * come errors first, newest first: each problem stands where its first entry did.
 */
function groupProblems(rows: readonly LogRow[]): LoggedProblem[] {
  const problems = new Map<string, { rows: LogRow[] }>();
  for (const row of rows) {
    const key = JSON.stringify([
      ...PROBLEM_COLUMNS.map((c) => row[c] ?? null),
      messageShape(String(row.message ?? '')),
    ]);
    const problem = problems.get(key) ?? { rows: [] };
    problem.rows.push(row);
    problems.set(key, problem);
  }
  return [...problems.values()].map(({ rows: entries }) => {
    const newest = entries[0] as LogRow;
    const problem: LoggedProblem = {
      ...newest,
      occurred: occurrences(entries),
      entries: entries.length,
      otherValues: entries.filter((e) => e.message !== newest.message).length,
    };
    for (const column of OCCURRENCE_COLUMNS) delete problem[column];
    for (const column of LISTED_COLUMNS) {
      const values = [...new Set(entries.map((e) => e[column]).filter((v) => v !== null && v !== undefined))];
      if (values.length > 1) Object.assign(problem, { [column]: values.map(String).join(', ') });
    }
    return problem;
  });
}

/** "2026-03-29 week", "2026-03-29 day", "2026-03-28 day": each date and period once, newest first. */
function occurrences(entries: readonly LogRow[]): string[] {
  const seen = entries
    .filter((e) => e.analysis_date !== null && e.analysis_date !== undefined)
    .map((e) => ({ date: String(e.analysis_date), period: e.analysis_period ?? null }));
  const unique = new Map(seen.map((o) => [`${o.date} ${o.period ?? ''}`.trim(), o]));
  return [...unique]
    .sort(([, a], [, b]) => b.date.localeCompare(a.date) || (a.period ?? '').localeCompare(b.period ?? ''))
    .map(([text]) => text);
}

function textColumns(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(LogRow.shape)) {
    const value = row[key];
    if (value === null || value === undefined) continue;
    out[key] =
      key === 'config_line'
        ? Number.isFinite(Number(value))
          ? Number(value)
          : null
        : typeof value === 'string'
          ? value
          : JSON.stringify(value);
  }
  return out;
}

export interface CostRows {
  present: boolean;
  rows: QueryCostRow[];
  problems: string[];
}

/**
 * The dataset's per-query costs (a small table: one row per query of each preview). Whatever
 * is wrong with the table is reported on the page instead of failing the view.
 */
export async function readCostRows(
  warehouse: Warehouse,
  dialect: SqlDialect,
  ref: TableRef | null,
): Promise<CostRows> {
  if (ref === null) return { present: false, rows: [], problems: [] };
  let raw: Record<string, unknown>[];
  try {
    raw = await warehouse.query(`SELECT * FROM ${dialect.table(ref)} LIMIT ${MAX_COST_ROWS}`);
  } catch (error) {
    return {
      present: true,
      rows: [],
      problems: [
        `cannot read ${QUERY_COSTS_TABLE}: ${error instanceof Error ? error.message : String(error)}`,
      ],
    };
  }
  const rows: QueryCostRow[] = [];
  const problems: string[] = [];
  raw.forEach((row, i) => {
    const parsed = QueryCostRow.safeParse(row);
    if (parsed.success) rows.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      problems.push(
        `${QUERY_COSTS_TABLE} row ${i}: column ${issue?.path.join('.') || '?'}: ${issue?.message}`,
      );
    }
  });
  rows.sort(
    (a, b) =>
      (a.analysis_date ?? '').localeCompare(b.analysis_date ?? '') ||
      (a.timestamp ?? '').localeCompare(b.timestamp ?? ''),
  );
  return { present: true, rows, problems: problems.slice(0, 20) };
}

/** The cost rows of one experiment (rows that name no experiment belong to every one). */
export function costsOf(costs: CostRows, tableSlug: string): CostsPanel {
  return {
    present: costs.present,
    rows: costs.rows.filter(
      (r) => typeof r.experiment !== 'string' || normalizeSlug(r.experiment) === tableSlug,
    ),
    problems: costs.problems,
  };
}

/**
 * The analysis date a preview computed a window on, from its per-query costs: the queries
 * writing that window's tables (`…_<period>_<window>`; the statistics themselves are written
 * without a query) name it. The newest, when the window was computed more than once; null when
 * no cost row names the window (a daily analysis keeps no costs).
 */
export function windowAnalysisDate(
  rows: readonly QueryCostRow[],
  period: AnalysisPeriod,
  window: number,
): string | null {
  const ofPeriod = (p: AnalysisPeriod) => `_${p}_${window}`;
  // `…_preenrollment_week_1` ends like `…_week_1` too: a longer period's name is not this one's.
  const longer = ANALYSIS_PERIODS.filter((p) => p !== period && p.endsWith(period));
  const dates = rows
    .filter(
      (r) =>
        r.destination.endsWith(ofPeriod(period)) &&
        !longer.some((p) => r.destination.endsWith(ofPeriod(p))) &&
        typeof r.analysis_date === 'string',
    )
    .map((r) => String(r.analysis_date))
    .sort();
  return dates.at(-1) ?? null;
}

/** Adds how one row spells an experiment's slug to the names of its table-name slug. */
export function addName(names: Map<string, string[]>, experiment: unknown): void {
  if (typeof experiment !== 'string') return;
  const key = normalizeSlug(experiment);
  const list = names.get(key) ?? [];
  if (!list.includes(experiment)) list.push(experiment);
  names.set(key, list);
}

/** Table-name slug → the slugs as written in the logs (Experimenter's spelling). */
export async function experimentNames(
  warehouse: Warehouse,
  dialect: SqlDialect,
  logs: TableRef | null,
): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  if (logs === null) return names;
  const rows = await warehouse.query<{ experiment: unknown }>(
    `SELECT DISTINCT experiment FROM ${dialect.table(logs)}`,
  );
  for (const { experiment } of rows) addName(names, experiment);
  return names;
}
