import type { IsoDate } from '../../dates.js';
import { NULL_STRICT_MAX_ARGS } from '../../warehouse/bigquery-compat.js';
import { assertDataset, assertTableName } from '../../warehouse/identifiers.js';
import type { TableRef } from '../../warehouse/table-ref.js';
import type { SqlDialect } from '../dialect.js';
import {
  callArguments,
  callBounds,
  nextSignificant,
  previousSignificant,
  stringValue,
  type Token,
  tokenize,
} from './bigquery-lexer.js';
import { castAsMacro } from './duckdb-casts.js';
import { extractPart } from './duckdb-extract.js';
import { dashedTablePath, duckString, nameOrQuoted, quoteIdentifier } from './duckdb-names.js';
import { regexpCall } from './duckdb-regexp.js';
import {
  castTarget,
  type LateEdits,
  likeEscape,
  limitAsSlice,
  nullsFirstWhenAscending,
  structAsPack,
  subscriptAsCall,
} from './duckdb-rewrites.js';
import { elementAlias, inUnnest, unaliasedFromUnnest, unnestWithOffset } from './duckdb-unnest.js';
/**
 * The DuckDB renderer. Config fragments are BigQuery SQL; the BigQuery functions DuckDB lacks
 * exist as macros on every warehouse connection (src/warehouse/bigquery-compat.ts), so only the
 * spellings no macro can receive are rewritten here, on tokens (never inside strings/comments):
 * - `"text"` is a string in BigQuery and an identifier in DuckDB → `'text'`;
 * - backtick names → DuckDB names, with BigQuery projects mapped onto attached catalogs, and
 *   calls of the shared project's legacy `udf.…` functions onto the `udf` catalog's macros; a
 *   table path whose dashed project is not quoted (`FROM moz-fx-data-shared-prod.ds.t`, which
 *   BigQuery reads as a name) likewise, where DuckDB would read a subtraction and fail to parse;
 * - `DATE_DIFF(a, b, DAY)` / `TIMESTAMP_DIFF(a, b, HOUR)` → `bq_date_diff(a, b, 'DAY')` / `bq_timestamp_diff(…, 'HOUR')`
 *   (a bare date part would be a column reference to DuckDB), `DATE_TRUNC(d, WEEK)` → `bq_date_trunc(d, 'WEEK')`
 *   (BigQuery's weeks start on Sunday, DuckDB's date_trunc weeks on Monday);
 * - `CAST(x AS INT64)` / `SAFE_CAST(x AS INT64)` (and FLOAT64, NUMERIC, BOOL, DATE) →
 *   `bq_cast_int64(x)` / `bq_safe_cast_int64(x)`, macros reading text, and rounding FLOAT64 to
 *   INT64, as BigQuery does (DuckDB's casts read '1.5' as 2, 'yes' as TRUE, round 2.5 to 2);
 * - any other `SAFE_CAST(` → `TRY_CAST(`; `* EXCEPT (…)` → `* EXCLUDE (…)`;
 * - `x LIKE 'a\_b'` → `x LIKE 'a\_b' ESCAPE '\'`: a backslash escapes `%`, `_` and itself in a
 *   BigQuery pattern, and is an ordinary character in DuckDB's unless ESCAPE says otherwise;
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
 * - `x IN UNNEST(arr)` → `x IN (SELECT UNNEST(arr))` (DuckDB reads the first as another comparison);
 * - `UNNEST(arr) AS x WITH OFFSET AS off` → `(SELECT UNNEST(arr) AS x, UNNEST(range(len(arr))) AS off) AS x`:
 *   DuckDB's UNNEST has no WITH OFFSET; the two UNNESTs of one SELECT are zipped, offsets from 0;
 * - `EXTRACT(DAYOFWEEK | WEEK | ISOWEEK | MILLISECOND | MICROSECOND FROM x)` → DuckDB's spelling of
 *   BigQuery's value (duckdb-extract.ts: DuckDB counts Sunday as 0, its WEEK is the ISO week);
 * - `REGEXP_REPLACE(` / `REGEXP_EXTRACT(` / `REGEXP_EXTRACT_ALL(` → macros replacing every match and
 *   extracting the capturing group, NULL for no match, as BigQuery does (duckdb-regexp.ts);
 * - `FORMAT('%d', x)` → `printf('%d', x)`: DuckDB's format takes `{}` placeholders and gives a
 *   `%` format back unchanged, silently;
 * - `LEAST(` / `GREATEST(` / `CONCAT(` → `bq_least(` …: BigQuery's are NULL when any argument is,
 *   DuckDB's skip NULL arguments;
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

// Calls whose last argument is a bare date part, which DuckDB would read as a column.
const DIFF_FUNCTIONS: Record<string, string> = {
  DATE_DIFF: 'bq_date_diff',
  TIMESTAMP_DIFF: 'bq_timestamp_diff',
  DATE_TRUNC: 'bq_date_trunc',
};

/** Functions whose BigQuery result is NULL when any argument is (DuckDB's skip NULLs): their macros. */
const NULL_STRICT: Record<string, string> = {
  LEAST: 'bq_least',
  GREATEST: 'bq_greatest',
  CONCAT: 'bq_concat',
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

/** The number of arguments of the call whose `(` is at `open` (0 for `f()`), Infinity when unclosed. */
function argumentCount(tokens: Token[], open: number): number {
  const call = callArguments(tokens, open);
  if (!call) return Number.POSITIVE_INFINITY;
  if (nextSignificant(tokens, open + 1) === call.close) return 0;
  return 1 + call.commas.length;
}

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
      const dashed = dashedTablePath(tokens, i);
      if (dashed) {
        // The same name as the backticked path above: the project mapped onto its catalog.
        const [project, ...rest] = dashed.parts;
        out[i] = [projectCatalogs[project!] ?? project!, ...rest].map(nameOrQuoted).join('.');
        for (let j = i + 1; j <= dashed.end; j++) out[j] = '';
        i = dashed.end;
        continue;
      }
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
        const withOffset = unnestWithOffset(tokens, i, open, (sql) =>
          translateBigQueryToDuckDb(sql, projectCatalogs),
        );
        if (withOffset) {
          out[i] = withOffset.sql;
          for (let j = i + 1; j <= withOffset.end; j++) out[j] = '';
          i = withOffset.end;
        } else elementAlias(tokens, late, i, open);
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
      if (upper === 'IN') {
        inUnnest(tokens, late, i);
        continue;
      }
      if (
        (upper === 'REGEXP_REPLACE' || upper === 'REGEXP_EXTRACT' || upper === 'REGEXP_EXTRACT_ALL') &&
        isCall &&
        tokens[previousSignificant(tokens, i - 1)]?.text !== '.'
      ) {
        regexpCall(tokens, out, late, upper, i, open);
        continue;
      }
      if (upper === 'EXTRACT' && isCall) {
        extractPart(tokens, out, late, i, open);
        continue;
      }
      if (upper === 'LIKE') {
        likeEscape(tokens, late, i);
        continue;
      }
      if ((upper === 'CAST' || upper === 'SAFE_CAST') && isCall) {
        if (!castAsMacro(tokens, out, late, i, open) && upper === 'SAFE_CAST') out[i] = 'TRY_CAST';
        continue;
      }
      if ((upper === 'JSON_VALUE' || upper === 'JSON_EXTRACT_SCALAR') && isCall) {
        const bounds = callBounds(tokens, open);
        if (!bounds) continue;
        out[i] = 'bq_json_value';
        if (bounds.lastComma < 0) out[bounds.close] = ", '$')";
      } else if (upper === 'EXCEPT' && isCall && tokens[previousSignificant(tokens, i - 1)]?.text === '*') {
        out[i] = 'EXCLUDE';
      } else if (upper === 'FORMAT' && isCall && tokens[previousSignificant(tokens, i - 1)]?.text !== '.') {
        out[i] = 'printf';
      } else if (upper in NULL_STRICT && isCall && tokens[previousSignificant(tokens, i - 1)]?.text !== '.') {
        if (argumentCount(tokens, open) <= NULL_STRICT_MAX_ARGS) out[i] = NULL_STRICT[upper]!;
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
    // DuckDB's own set operation: missing columns become NULLs of the other queries' type.
    unionAllByName: (selects) =>
      selects
        .map(({ columns, from }) => {
          const list = columns.map((c) => `${c.sql} AS ${quoteIdentifier(c.name)}`);
          return `SELECT ${list.join(', ')}\n${from}`;
        })
        .join('\nUNION ALL BY NAME\n'),
    roundSignificant: (sql, digits) =>
      `CASE WHEN ${sql} = 0 OR NOT isfinite(${sql}) THEN ${sql} ` +
      `ELSE round(${sql}, ${digits - 1} - CAST(floor(log10(abs(${sql}))) AS INTEGER)) END`,
    userSql: (fragment) => translateBigQueryToDuckDb(fragment, projectCatalogs),
  };
}
