/**
 * The rewrites of BigQuery config SQL that need more than a name swap, each on the tokens of
 * one fragment (src/sql/render/bigquery-lexer.ts): ORDER BY's NULL order, LIKE's escapes,
 * STRUCT constructors, NUMERIC casts, ARRAY_AGG(… LIMIT n) and array subscripts (UNNEST's are in
 * duckdb-unnest.ts).
 * translateBigQueryToDuckDb (duckdb.ts) calls them as it meets the tokens they start at; their
 * list, with why each is needed, is at the top of duckdb.ts.
 */
import {
  callArguments,
  callBounds,
  matchingOpen,
  nextSignificant,
  previousSignificant,
  stringValue,
  type Token,
} from './bigquery-lexer.js';
import { quoteIdentifier } from './duckdb-names.js';

// What ends an ORDER BY list besides the bracket around it.
const AFTER_ORDER_BY = new Set([
  'LIMIT',
  'OFFSET',
  'ROWS',
  'RANGE',
  'GROUPS',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'QUALIFY',
  'WINDOW',
  'FETCH',
]);

/**
 * Each item of the ORDER BY list whose `BY` is at `by` that sorts ascending without saying where
 * NULLs go gets `NULLS FIRST`, BigQuery's order (DuckDB puts them last).
 */
export function nullsFirstWhenAscending(tokens: Token[], late: LateEdits, by: number): void {
  let depth = 0;
  let last = -1;
  const finish = () => {
    if (last < 0) return;
    const word = tokens[last]!.text.toUpperCase();
    const before = tokens[previousSignificant(tokens, last - 1)]?.text.toUpperCase();
    if (word !== 'DESC' && !((word === 'FIRST' || word === 'LAST') && before === 'NULLS'))
      late.after.set(last, `${late.after.get(last) ?? ''} NULLS FIRST`);
    last = -1;
  };
  for (let j = by + 1; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.kind === 'space' || t.kind === 'comment') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (t.text === ',' || t.text === ';')) {
      finish();
      if (t.text === ';') return;
      continue;
    } else if (depth === 0 && t.kind === 'word' && AFTER_ORDER_BY.has(t.text.toUpperCase())) break;
    last = j;
  }
  finish();
}

/**
 * `STRUCT(x AS a, t.b)` at `at` → `struct_pack(a := x, b := t.b)`: DuckDB has no STRUCT(…)
 * constructor. A field is named by its alias, else (as BigQuery does) by the last name of a
 * field path; a field that has neither is anonymous in BigQuery, which struct_pack cannot say,
 * so that STRUCT is left as written (and reported as BigQuery's).
 */
export function structAsPack(
  tokens: Token[],
  out: string[],
  late: LateEdits,
  at: number,
  open: number,
): void {
  const bounds = callArguments(tokens, open);
  if (!bounds) return;
  const { commas } = bounds;
  const starts = [open, ...commas];
  const ends = [...commas, bounds.close];
  const fields: { name: string; as: number | null; start: number }[] = [];
  for (let f = 0; f < starts.length; f++) {
    const first = nextSignificant(tokens, starts[f]! + 1);
    const last = previousSignificant(tokens, ends[f]! - 1);
    if (first > last) return; // STRUCT(): nothing to name
    const t = tokens[last]!;
    const before = previousSignificant(tokens, last - 1);
    if (
      (t.kind === 'word' || t.kind === 'quoted_identifier') &&
      tokens[before]?.text.toUpperCase() === 'AS'
    ) {
      fields.push({ name: t.kind === 'word' ? t.text : t.text.slice(1, -1), as: before, start: first });
      continue;
    }
    // A field path: names (or backticked names) joined by dots.
    for (let j = first; j <= last; j++) {
      const x = tokens[j]!;
      if (x.kind === 'space' || x.kind === 'comment') continue;
      const name = (j - first) % 2 === 0;
      if (
        name ? !(x.kind === 'word' || x.kind === 'quoted_identifier') || /^\d/.test(x.text) : x.text !== '.'
      )
        return;
    }
    if (tokens.slice(first, last + 1).filter((x) => x.kind === 'space' || x.kind === 'comment').length > 0)
      return;
    fields.push({ name: t.kind === 'word' ? t.text : t.text.slice(1, -1), as: null, start: first });
  }
  out[at] = 'struct_pack';
  for (const field of fields) {
    late.before.set(field.start, `${quoteIdentifier(field.name)} := ${late.before.get(field.start) ?? ''}`);
    if (field.as !== null) {
      // `x AS a`: the alias moved to the front.
      const alias = nextSignificant(tokens, field.as + 1);
      for (let j = previousSignificant(tokens, field.as - 1) + 1; j <= alias; j++) late.drop.add(j);
    }
  }
}

