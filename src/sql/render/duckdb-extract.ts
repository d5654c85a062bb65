/**
 * `EXTRACT(part FROM x)` for the parts whose DuckDB value differs from BigQuery's, silently:
 * - DAYOFWEEK: BigQuery counts Sunday as 1 … Saturday 7, DuckDB Sunday 0 … Saturday 6 → `+ 1`;
 * - WEEK: BigQuery's weeks start on Sunday, and the days before the year's first Sunday are week
 *   0; DuckDB's WEEK is the ISO week → `bq_week(x)` (a macro, bigquery-compat-install.ts);
 * - MILLISECOND / MICROSECOND: BigQuery's are within the second, DuckDB's include the seconds
 *   (01.234 s gives 1234) → `% 1000` / `% 1000000`;
 * - ISOWEEK, which DuckDB calls WEEK (it has no ISOWEEK).
 */
import { callBounds, nextSignificant, type Token } from './bigquery-lexer.js';
import type { LateEdits } from './duckdb-rewrites.js';

const WITHIN_SECOND: Record<string, string> = { MILLISECOND: '1000', MICROSECOND: '1000000' };

/** Rewrites the EXTRACT whose name is at `at` and `(` at `open`, when its part is one of those above. */
export function extractPart(tokens: Token[], out: string[], late: LateEdits, at: number, open: number): void {
  const bounds = callBounds(tokens, open);
  if (!bounds) return;
  const part = nextSignificant(tokens, open + 1);
  const from = nextSignificant(tokens, part + 1);
  if (tokens[part]?.kind !== 'word' || tokens[from]?.text.toUpperCase() !== 'FROM') return;
  const name = tokens[part]!.text.toUpperCase();
  const wrap = (after: string) => {
    out[at] = `(${out[at]}`;
    late.after.set(bounds.close, `${after})${late.after.get(bounds.close) ?? ''}`);
  };
  if (name === 'DAYOFWEEK') wrap(' + 1');
  else if (name in WITHIN_SECOND) wrap(` % ${WITHIN_SECOND[name]}`);
  else if (name === 'ISOWEEK') out[part] = 'WEEK';
  else if (name === 'WEEK') {
    out[at] = 'bq_week';
    for (let j = open + 1; j < nextSignificant(tokens, from + 1); j++) late.drop.add(j);
  }
}
