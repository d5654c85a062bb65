/**
 * The rewrites of BigQuery's UNNEST in a FROM clause for DuckDB, on the tokens of one fragment
 * (src/sql/render/bigquery-lexer.ts): the element's alias, a struct array's fields as columns,
 * WITH OFFSET, and `x IN UNNEST(arr)`. translateBigQueryToDuckDb (duckdb.ts) calls them at the UNNEST token.
 */
import { callBounds, nextSignificant, previousSignificant, type Token } from './bigquery-lexer.js';
import { PLAIN_IDENTIFIER, quoteIdentifier } from './duckdb-names.js';
import { type LateEdits, NOT_CALLABLE } from './duckdb-rewrites.js';

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
export function unaliasedFromUnnest(tokens: Token[], at: number, open: number): boolean {
  if (tokens[previousSignificant(tokens, at - 1)]?.text.toUpperCase() !== 'FROM') return false;
  const bounds = callBounds(tokens, open);
  if (!bounds) return false;
  const next = tokens[nextSignificant(tokens, bounds.close + 1)];
  return next === undefined || next.text === ')' || CLAUSE_AFTER_FROM.has(next.text.toUpperCase());
}

/**
 * `FROM t, UNNEST(arr) AS x` / `JOIN UNNEST(arr) x` at `at`: the alias also names the one column,
 * so `x` is the element as in BigQuery. Left alone when the alias has a column list already or
 * there is no alias (WITH OFFSET, ON, …).
 */
export function elementAlias(tokens: Token[], late: LateEdits, at: number, open: number): void {
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

/** A name token (word or backtick-quoted) as DuckDB writes it, or null when the token is no name. */
function aliasName(t: Token | undefined): string | null {
  if (t?.kind === 'quoted_identifier') return quoteIdentifier(t.text.slice(1, -1));
  if (t?.kind !== 'word' || NOT_CALLABLE.has(t.text.toUpperCase())) return null;
  return PLAIN_IDENTIFIER.test(t.text) ? t.text : quoteIdentifier(t.text);
}

/**
 * `UNNEST(arr) [AS] x WITH OFFSET [[AS] off]` in a FROM clause, `UNNEST` at `at`: DuckDB's UNNEST
 * has no WITH OFFSET, so the item becomes a subquery zipping the elements with their offsets
 * from 0, `(SELECT UNNEST(arr) AS x, UNNEST(range(len(arr))) AS off) AS x` (`offset` when the
 * offset has no alias; with no element alias a struct array's fields are columns, as in
 * BigQuery). A NULL or empty array gives no row, as in BigQuery. `translate` renders the array
 * expression, written twice. Null when the UNNEST has no WITH OFFSET.
 */
export function unnestWithOffset(
  tokens: Token[],
  at: number,
  open: number,
  translate: (fragment: string) => string,
): { sql: string; end: number } | null {
  const before = tokens[previousSignificant(tokens, at - 1)]?.text.toUpperCase();
  if (before !== 'FROM' && before !== 'JOIN' && before !== ',') return null;
  const bounds = callBounds(tokens, open);
  if (!bounds || bounds.lastComma >= 0) return null;
  let j = nextSignificant(tokens, bounds.close + 1);
  let element: string | null = null;
  if (tokens[j]?.text.toUpperCase() === 'AS') {
    element = aliasName(tokens[nextSignificant(tokens, j + 1)]);
    if (element === null) return null;
    j = nextSignificant(tokens, nextSignificant(tokens, j + 1) + 1);
  } else if (tokens[j]?.text.toUpperCase() !== 'WITH') {
    element = aliasName(tokens[j]);
    if (element === null) return null;
    j = nextSignificant(tokens, j + 1);
  }
  if (tokens[j]?.text.toUpperCase() !== 'WITH') return null;
  let end = nextSignificant(tokens, j + 1);
  if (tokens[end]?.text.toUpperCase() !== 'OFFSET') return null;
  let offset = quoteIdentifier('offset');
  let next = nextSignificant(tokens, end + 1);
  const hasAs = tokens[next]?.text.toUpperCase() === 'AS';
  if (hasAs) next = nextSignificant(tokens, next + 1);
  const name = aliasName(tokens[next]);
  if (name !== null) {
    offset = name;
    end = next;
  } else if (hasAs) return null;
  const array = translate(
    tokens
      .slice(open + 1, bounds.close)
      .map((t) => t.text)
      .join(''),
  ).trim();
  const offsets = `UNNEST(range(len(${array}))) AS ${offset}`;
  const sql =
    element === null
      ? `(SELECT UNNEST(${array}, max_depth := 2), ${offsets})`
      : `(SELECT UNNEST(${array}) AS ${element}, ${offsets}) AS ${element}`;
  return { sql, end };
}

/**
 * `x [NOT] IN UNNEST(arr)` with `IN` at `at` → `x [NOT] IN (SELECT UNNEST(arr))`: DuckDB reads
 * `IN UNNEST(arr)` as a comparison with something else (`'b' IN UNNEST(['a', 'b'])` is FALSE),
 * silently. The IN subquery has BigQuery's answers: TRUE on a match, NULL for a NULL x or no
 * match among NULL elements, FALSE for an empty or NULL array.
 */
export function inUnnest(tokens: Token[], late: LateEdits, at: number): void {
  const unnest = nextSignificant(tokens, at + 1);
  if (tokens[unnest]?.text.toUpperCase() !== 'UNNEST') return;
  const open = nextSignificant(tokens, unnest + 1);
  if (tokens[open]?.text !== '(') return;
  const bounds = callBounds(tokens, open);
  if (!bounds) return;
  late.before.set(unnest, `(SELECT ${late.before.get(unnest) ?? ''}`);
  late.after.set(bounds.close, `)${late.after.get(bounds.close) ?? ''}`);
}