/** Whether the word at `at` is the type of a CAST or SAFE_CAST: `CAST(x AS <here>`. */
export function castTarget(tokens: Token[], at: number): boolean {
  if (tokens[previousSignificant(tokens, at - 1)]?.text.toUpperCase() !== 'AS') return false;
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === ')' || t.text === ']') depth++;
    else if (t.text === '(' || t.text === '[') {
      if (depth === 0) {
        const name = tokens[previousSignificant(tokens, i - 1)]?.text.toUpperCase();
        return name === 'CAST' || name === 'SAFE_CAST';
      }
      depth--;
    }
  }
  return false;
}

/**
 * `ARRAY_AGG(x … LIMIT n)` at `at` → `list_slice(ARRAY_AGG(x …), 1, n)`: DuckDB's aggregates take
 * no LIMIT, and the first n elements of the whole ordered array are BigQuery's (NULL when no row
 * is aggregated, as list_slice of NULL is NULL). Run after ignoreNullsAsFilter, whose FILTER
 * belongs inside the slice.
 */
export function limitAsSlice(tokens: Token[], out: string[], at: number, open: number): void {
  const bounds = callBounds(tokens, open);
  if (!bounds) return;
  let depth = 0;
  for (let j = open + 1; j < bounds.close; j++) {
    const t = tokens[j]!;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.kind === 'word' && t.text.toUpperCase() === 'LIMIT') {
      const n = nextSignificant(tokens, j + 1);
      if (!/^\d+$/.test(tokens[n]?.text ?? '') || nextSignificant(tokens, n + 1) !== bounds.close) return;
      if (tokens[nextSignificant(tokens, bounds.close + 1)]?.text.toUpperCase() === 'OVER') return;
      for (let k = j; k <= n; k++) out[k] = '';
      out[at] = `list_slice(${out[at]}`;
      out[bounds.close] = `${out[bounds.close]}, 1, ${tokens[n]!.text})`;
      return;
    }
  }
}

/**
 * Edits to tokens after the one being translated, applied once every token is: the loop rewrites
 * strings and backtick names when it reaches them, which would undo an edit made before.
 */
export interface LateEdits {
  /** Text written before a token (a STRUCT field's name). */
  before: Map<number, string>;
  /** Text written after a token (an UNNEST alias's column list). */
  after: Map<number, string>;
  /** Tokens written as nothing (a STRUCT field's `AS name`, moved to its front). */
  drop: Set<number>;
}

/**
 * `x LIKE p` with `LIKE` at `at` → `x LIKE p ESCAPE '\'`: in a BigQuery pattern a backslash makes
 * the `%`, `_` or `\` after it literal (`r'MOZ\_CRASH%'`), where DuckDB's LIKE has no escape
 * character unless ESCAPE names one, so the pattern would match nothing. The pattern must be one
 * operand: a string (only one holding a backslash needs it), a name or a call; a pattern that is
 * an expression (`'a' || x`) is left as written.
 */
export function likeEscape(tokens: Token[], late: LateEdits, at: number): void {
  const first = nextSignificant(tokens, at + 1);
  const t = tokens[first];
  if (t === undefined) return;
  let last: number;
  if (t.kind === 'string') {
    if (!stringValue(t.text).includes('\\')) return;
    last = first;
  } else if (t.kind === 'word' || t.kind === 'quoted_identifier') {
    if (t.kind === 'word' && NOT_CALLABLE.has(t.text.toUpperCase())) return; // LIKE ANY (…), …
    last = first;
    while (
      tokens[last + 1]?.text === '.' &&
      ['word', 'quoted_identifier'].includes(tokens[last + 2]?.kind ?? '')
    )
      last += 2;
    const open = nextSignificant(tokens, last + 1);
    if (tokens[open]?.text === '(') {
      const bounds = callBounds(tokens, open);
      if (!bounds) return;
      last = bounds.close;
    }
  } else return;
  const after = tokens[nextSignificant(tokens, last + 1)];
  const ends =
    after === undefined ||
    [')', ',', ';'].includes(after.text) ||
    (after.kind === 'word' && NOT_CALLABLE.has(after.text.toUpperCase()));
  if (!ends || after?.text.toUpperCase() === 'ESCAPE') return;
  late.after.set(last, ` ESCAPE '\\'${late.after.get(last) ?? ''}`);
}

