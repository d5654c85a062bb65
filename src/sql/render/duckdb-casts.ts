/**
 * BigQuery's CAST and SAFE_CAST to the types whose DuckDB casts read values differently (INT64,
 * FLOAT64, NUMERIC, BOOL, DATE; src/warehouse/bigquery-compat-casts.ts says how): the call
 * becomes one of the macros with BigQuery's rules, `CAST(x AS INT64)` → `bq_cast_int64(x)`,
 * `SAFE_CAST(x AS DATE)` → `bq_safe_cast_date(x)`. Other targets keep DuckDB's cast.
 */
import { CAST_TARGETS } from '../../warehouse/bigquery-compat-casts.js';
import { callBounds, nextSignificant, previousSignificant, type Token } from './bigquery-lexer.js';
import type { LateEdits } from './duckdb-rewrites.js';

/**
 * `CAST(x AS T)` / `SAFE_CAST(x AS T)` whose name is at `at` and `(` at `open`: written as the
 * macro for T when T is one word of CAST_TARGETS (no FORMAT clause, no parameters). Returns
 * whether it was.
 */
export function castAsMacro(
  tokens: Token[],
  out: string[],
  late: LateEdits,
  at: number,
  open: number,
): boolean {
  const bounds = callBounds(tokens, open);
  if (!bounds) return false;
  let depth = 0;
  let as = -1;
  for (let j = open + 1; j < bounds.close; j++) {
    const t = tokens[j]!;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.kind === 'word' && t.text.toUpperCase() === 'AS') as = j;
  }
  if (as < 0) return false;
  const type = nextSignificant(tokens, as + 1);
  const t = tokens[type];
  if (t?.kind !== 'word' || nextSignificant(tokens, type + 1) !== bounds.close) return false;
  const target = CAST_TARGETS[t.text.toUpperCase()];
  if (target === undefined) return false;
  const safe = tokens[at]!.text.toUpperCase() === 'SAFE_CAST';
  out[at] = `bq_${safe ? 'safe_' : ''}cast_${target}`;
  // ` AS T` goes; the expression cast stays, translated as any other.
  for (let j = previousSignificant(tokens, as - 1) + 1; j < bounds.close; j++) late.drop.add(j);
  return true;
}
