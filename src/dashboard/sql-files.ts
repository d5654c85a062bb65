import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ANALYSIS_BASES } from '../config/spec.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import type { SqlPanel, SqlQuery, ViewSelection } from './api.js';
import {
  SQL_PROVENANCE_FILE,
  type SqlLineRange,
  SqlProvenanceMap,
  type SqlQueryProvenance,
} from './schema.js';

/** Enough queries for every window of a metric; more would bury the one you are after. */
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

function relevant(q: SqlQueryProvenance, selection: ViewSelection): boolean {
  if (selection.metric !== null && !q.metrics.includes(selection.metric)) return false;
  if (q.period !== null && q.period !== selection.period) return false;
  if (q.analysisBasis !== null && q.analysisBasis !== selection.basis) return false;
  return true;
}

/**
 * The SQL that produced the selection's numbers, from the `.sql` files of the directories the
 * dashboard was started with. A provenance map beside the files (SqlProvenanceMap) says which
 * query computes which metric and where each fragment came from in the configs; without one,
 * the files are matched by table name (experiment, period, basis) and by naming the metric.
 */
export async function sqlPanel(dirs: string[], selection: ViewSelection): Promise<SqlPanel> {
  const panel: SqlPanel = { dirs, traced: false, queries: [], note: null };
  if (dirs.length === 0) {
    panel.note =
      'start the dashboard with --sql-output-dir <dir> (the directory given to `contrail preview --sql-output-dir`) to see the SQL';
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

  const mine = maps.filter((m) => normalizeSlug(m.map.experiment) === selection.experiment);
  if (mine.length > 0) {
    panel.traced = true;
    const found: (SqlQuery & { order: string })[] = [];
    for (const { dir, root, map } of mine) {
      for (const q of map.queries) {
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
        const mineRefs = q.references.filter(
          (r) => selection.metric === null || r.column === selection.metric || r.column === null,
        );
        found.push({
          file: relative(root, path),
          table: q.destination.table,
          sql,
          references: mineRefs,
          highlight: mineRefs.filter((r) => r.column !== null).map((r) => r.sqlLines),
          order: `${q.analysisDate ?? ''}|${String(q.windowIndex ?? 0).padStart(6, '0')}|${q.destination.table}`,
        });
      }
    }
    found.sort((a, b) => a.order.localeCompare(b.order));
    panel.queries = found.slice(0, MAX_QUERIES).map(({ order: _order, ...q }) => q);
  } else {
    const slug = selection.experiment;
    const otherBases = ANALYSIS_BASES.filter((b) => b !== selection.basis);
    for (const { root, path } of files) {
      const table = basename(path, '.sql');
      if (!table.includes(slug) || !table.includes(`_${selection.period}_`)) continue;
      if (otherBases.some((b) => table.includes(`${slug}_${b}_`))) continue;
      const sql = await readFile(path, 'utf8');
      const highlight = selection.metric === null ? [] : linesNaming(sql, selection.metric);
      if (selection.metric !== null && highlight.length === 0) continue;
      panel.queries.push({ file: relative(root, path), table, sql, references: [], highlight });
      if (panel.queries.length >= MAX_QUERIES) break;
    }
  }
  const notes = [...problems];
  if (panel.queries.length === 0) {
    notes.unshift(
      `no query for metric '${selection.metric}' (${selection.period}, ${selection.basis}) of ${selection.experiment} in ${dirs.join(', ')}`,
    );
  } else if (!panel.traced) {
    notes.unshift(
      `no ${SQL_PROVENANCE_FILE} for this experiment: queries found by table name, lines naming the metric highlighted, without config references`,
    );
  }
  panel.note = notes.length > 0 ? notes.join('\n') : null;
  return panel;
}
