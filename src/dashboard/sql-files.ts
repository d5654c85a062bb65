import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { contrailCommand } from '../command-name.js';
import { ANALYSIS_BASES } from '../config/spec.js';
import { EXPOSURE_DATE_COLUMN, enrollmentsTableName } from '../sql/names.js';
import { IDENTITY_METRIC } from '../statistics/results.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import type { SqlPanel, SqlQuery, ViewResponse, ViewSelection } from './api.js';
import {
  SQL_PROVENANCE_FILE,
  type SqlLineRange,
  SqlProvenanceMap,
  type SqlQueryProvenance,
} from './schema.js';

/**
 * The most queries the panel lists: more would bury the one you are after. A longer list keeps
 * its newest windows and its note says how many were left out.
 */
const MAX_QUERIES = 12;
/** A directory tree larger than this is not a `--sql-output-dir`; stop walking it. */
const MAX_FILES = 20_000;

/** Every file under `dir` (depth-first, sorted), up to MAX_FILES. */
async function walk(dir: string, out: string[] = []): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (out.length >= MAX_FILES) break;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Line ranges (1-based) of the lines that name `word` as a whole word. */
function linesNaming(sql: string, word: string): SqlLineRange[] {
  const pattern = new RegExp(`(^|[^A-Za-z0-9_])${word.replace(/[^A-Za-z0-9_]/g, '')}($|[^A-Za-z0-9_])`);
  const ranges: SqlLineRange[] = [];
  sql.split('\n').forEach((line, i) => {
    if (pattern.test(line)) ranges.push({ start: i + 1, end: i + 1 });
  });
  return ranges;
}

interface MapFile {
  dir: string;
  root: string;
  map: SqlProvenanceMap;
}

/** A query found for the panel, with where it sorts and the window it belongs to. */
type Found = SqlQuery & {
  order: string;
  /** Queries of one analysis date and window: the panel keeps or leaves them out together. */
  group: string;
  windowIndex: number | null;
};

/**
 * The enrollments table of the selection's experiment, when the metric shown is `identity`
 * (jetstream's enrolment count): it has no query of its own, the statistics count each branch's
 * clients, so the SQL behind its numbers is the query that writes that table. Null for any other metric.
 */
function identityTable(selection: ViewSelection): string | null {
  if (selection.metric !== IDENTITY_METRIC || selection.experiment === null) return null;
  return enrollmentsTableName(selection.experiment);
}

/**
 * The columns of the enrollments query behind the selection's clients beside the branch: its
 * segment's and, on the exposures basis, `exposure_date` (the exposure signal). The numbers of
 * a segment or of the exposures basis are only as right as that SQL, which no metrics query
 * holds; empty for all clients on the enrollments basis.
 */
function enrollmentColumns(selection: ViewSelection): string[] {
  return [
    ...(selection.segment !== null && selection.segment !== 'all' ? [selection.segment] : []),
    ...(selection.basis === 'exposures' ? [EXPOSURE_DATE_COLUMN] : []),
  ];
}

function relevant(q: SqlQueryProvenance, selection: ViewSelection): boolean {
  const enrollments = identityTable(selection);
  if (enrollments !== null) return q.destination.table === enrollments;
  if (
    selection.experiment !== null &&
    q.destination.table === enrollmentsTableName(selection.experiment) &&
    enrollmentColumns(selection).length > 0
  )
    return true;
  if (selection.metric !== null && !q.metrics.includes(selection.metric)) return false;
  if (q.period !== null && q.period !== selection.period) return false;
  if (q.analysisBasis !== null && q.analysisBasis !== selection.basis) return false;
  return true;
}

/**
 * The query that wrote the enrollments table the windows of `dates` read: the latest written on
 * or before the newest of them. A preview writes it on its first date only, and every later
 * date reads that table, so it is not among the queries of a later window's date. Null when
 * there is none (or no window shown).
 */
