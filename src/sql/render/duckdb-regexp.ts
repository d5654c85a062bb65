/**
 * BigQuery's REGEXP_REPLACE, REGEXP_EXTRACT and REGEXP_EXTRACT_ALL for DuckDB, whose functions of
 * the same names answer differently, silently: regexp_replace replaces the first match only
 * (BigQuery: every match), and regexp_extract(_all) give the whole match where BigQuery gives the
 * pattern's capturing group, and '' where BigQuery gives NULL for no match. The calls become
 * the macros of bigquery-compat-install.ts: `bq_regexp_replace(s, p, r)`, and
 * `bq_regexp_extract(s, p, g)` with g the group BigQuery returns (1 when the pattern, a string,
 * has a capturing group, else 0). REGEXP_EXTRACT with a pattern that is no string, or with its
 * position and occurrence arguments, keeps DuckDB's reading.
 */
import { callArguments, nextSignificant, stringValue, type Token } from './bigquery-lexer.js';
import type { LateEdits } from './duckdb-rewrites.js';

/** Whether an RE2 pattern has a capturing group: `(` not escaped, not in a class, not `(?:`-like. */
export function hasCapturingGroup(pattern: string): boolean {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '(' && (pattern[i + 1] !== '?' || pattern.startsWith('?P<', i + 1))) return true;
  }
  return false;
}

/** The REGEXP_ call whose name (upper-cased `name`) is at `at` and `(` at `open`, as its macro. */
export function regexpCall(
  tokens: Token[],
  out: string[],
  late: LateEdits,
  name: string,
  at: number,
  open: number,
): void {
  const bounds = callArguments(tokens, open);
  if (!bounds) return;
  const { commas } = bounds;
  if (name === 'REGEXP_REPLACE') {
    if (commas.length === 2) out[at] = 'bq_regexp_replace';
    return;
  }
  if (commas.length !== 1) return;
  const pattern = nextSignificant(tokens, commas[0]! + 1);
  const p = tokens[pattern];
  if (p?.kind !== 'string' || nextSignificant(tokens, pattern + 1) !== bounds.close) return;
  out[at] = name === 'REGEXP_EXTRACT' ? 'bq_regexp_extract' : 'bq_regexp_extract_all';
  const group = hasCapturingGroup(stringValue(p.text)) ? 1 : 0;
  late.after.set(pattern, `, ${group}${late.after.get(pattern) ?? ''}`);
}
