import type { ConfigProblem } from '../config/problems.js';
import type { AnalysisSpec } from '../config/spec.js';
import type { Provenance } from '../provenance.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { fillPlaceholders } from './plan/common.js';
import { SqlSyntaxError, tokenize } from './render/bigquery-lexer.js';

/**
 * SQL in a config that no warehouse accepts, whatever its dialect and tables: a bracket left
 * open or closed twice, a string never closed, an expression that stops before it is complete.
 * validate's SQL check judges configs written in BigQuery's SQL with DuckDB, whose parser also
 * rejects BigQuery syntax it does not know (`list[OFFSET(0)]`, `ARRAY_AGG(x LIMIT 1)`), and
 * over contrail's synthetic sample, which lacks columns the real tables have; so a query that
 * fails there is only a warning. What this finds is the author's mistake on any warehouse: an
 * error, named at the config item whose SQL it is.
 */
export async function syntaxProblems(warehouse: Warehouse, spec: AnalysisSpec): Promise<ConfigProblem[]> {
  const fragments = fragmentsOf(spec);
  const faults = new Map<Fragment, string>();
  const parsed: { fragment: Fragment; statement: string }[] = [];
  for (const fragment of fragments) {
    // The placeholders are filled at planning; any name parses the same.
    const sql = fillPlaceholders(fragment.sql, { experiment_slug: 'experiment', dataset: 'dataset' });
    try {
      const brackets = bracketFault(sql);
      if (brackets !== null) faults.set(fragment, brackets);
      else {
        const own = warehouse.sqlDialect.userSql(sql);
        const statement = fragment.shape === 'expression' ? `SELECT\n${own}\n` : `SELECT * FROM\n${own}\n`;
        parsed.push({ fragment, statement });
      }
    } catch (error) {
      if (!(error instanceof SqlSyntaxError)) throw error;
      faults.set(fragment, error.message);
    }
  }
  const verdicts = await parserVerdicts(
    warehouse,
    parsed.map((p) => p.statement),
  );
  for (const [i, verdict] of verdicts.entries()) {
    // Alone, with nothing after it, a fragment the parser reads to its end without finding it
    // complete is unfinished in every dialect (`CASE WHEN x THEN 1`, `a +`); any other verdict
    // may be DuckDB's own grammar.
    const { fragment } = parsed[i] as (typeof parsed)[number];
    if (verdict !== null && /^syntax error at end of input/.test(verdict))
      faults.set(
        fragment,
        `it ends before the ${fragment.shape === 'expression' ? 'expression' : 'FROM clause'} is complete (DuckDB: ${verdict})`,
      );
  }
  return fragments.flatMap((fragment) => {
    const fault = faults.get(fragment);
    if (fault === undefined) return [];
    const { file, line, key } = fragment.provenance;
    return [{ file, line, keyPath: key, message: `the SQL of ${fragment.what} is not valid SQL: ${fault}` }];
  });
}

/**
 * What DuckDB's parser says of each statement (null when it parses), all in one query: parsing
 * alone, no table or column is looked up. Other warehouses have no parser to ask without a job
 * per statement; only the bracket and string checks apply there.
 */
async function parserVerdicts(warehouse: Warehouse, statements: string[]): Promise<(string | null)[]> {
  if (warehouse.dialect !== 'duckdb' || statements.length === 0) return statements.map(() => null);
  const d = warehouse.sqlDialect;
  const rows = await warehouse.query<{ i: number; message: string | null }>(
    `SELECT i, json_extract_string(json_serialize_sql(s), '$.error_message') AS message
     FROM (VALUES ${statements.map((s, i) => `(${i}, ${d.stringLiteral(s)})`).join(', ')}) AS t(i, s)`,
  );
  const verdicts: (string | null)[] = statements.map(() => null);
  for (const row of rows) verdicts[Number(row.i)] = row.message;
  return verdicts;
}

/** One piece of SQL a config contributes to the analysis's queries, and where it is written. */
interface Fragment {
  /** How messages name its config item: `metric 'x'`, `data source 'y'`. */
  what: string;
  sql: string;
  /** An expression (a metric's, a segment's) or what follows FROM (a data source's). */
  shape: 'expression' | 'from';
  provenance: Provenance;
}

/** Every SQL fragment of the spec, each once (a metric listed for several periods is one). */
function fragmentsOf(spec: AnalysisSpec): Fragment[] {
  const fragments = new Map<string, Fragment>();
  const add = (fragment: Fragment) => fragments.set(fragment.what, fragment);
  for (const metrics of Object.values(spec.metrics))
    for (const m of metrics)
      if (m.selectExpression !== null)
        add({
          what: `metric '${m.name}'`,
          sql: m.selectExpression,
          shape: 'expression',
          provenance: m.provenance,
        });
  for (const s of spec.segments)
    add({
      what: `segment '${s.name}'`,
      sql: s.selectExpression,
      shape: 'expression',
      provenance: s.provenance,
    });
  const signal = spec.exposureSignal;
  if (signal)
    add({
      what: `exposure signal '${signal.name}'`,
      sql: signal.selectExpression,
      shape: 'expression',
      provenance: signal.provenance,
    });
  for (const sources of [spec.dataSources, spec.segmentDataSources])
    for (const ds of Object.values(sources))
      add({
        what: `data source '${ds.name}'`,
        sql: ds.fromExpression,
        shape: 'from',
        provenance: ds.provenance,
      });
  return [...fragments.values()];
}

const CLOSING: Record<string, string> = { ')': '(', ']': '[' };

/**
 * The first bracket that does not pair up, on BigQuery's tokens (never inside strings, comments
 * or quoted names), with the text it belongs to.
 */
function bracketFault(sql: string): string | null {
  const open: { bracket: string; at: number }[] = [];
  let at = 0;
  for (const token of tokenize(sql)) {
    const text = token.text;
    if (token.kind === 'punct' && (text === '(' || text === '[')) open.push({ bracket: text, at });
    else if (token.kind === 'punct' && CLOSING[text] !== undefined) {
      const last = open.pop();
      if (last === undefined) return `'${text}' closes no bracket: ${excerpt(sql, at, 'before')}`;
      if (last.bracket !== CLOSING[text])
        return `'${last.bracket}' is closed by '${text}': ${excerpt(sql, last.at, 'after')}`;
    }
    at += text.length;
  }
  const unclosed = open.at(-1);
  return unclosed === undefined
    ? null
    : `'${unclosed.bracket}' is never closed: ${excerpt(sql, unclosed.at, 'after')}`;
}

/** A short quote of `sql` around offset `at`: the word a bracket follows and what comes after it, or what leads up to it. */
function excerpt(sql: string, at: number, side: 'before' | 'after'): string {
  const LENGTH = 40;
  const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
  if (side === 'before') {
    const start = Math.max(0, at + 1 - LENGTH);
    return `"${start > 0 ? '…' : ''}${flat(sql.slice(start, at + 1))}"`;
  }
  const start = at - (/\w*\s*$/.exec(sql.slice(0, at))?.[0].length ?? 0);
  const end = start + LENGTH;
  return `"${flat(sql.slice(start, end))}${end < sql.length ? '…' : ''}"`;
}