function enrollmentsQuery(
  queries: SqlQueryProvenance[],
  table: string,
  dates: Set<string | null>,
): SqlQueryProvenance | null {
  if (dates.size === 0) return null;
  const known = [...dates].filter((d): d is string => d !== null).sort();
  const newest = known.at(-1) ?? null;
  let found: SqlQueryProvenance | null = null;
  for (const q of queries) {
    if (q.windowIndex !== null || q.destination.table !== table) continue;
    if (q.analysisDate !== null && newest !== null && q.analysisDate > newest) continue;
    if (found === null || (q.analysisDate ?? '') >= (found.analysisDate ?? '')) found = q;
  }
  return found;
}

/** The keepNewest group of the newest of `queries` (windowed queries of the panel). */
function newestGroup(queries: SqlQueryProvenance[]): string | null {
  const groups = queries.map((q) => `${q.analysisDate ?? ''}|${q.windowIndex ?? ''}`);
  return groups.sort((a, b) => a.localeCompare(b)).at(-1) ?? null;
}

/**
 * The windows whose numbers the page shows: those of the rows on screen, else (a selection
 * without rows) every window of the selected period.
 */
export function windowsShown(view: Pick<ViewResponse, 'selection' | 'rows' | 'choices'>): number[] {
  const fromRows = view.rows.map((r) => Number(r.window_index)).filter((w) => Number.isInteger(w));
  const windows =
    fromRows.length > 0
      ? fromRows
      : (view.choices.periods.find((p) => p.period === view.selection.period)?.windows ?? []);
  return [...new Set(windows)].sort((a, b) => a - b);
}

/** `1-4, 7`: window indexes as a reader scans them. */
function windowList(windows: Iterable<number>): string {
  const sorted = [...new Set(windows)].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    runs.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return runs.join(', ');
}

/**
 * At most `max` of `found` (sorted oldest first), keeping the newest windows whole: a window
 * is left out only together with every older one.
 */
function keepNewest(found: Found[], max: number): { kept: Found[]; left: Found[] } {
  const groups = new Map<string, Found[]>();
  for (const f of found) groups.set(f.group, [...(groups.get(f.group) ?? []), f]);
  const ordered = [...groups.values()];
  let kept: Found[] = [];
  for (let i = ordered.length - 1; i >= 0; i--) {
    const group = ordered[i] as Found[];
    if (kept.length + group.length <= max) kept = [...group, ...kept];
    else {
      if (kept.length === 0) kept = group.slice(0, max);
      break;
    }
  }
  const keptSet = new Set(kept);
  return { kept, left: found.filter((f) => !keptSet.has(f)) };
}

/** The window index a `<prefix>_<period>_<window>` table name ends with, or null. */
function tableWindow(table: string, period: string): number | null {
  const match = new RegExp(`_${period}_(\\d+)$`).exec(table);
  return match ? Number(match[1]) : null;
}

/**
 * The SQL that produced the numbers on screen, from the `.sql` files of the directories the
 * dashboard was started with: the selection's experiment, dataset, period, basis and metric, in
 * the `windows` shown. A provenance map beside the files (SqlProvenanceMap) says which dataset
 * they were written for, which query computes which metric in which window and where each
 * fragment came from in the configs; without one, the files are matched by table name
 * (experiment, period, window, basis) and by naming the metric.
 */
