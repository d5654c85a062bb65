import type { IsoDate } from '../../experiments/experiment.js';
import { assertDataset, assertTableName } from '../../warehouse/identifiers.js';
import type { TableRef } from '../../warehouse/table-ref.js';
import type { SqlDialect } from '../dialect.js';
import { stringValue, type Token, tokenize } from './bigquery-lexer.js';

/**
 * The DuckDB renderer. Config fragments are BigQuery SQL; the BigQuery functions DuckDB lacks
 * exist as macros on every warehouse connection (src/warehouse/bigquery-compat.ts), so only the
 * spellings no macro can receive are rewritten here, on tokens (never inside strings/comments):
 * - `"text"` is a string in BigQuery and an identifier in DuckDB → `'text'`;
 * - backtick names → DuckDB names, with BigQuery projects mapped onto attached catalogs, and
 *   calls of the shared project's legacy `udf.…` functions onto the `udf` catalog's macros;
 * - `DATE_DIFF(a, b, DAY)` / `TIMESTAMP_DIFF(a, b, HOUR)` → `bq_date_diff(a, b, 'DAY')` / `bq_timestamp_diff(…, 'HOUR')`
 *   (a bare date part would be a column reference to DuckDB);
 * - `SAFE_CAST(` → `TRY_CAST(`; `* EXCEPT (…)` → `* EXCLUDE (…)`;
 * - `SUBSTR(` / `SUBSTRING(` → `bq_substr(`, `SAFE.SUBSTR(` → `bq_safe_substr(` (DuckDB's substr
 *   reads position 0 and a negative length differently, silently);
 * - `ORDER BY x` / `ORDER BY x ASC` → `… NULLS FIRST`: BigQuery sorts NULLs first in ascending
 *   order (last in descending, as DuckDB does in both), which decides what ARRAY_AGG(… ORDER BY
 *   …)[SAFE_OFFSET(0)], a window or a LIMIT picks;
 * - `STRUCT(x AS a, t.b)` → `struct_pack(a := x, b := t.b)` (a field path names its field, as in
 *   BigQuery; a STRUCT with an unnamed field that is no path is left as written);
 * - `CAST(x AS NUMERIC)` → `CAST(x AS DECIMAL(38, 9))`, BigQuery's NUMERIC (DuckDB's is
 *   DECIMAL(18, 3): '0.12345' would become 0.123 and 10^15 NULL, silently);
 * - `JSON_VALUE(` / `JSON_EXTRACT_SCALAR(` → `bq_json_value(` (DuckDB's own json_value keeps the
 *   JSON quotes, `"a"` where BigQuery gives `a`, and json_extract_string gives an object's or an
 *   array's text where BigQuery gives NULL: silent wrong answers), path `'$'` by default;
 * - `ARRAY_AGG(x IGNORE NULLS)` → `ARRAY_AGG(x) FILTER (WHERE (x) IS NOT NULL)`;
 * - `ARRAY_AGG(x ORDER BY y LIMIT n)` → `list_slice(ARRAY_AGG(x ORDER BY y), 1, n)`;
 * - `FROM UNNEST(structs)` with no alias → `FROM (SELECT UNNEST(structs, max_depth := 2))`, whose
 *   columns are the structs' fields, as BigQuery's are;
 * - `FROM t, UNNEST(arr) AS x` (or `JOIN UNNEST(arr) x`) → `… AS x(x)`: BigQuery's alias names the
 *   element, DuckDB's names a table whose one column `unnest` holds it (`x` would be a struct
 *   `{unnest: …}`, and `x.field` a missing column);
 * - mozfun UDFs that are one expression over their argument (INLINE_UDFS) → that expression
 *   (they live here, not as macros, because the argument must be repeated);
 * - array subscripts `arr[OFFSET(i)]`, `[SAFE_OFFSET(i)]`, `[ORDINAL(i)]`, `[SAFE_ORDINAL(i)]` →
 *   `bq_offset(arr, i)` … (macros with BigQuery's bases and out-of-range behaviour: DuckDB's own
 *   `arr[i]` counts from 1, from the end for negative i, and gives NULL out of range).
 */
export interface DuckDbDialectOptions {
  /** BigQuery project → DuckDB catalog holding its datasets as schemas. */
  projectCatalogs?: Record<string, string>;
}