/** The macro taking each BigQuery array subscript (bigquery-compat.ts). */
const SUBSCRIPT_MACROS: Record<string, string> = {
  OFFSET: 'bq_offset',
  SAFE_OFFSET: 'bq_safe_offset',
  ORDINAL: 'bq_ordinal',
  SAFE_ORDINAL: 'bq_safe_ordinal',
};

// BigQuery's reserved keywords that cannot name a function: `AND (…)[OFFSET(0)]` subscripts the
// parenthesised expression, not a call of AND. (ARRAY, CAST, EXTRACT, IF and STRUCT are reserved
// but are called like functions.)
export const NOT_CALLABLE = new Set(
  (
    'ALL AND ANY AS ASC AT BETWEEN BY CASE COLLATE CONTAINS CREATE CROSS CUBE CURRENT DEFAULT DEFINE ' +
    'DESC DISTINCT ELSE END ENUM ESCAPE EXCEPT EXCLUDE EXISTS FALSE FETCH FOLLOWING FOR FROM FULL GROUP ' +
    'GROUPING GROUPS HASH HAVING IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT ' +
    'LOOKUP MERGE NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER OVER PARTITION PRECEDING PROTO ' +
    'QUALIFY RANGE RECURSIVE RESPECT RIGHT ROLLUP ROWS SELECT SET SOME TABLESAMPLE THEN TO TREAT TRUE ' +
    'UNBOUNDED UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN'
  ).split(' '),
);

/**
 * The first token of the expression a subscript at `bracket` applies to: a name or field path
 * (`event.extra`), a call (`SPLIT(…)`, `mozfun.map.get_key(…)`), a parenthesised expression or an
 * array literal, with the fields and subscripts that follow it. Null when it is none of those
 * (a windowed call, say), so the subscript is left as written and reported as BigQuery's.
 */
function subscriptedFrom(tokens: Token[], bracket: number): number | null {
  let j = previousSignificant(tokens, bracket - 1);
  for (;;) {
    const t = tokens[j];
    if (t === undefined) return null;
    let start: number;
    if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) {
      const open = matchingOpen(tokens, j);
      if (open < 0) return null;
      start = open;
      const before = previousSignificant(tokens, open - 1);
      const b = tokens[before];
      const upper = b?.text.toUpperCase() ?? '';
      if (t.text === ')' && upper === 'OVER') return null;
      if (
        t.text === ')' &&
        b &&
        (b.kind === 'quoted_identifier' || (b.kind === 'word' && !NOT_CALLABLE.has(upper)))
      )
        start = before;
      else if (
        t.text === ']' &&
        b &&
        (b.kind === 'quoted_identifier' ||
          (b.kind === 'word' && !NOT_CALLABLE.has(upper)) ||
          b.text === ')' ||
          b.text === ']')
      ) {
        // A subscript of what comes before it: `x[OFFSET(0)][OFFSET(1)]`.
        j = before;
        continue;
      }
    } else if (
      t.kind === 'quoted_identifier' ||
      (t.kind === 'word' && !NOT_CALLABLE.has(t.text.toUpperCase()))
    ) {
      start = j;
    } else return null;
    const dot = previousSignificant(tokens, start - 1);
    if (tokens[dot]?.text !== '.') return start;
    j = previousSignificant(tokens, dot - 1);
  }
}

/**
 * `arr[OFFSET(i)]` at `bracket` → `bq_offset(arr, (i))` (and the SAFE_/ORDINAL forms likewise),
 * written into `out` over the subscripted expression's first token and the brackets.
 */
export function subscriptAsCall(tokens: Token[], out: string[], bracket: number): void {
  const keyword = nextSignificant(tokens, bracket + 1);
  const macro = SUBSCRIPT_MACROS[tokens[keyword]?.text.toUpperCase() ?? ''];
  if (macro === undefined || tokens[keyword]!.kind !== 'word') return;
  const open = nextSignificant(tokens, keyword + 1);
  if (tokens[open]?.text !== '(') return;
  const index = callBounds(tokens, open);
  const bracketBounds = callBounds(tokens, bracket);
  if (!index || !bracketBounds || nextSignificant(tokens, index.close + 1) !== bracketBounds.close) return;
  const start = subscriptedFrom(tokens, bracket);
  if (start === null) return;
  out[start] = `${macro}(${out[start]}`;
  out[bracket] = '';
  out[keyword] = ', ';
  out[bracketBounds.close] = ')';
}