export async function sqlPanel(
  dirs: string[],
  selection: ViewSelection,
  windows: number[],
): Promise<SqlPanel> {
  const panel: SqlPanel = { dirs, traced: false, queries: [], note: null };
  if (dirs.length === 0) {
    panel.note = `start the dashboard with --sql_output_dir <dir> (the directory given to \`${contrailCommand()} preview --sql_output_dir\`) to see the SQL`;
    return panel;
  }
  if (selection.experiment === null) return panel;
  const problems: string[] = [];
  const maps: MapFile[] = [];
  const files: { root: string; path: string }[] = [];
  for (const root of dirs.map((d) => resolve(d))) {
    for (const path of await walk(root)) {
      if (basename(path) === SQL_PROVENANCE_FILE) {
        try {
          const parsed = SqlProvenanceMap.safeParse(JSON.parse(await readFile(path, 'utf8')));
          if (parsed.success) maps.push({ dir: dirname(path), root, map: parsed.data });
          else {
            const issue = parsed.error.issues[0];
            problems.push(`${path}: ${issue?.path.join('.') || '(map)'}: ${issue?.message}`);
          }
        } catch (error) {
          problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
        }
      } else if (path.endsWith('.sql')) {
        files.push({ root, path });
      }
    }
  }

  const shown = new Set(windows);
  const where = `${selection.period} windows ${windowList(windows) || '(none)'} of dataset '${selection.dataset}'`;
  const how = `start the dashboard with the --sql_output_dir of the preview or plan that wrote them (\`${contrailCommand()} preview\` or \`${contrailCommand()} plan\` with --dataset_id ${selection.dataset} --sql_output_dir <dir>)`;
  let missing: string | null = null;
  const found: Found[] = [];
  const ofExperiment = maps.filter((m) => normalizeSlug(m.map.experiment) === selection.experiment);
  // A map of another dataset describes other tables: its SQL did not produce these numbers.
  const mine = ofExperiment.filter((m) => m.map.dataset === selection.dataset);
  if (ofExperiment.length > 0 && mine.length === 0) {
    const datasets = [...new Set(ofExperiment.map((m) => `'${m.map.dataset}'`))].join(', ');
    missing = `${dirs.join(', ')} has no SQL of ${selection.experiment} for dataset '${selection.dataset}' (only for dataset ${datasets}): ${how}`;
  } else if (mine.length > 0) {
    panel.traced = true;
    const ofPeriod = new Set<number>();
    let inWindows = 0;
    for (const { dir, root, map } of mine) {
      // Queries of the shown windows, then those of no window (enrollments) on the same dates.
      const windowed = map.queries.filter((q) => {
        if (q.windowIndex === null || q.period !== selection.period) return false;
        ofPeriod.add(q.windowIndex);
        return shown.has(q.windowIndex);
      });
      inWindows += windowed.length;
      const dates = new Set(windowed.map((q) => q.analysisDate));
      const enrollmentsTable = enrollmentsTableName(selection.experiment);
      const unwindowed = map.queries.filter(
        (q) =>
          q.windowIndex === null &&
          q.destination.table !== enrollmentsTable &&
          windowed.length > 0 &&
          (q.analysisDate === null || dates.has(q.analysisDate)),
      );
      const enrollments = enrollmentsQuery(map.queries, enrollmentsTable, dates);
      for (const q of [...windowed, ...unwindowed, ...(enrollments ? [enrollments] : [])]) {
        if (!relevant(q, selection)) continue;
        const path = resolve(dir, q.file);
        if (!inside(dir, path)) {
          problems.push(`${join(dir, SQL_PROVENANCE_FILE)}: file '${q.file}' is outside the map's directory`);
          continue;
        }
        let sql: string;
        try {
          sql = await readFile(path, 'utf8');
        } catch {
          problems.push(`${relative(root, path)} is listed in ${SQL_PROVENANCE_FILE} but missing`);
          continue;
        }
        const columns = q === enrollments ? enrollmentColumns(selection) : [];
        const mineRefs = q.references.filter((r) =>
          columns.length > 0
            ? r.column === null || columns.includes(r.column)
            : selection.metric === null || r.column === selection.metric || r.column === null,
        );
        found.push({
          file: relative(root, path),
          table: q.destination.table,
          sql,
          references: mineRefs,
          highlight: mineRefs.filter((r) => r.column !== null).map((r) => r.sqlLines),
          order: `${q.analysisDate ?? ''}|${String(q.windowIndex ?? 0).padStart(6, '0')}|${q.destination.table}`,
          // The enrollments query goes with the newest window shown: every window read its table.
          group:
            q === enrollments
              ? (newestGroup(windowed) ?? '')
              : `${q.analysisDate ?? ''}|${q.windowIndex ?? ''}`,
          windowIndex: q.windowIndex,
        });
      }
    }
    if (inWindows === 0) {
      const there =
        ofPeriod.size > 0
          ? `only ${selection.period} windows ${windowList(ofPeriod)}`
          : `no ${selection.period} window`;
      missing = `${dirs.join(', ')} has no SQL of ${selection.experiment} for ${where} (its SQL for the dataset has ${there}): ${how}`;
    }
  } else {
    const slug = selection.experiment;
    const period = selection.period ?? '';
    const otherBases = ANALYSIS_BASES.filter((b) => b !== selection.basis);
    const enrollments = identityTable(selection);
    // The directories (analysis dates) of the windows shown: their enrollments query is the one
    // that counted the clients of the `identity` metric.
    const ofWindows = new Map<string, number>();
    for (const { root, path } of files) {
      const table = basename(path, '.sql');
      if (!table.includes(slug) || !table.includes(`_${period}_`)) continue;
      if (otherBases.some((b) => table.includes(`${slug}_${b}_`))) continue;
      const windowIndex = tableWindow(table, period);
      if (windowIndex === null || !shown.has(windowIndex)) continue;
      ofWindows.set(dirname(path), Math.max(windowIndex, ofWindows.get(dirname(path)) ?? 0));
      if (enrollments !== null) continue;
      const sql = await readFile(path, 'utf8');
      const highlight = selection.metric === null ? [] : linesNaming(sql, selection.metric);
      if (selection.metric !== null && highlight.length === 0) continue;
      const file = relative(root, path);
      found.push({
        file,
        table,
        sql,
        references: [],
        highlight,
        order: file,
        group: `${dirname(file)}|${windowIndex}`,
        windowIndex,
      });
    }
    for (const { root, path } of files) {
      const windowIndex = ofWindows.get(dirname(path));
      if (basename(path, '.sql') !== enrollments || windowIndex === undefined) continue;
      const file = relative(root, path);
      found.push({
        file,
        table: enrollments,
        sql: await readFile(path, 'utf8'),
        references: [],
        highlight: [],
        order: file,
        group: `${dirname(file)}|${windowIndex}`,
        windowIndex,
      });
    }
  }
  found.sort((a, b) => a.order.localeCompare(b.order));
  const { kept, left } = keepNewest(found, MAX_QUERIES);
  panel.queries = kept.map(({ order: _order, group: _group, windowIndex: _windowIndex, ...q }) => q);

  const notes = [...problems];
  const enrollments = identityTable(selection);
  if (missing !== null) {
    notes.unshift(missing);
  } else if (enrollments !== null) {
    notes.unshift(
      `metric '${IDENTITY_METRIC}' is the enrolment count (statistic count: the clients of each branch), computed from the enrollments table ${enrollments}, with no query of its own; ${
        panel.queries.length > 0
          ? 'listed is the query that writes that table'
          : `${dirs.join(', ')} has no query writing it for these windows`
      }`,
    );
  } else if (panel.queries.length === 0) {
    notes.unshift(
      `no query for metric '${selection.metric}' (${selection.period}, ${selection.basis}) of ${selection.experiment} in ${dirs.join(', ')}`,
    );
  } else if (!panel.traced) {
    notes.unshift(
      `no ${SQL_PROVENANCE_FILE} for this experiment: queries found by table name, lines naming the metric highlighted, without config references or the dataset they were written for`,
    );
  }
  if (left.length > 0) {
    const leftWindows = left.flatMap((f) => (f.windowIndex === null ? [] : [f.windowIndex]));
    notes.push(
      `${left.length} more ${left.length === 1 ? 'query' : 'queries'} of older windows not listed${leftWindows.length > 0 ? ` (${selection.period} windows ${windowList(leftWindows)})` : ''}: the panel lists at most ${MAX_QUERIES}, the newest windows'`,
    );
  }
  panel.note = notes.length > 0 ? notes.join('\n') : null;
  return panel;
}