export const DEFAULT_PROJECT_CATALOGS: Readonly<Record<string, string>> = {
  'moz-fx-data-shared-prod': 'mozdata',
  mozdata: 'mozdata',
};

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function nameOrQuoted(name: string): string {
  return PLAIN_IDENTIFIER.test(name) ? name : quoteIdentifier(name);
}

function duckString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const DIFF_FUNCTIONS: Record<string, string> = {
  DATE_DIFF: 'bq_date_diff',
  TIMESTAMP_DIFF: 'bq_timestamp_diff',
};

// The most negative INT64, whose negation overflows in DuckDB (BigQuery's SAFE.LOG gives NULL for it).
const INT64_MIN = '(-9223372036854775807 - 1)';

/** mozfun UDFs rendered inline, by dotted name after `mozfun.`, as DuckDB SQL of their (rendered) argument. */
const INLINE_UDFS: Record<string, (arg: string) => string> = {
  // mozfun bits28.days_since_seen(bits) = CAST(SAFE.LOG(bits & -bits, 2) AS INT64): the index of the
  // lowest set bit, NULL for 0. bit_count(lowest set bit − 1) is that index, in exact integers.
  'bits28.days_since_seen': (b) =>
    `(CASE WHEN (${b}) = 0 OR (${b}) = ${INT64_MIN} THEN CAST(NULL AS BIGINT) ELSE CAST(bit_count(((${b}) & -(${b})) - 1) AS BIGINT) END)`,
};

/** `mozfun.a.b(` starting at token `i`: the UDF name `a.b` and the index of `(`, else null. */
function mozfunCall(tokens: Token[], i: number): { name: string; open: number } | null {
  if (tokens[i]?.text.toLowerCase() !== 'mozfun') return null;
  const parts: string[] = [];
  let j = i + 1;
  while (tokens[j]?.text === '.' && tokens[j + 1]?.kind === 'word') {
    parts.push(tokens[j + 1]!.text.toLowerCase());
    j += 2;
  }
  const open = nextSignificant(tokens, j);
  return tokens[open]?.text === '(' ? { name: parts.join('.'), open } : null;
}

function nextSignificant(tokens: Token[], from: number): number {
  let i = from;
  while (i < tokens.length && (tokens[i]!.kind === 'space' || tokens[i]!.kind === 'comment')) i++;
  return i;
}

function previousSignificant(tokens: Token[], from: number): number {
  let i = from;
  while (i >= 0 && (tokens[i]!.kind === 'space' || tokens[i]!.kind === 'comment')) i--;
  return i;
}

/** Index of the `)` closing the `(` at `open`, and of the last top-level comma between them. */
function callBounds(tokens: Token[], open: number): { close: number; lastComma: number } | null {
  let depth = 0;
  let lastComma = -1;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      depth--;
      if (depth === 0) return { close: i, lastComma };
    } else if (t.text === ',' && depth === 1) lastComma = i;
  }
  return null;
}

// What may follow `FROM UNNEST(…)` when it has no alias (and no WITH OFFSET, join or second table).
const CLAUSE_AFTER_FROM = new Set([
  'WHERE',
  'GROUP',
  'ORDER',
  'LIMIT',
  'HAVING',
  'QUALIFY',
  'WINDOW',
  'UNION',
]);

/**
 * `FROM UNNEST(array)` with no alias, the only item of its FROM: BigQuery makes the fields of the
 * array's structs columns of their own (`SELECT SUM(value) FROM UNNEST(hist.values)`).
 */
function unaliasedFromUnnest(tokens: Token[], at: number, open: number): boolean {
  if (tokens[previousSignificant(tokens, at - 1)]?.text.toUpperCase() !== 'FROM') return false;
  const bounds = callBounds(tokens, open);
  if (!bounds) return false;
  const next = tokens[nextSignificant(tokens, bounds.close + 1)];
  return next === undefined || next.text === ')' || CLAUSE_AFTER_FROM.has(next.text.toUpperCase());
}

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
function nullsFirstWhenAscending(tokens: Token[], late: LateEdits, by: number): void {
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
function structAsPack(tokens: Token[], out: string[], late: LateEdits, at: number, open: number): void {
  const bounds = callBounds(tokens, open);
  if (!bounds) return;
  const commas: number[] = [];
  let depth = 0;
  for (let j = open + 1; j < bounds.close; j++) {
    const t = tokens[j]!;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.text === ',') commas.push(j);
  }
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
function castTarget(tokens: Token[], at: number): boolean {
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
function limitAsSlice(tokens: Token[], out: string[], at: number, open: number): void {
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
interface LateEdits {
  /** Text written before a token (a STRUCT field's name). */
  before: Map<number, string>;
  /** Text written after a token (an UNNEST alias's column list). */
  after: Map<number, string>;
  /** Tokens written as nothing (a STRUCT field's `AS name`, moved to its front). */
  drop: Set<number>;
}

/**
 * `FROM t, UNNEST(arr) AS x` / `JOIN UNNEST(arr) x` at `at`: the alias also names the one column,
 * so `x` is the element as in BigQuery. Left alone when the alias has a column list already or
 * there is no alias (WITH OFFSET, ON, …).
 */
function elementAlias(tokens: Token[], late: LateEdits, at: number, open: number): void {
  const before = tokens[previousSignificant(tokens, at - 1)]?.text.toUpperCase();
  if (before !== 'FROM' && before !== 'JOIN' && before !== ',') return;
  const bounds = callBounds(tokens, open);
  if (!bounds) return;
  let alias = nextSignificant(tokens, bounds.close + 1);
  if (tokens[alias]?.text.toUpperCase() === 'AS') alias = nextSignificant(tokens, alias + 1);
  const t = tokens[alias];
  if (t === undefined || !(t.kind === 'quoted_identifier' || t.kind === 'word')) return;
  if (t.kind === 'word' && (NOT_CALLABLE.has(t.text.toUpperCase()) || !PLAIN_IDENTIFIER.test(t.text))) return;
  if (tokens[nextSignificant(tokens, alias + 1)]?.text === '(') return;
  const name = t.kind === 'word' ? t.text : quoteIdentifier(t.text.slice(1, -1));
  late.after.set(alias, `(${name})`);
}

/**
 * `ARRAY_AGG(x IGNORE NULLS)` → `ARRAY_AGG(x) FILTER (WHERE (x) IS NOT NULL)`: DuckDB accepts
 * IGNORE NULLS only on window functions, and a FILTER that drops the NULLs gives BigQuery's
 * answer (NULL when no row is left). An ORDER BY / LIMIT after IGNORE NULLS stays in the call;
 * a windowed call (OVER follows) and DISTINCT are left as written, as no filter repeats them soundly.
 */
function ignoreNullsAsFilter(
  tokens: Token[],
  out: string[],
  open: number,
  projectCatalogs: Readonly<Record<string, string>>,
): void {
  const bounds = callBounds(tokens, open);
  if (!bounds || bounds.lastComma >= 0) return;
  let depth = 0;
  let ignore = -1;
  for (let j = open + 1; j < bounds.close; j++) {
    const t = tokens[j]!;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.kind === 'word' && t.text.toUpperCase() === 'IGNORE') {
      const nulls = nextSignificant(tokens, j + 1);
      if (tokens[nulls]?.text.toUpperCase() === 'NULLS') ignore = j;
      break;
    }
  }
  if (ignore < 0) return;
  const first = nextSignificant(tokens, open + 1);
  if (tokens[first]?.text.toUpperCase() === 'DISTINCT') return;
  if (tokens[nextSignificant(tokens, bounds.close + 1)]?.text.toUpperCase() === 'OVER') return;
  const argument = tokens
    .slice(open + 1, ignore)
    .map((x) => x.text)
    .join('');
  const nulls = nextSignificant(tokens, ignore + 1);
  for (let j = ignore; j <= nulls; j++) out[j] = '';
  out[bounds.close] =
    `) FILTER (WHERE (${translateBigQueryToDuckDb(argument, projectCatalogs).trim()}) IS NOT NULL)`;
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
const NOT_CALLABLE = new Set(
  (
    'ALL AND ANY AS ASC AT BETWEEN BY CASE COLLATE CONTAINS CREATE CROSS CUBE CURRENT DEFAULT DEFINE ' +
    'DESC DISTINCT ELSE END ENUM ESCAPE EXCEPT EXCLUDE EXISTS FALSE FETCH FOLLOWING FOR FROM FULL GROUP ' +
    'GROUPING GROUPS HASH HAVING IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE LIMIT ' +
    'LOOKUP MERGE NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER OVER PARTITION PRECEDING PROTO ' +
    'QUALIFY RANGE RECURSIVE RESPECT RIGHT ROLLUP ROWS SELECT SET SOME TABLESAMPLE THEN TO TREAT TRUE ' +
    'UNBOUNDED UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN'
  ).split(' '),
);

/** Index of the `(` or `[` that the `)` or `]` at `close` closes, else -1. */
function matchingOpen(tokens: Token[], close: number): number {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === ')' || t.text === ']') depth++;
    else if (t.text === '(' || t.text === '[') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

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
function subscriptAsCall(tokens: Token[], out: string[], bracket: number): void {
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

export function translateBigQueryToDuckDb(
  fragment: string,
  projectCatalogs: Readonly<Record<string, string>> = DEFAULT_PROJECT_CATALOGS,
): string {
  const tokens = tokenize(fragment);
  const out: string[] = tokens.map((t) => t.text);
  const late: LateEdits = { before: new Map(), after: new Map(), drop: new Set() };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'string') {
      // Bytes literals have no DuckDB equivalent in the places configs use them; strings do.
      out[i] = duckString(stringValue(t.text));
    } else if (t.kind === 'quoted_identifier') {
      const parts = t.text.slice(1, -1).split('.');
      const isCall = tokens[nextSignificant(tokens, i + 1)]?.text === '(';
      // The shared project's legacy `udf` dataset: its functions are macros in the `udf` catalog
      // of every DuckDB warehouse connection (bigquery-compat.ts), whichever project names them.
      if (isCall && parts.length === 3 && parts[0]! in projectCatalogs && parts[1] === 'udf') {
        out[i] = `udf.${nameOrQuoted(parts[2]!)}`;
        continue;
      }
      if (
        parts.length === 1 &&
        parts[0]! in projectCatalogs &&
        tokens[i + 1]?.text === '.' &&
        tokens[i + 2]?.text === 'udf' &&
        tokens[i + 3]?.text === '.' &&
        tokens[i + 4]?.kind === 'word' &&
        tokens[nextSignificant(tokens, i + 5)]?.text === '('
      ) {
        out[i] = '';
        out[i + 1] = '';
        continue;
      }
      if (parts.length === 3 && parts[0]! in projectCatalogs) parts[0] = projectCatalogs[parts[0]!]!;
      out[i] = parts.map(nameOrQuoted).join('.');
    } else if (t.kind === 'punct' && t.text === '[') {
      subscriptAsCall(tokens, out, i);
    } else if (t.kind === 'word') {
      const udf = mozfunCall(tokens, i);
      const inline = udf ? INLINE_UDFS[udf.name] : undefined;
      if (udf && inline) {
        const bounds = callBounds(tokens, udf.open);
        if (!bounds || bounds.lastComma >= 0) continue;
        const argument = tokens
          .slice(udf.open + 1, bounds.close)
          .map((x) => x.text)
          .join('');
        out[i] = inline(translateBigQueryToDuckDb(argument, projectCatalogs));
        for (let j = i + 1; j <= bounds.close; j++) out[j] = '';
        i = bounds.close;
        continue;
      }
      const upper = t.text.toUpperCase();
      const open = nextSignificant(tokens, i + 1);
      const isCall = tokens[open]?.text === '(';
      if (upper === 'UNNEST' && isCall && unaliasedFromUnnest(tokens, i, open)) {
        // The row's fields as columns, as BigQuery gives them: DuckDB's table function UNNEST
        // yields one struct column, and unnest(…, max_depth := 2) unpacks its first level.
        const bounds = callBounds(tokens, open);
        if (!bounds) continue;
        out[i] = '(SELECT UNNEST';
        out[bounds.close] = ', max_depth := 2))';
        continue;
      }
      if (upper === 'UNNEST' && isCall) {
        elementAlias(tokens, late, i, open);
        continue;
      }
      if (upper === 'ARRAY_AGG' && isCall) {
        ignoreNullsAsFilter(tokens, out, open, projectCatalogs);
        limitAsSlice(tokens, out, i, open);
        continue;
      }
      if (upper === 'ORDER' && tokens[open]?.text.toUpperCase() === 'BY') {
        nullsFirstWhenAscending(tokens, late, open);
        continue;
      }
      if (upper === 'STRUCT' && isCall) {
        structAsPack(tokens, out, late, i, open);
        continue;
      }
      if (upper === 'NUMERIC' && castTarget(tokens, i)) {
        out[i] = isCall ? 'DECIMAL' : 'DECIMAL(38, 9)';
        continue;
      }
      if ((upper === 'SUBSTR' || upper === 'SUBSTRING') && isCall) {
        const dot = previousSignificant(tokens, i - 1);
        const safe = tokens[dot]?.text === '.' ? previousSignificant(tokens, dot - 1) : -1;
        if (safe >= 0 && tokens[safe]?.text.toUpperCase() === 'SAFE') {
          if (tokens[previousSignificant(tokens, safe - 1)]?.text === '.') continue; // a.SAFE.SUBSTR: someone's own
          for (let j = safe; j < i; j++) out[j] = '';
          out[i] = 'bq_safe_substr';
        } else if (tokens[dot]?.text !== '.') out[i] = 'bq_substr';
        continue;
      }
      if (upper === 'SAFE_CAST' && isCall) out[i] = 'TRY_CAST';
      else if ((upper === 'JSON_VALUE' || upper === 'JSON_EXTRACT_SCALAR') && isCall) {
        const bounds = callBounds(tokens, open);
        if (!bounds) continue;
        out[i] = 'bq_json_value';
        if (bounds.lastComma < 0) out[bounds.close] = ", '$')";
      } else if (upper === 'EXCEPT' && isCall && tokens[previousSignificant(tokens, i - 1)]?.text === '*') {
        out[i] = 'EXCLUDE';
      } else if (upper in DIFF_FUNCTIONS && isCall) {
        const bounds = callBounds(tokens, open);
        if (!bounds || bounds.lastComma < 0) continue;
        const partTokens = tokens.slice(bounds.lastComma + 1, bounds.close).filter((x) => x.kind !== 'space');
        if (partTokens.length !== 1 || partTokens[0]!.kind !== 'word') continue;
        out[i] = DIFF_FUNCTIONS[upper]!;
        const partIndex = tokens.indexOf(partTokens[0]!, bounds.lastComma);
        out[partIndex] = duckString(partTokens[0]!.text.toUpperCase());
      }
    }
  }
  for (const [index, text] of late.before) out[index] = text + out[index];
  for (const [index, text] of late.after) out[index] += text;
  for (const index of late.drop) out[index] = '';
  return out.join('');
}

export function duckdbDialect(options: DuckDbDialectOptions = {}): SqlDialect {
  const projectCatalogs = options.projectCatalogs ?? DEFAULT_PROJECT_CATALOGS;
  const sharedCatalog = projectCatalogs['moz-fx-data-shared-prod'] ?? 'mozdata';
  return {
    name: 'duckdb',
    identifier: quoteIdentifier,
    table(ref: TableRef): string {
      const dataset = assertDataset(ref.dataset).split('.').map(quoteIdentifier).join('.');
      return `${dataset}.${quoteIdentifier(assertTableName(ref.table))}`;
    },
    sharedTable(dataset: string, table: string): string {
      return [sharedCatalog, assertDataset(dataset), assertTableName(table)].map(nameOrQuoted).join('.');
    },
    stringLiteral: duckString,
    dateLiteral: (date: IsoDate) => `DATE ${duckString(date)}`,
    // DATE + INTEGER stays a DATE in DuckDB (DATE + INTERVAL would become a TIMESTAMP).
    addDays: (dateSql, days) =>
      days === 0 ? dateSql : `(${dateSql} ${days < 0 ? '-' : '+'} ${Math.abs(days)})`,
    toDate: (sql) => `CAST(${sql} AS DATE)`,
    jsonValue: (sql, path) => `json_extract_string(${sql}, ${duckString(path)})`,
    mapGetKey: (map, key) => `mozfun.map.get_key(${map}, ${key})`,
    structField: (sql, field) => `struct_extract(${sql}, ${duckString(field)})`,
    anyTrue: (sql) => `COALESCE(bool_or(${sql}), FALSE)`,
    toFloat: (sql) => `CAST(${sql} AS DOUBLE)`,
    stringRows: (values, alias, column) =>
      `(VALUES ${values.map((v) => `(${duckString(v)})`).join(', ')}) AS ${alias}(${column})`,
    typedNull: (type) => (type === 'string' ? 'CAST(NULL AS VARCHAR)' : 'CAST(NULL AS DOUBLE)'),
    roundSignificant: (sql, digits) =>
      `CASE WHEN ${sql} = 0 OR NOT isfinite(${sql}) THEN ${sql} ` +
      `ELSE round(${sql}, ${digits - 1} - CAST(floor(log10(abs(${sql}))) AS INTEGER)) END`,
    userSql: (fragment) => translateBigQueryToDuckDb(fragment, projectCatalogs),
  };
}
