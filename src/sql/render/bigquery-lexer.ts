/**
 * A small tokenizer for BigQuery SQL text, enough to rewrite config fragments safely: it knows
 * string literals (single, double, triple-quoted, raw, bytes), comments and backtick identifiers,
 * so rewrites never touch text inside them.
 */
import { ContrailError } from '../../errors.js';

/** Config SQL that cannot be tokenized (an unterminated string, identifier or comment): the config must change. */
export class SqlSyntaxError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'SqlSyntaxError';
  }
}

export type TokenKind = 'string' | 'comment' | 'quoted_identifier' | 'word' | 'space' | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
}

function readQuoted(sql: string, start: number, prefixLength: number): number {
  const quote = sql[start + prefixLength] as string;
  const triple = sql.startsWith(quote.repeat(3), start + prefixLength);
  const raw = /r/i.test(sql.slice(start, start + prefixLength));
  const close = triple ? quote.repeat(3) : quote;
  let i = start + prefixLength + close.length;
  while (i < sql.length) {
    if (!raw && sql[i] === '\\') {
      i += 2;
      continue;
    }
    if (sql.startsWith(close, i)) return i + close.length;
    i++;
  }
  throw new SqlSyntaxError(`unterminated string literal starting at: ${sql.slice(start, start + 40)}`);
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    let end: number;
    let kind: TokenKind;
    const prefix = /^(?:[rRbB]|[rR][bB]|[bB][rR])(?=['"])/.exec(sql.slice(i, i + 3));
    if (c === "'" || c === '"' || prefix) {
      kind = 'string';
      end = readQuoted(sql, i, prefix ? prefix[0].length : 0);
    } else if (c === '`') {
      kind = 'quoted_identifier';
      end = sql.indexOf('`', i + 1);
      if (end < 0) throw new SqlSyntaxError(`unterminated backtick identifier at: ${sql.slice(i, i + 40)}`);
      end++;
    } else if (sql.startsWith('--', i) || c === '#') {
      kind = 'comment';
      end = sql.indexOf('\n', i);
      if (end < 0) end = sql.length;
    } else if (sql.startsWith('/*', i)) {
      kind = 'comment';
      end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SqlSyntaxError(`unterminated comment at: ${sql.slice(i, i + 40)}`);
      end += 2;
    } else if (/\s/.test(c)) {
      kind = 'space';
      end = i + 1;
      while (end < sql.length && /\s/.test(sql[end] as string)) end++;
    } else if (/[A-Za-z0-9_]/.test(c)) {
      kind = 'word';
      end = i + 1;
      while (end < sql.length && /[A-Za-z0-9_]/.test(sql[end] as string)) end++;
    } else {
      kind = 'punct';
      end = i + 1;
    }
    tokens.push({ kind, text: sql.slice(i, end) });
    i = end;
  }
  return tokens;
}

/** The value a BigQuery string literal token denotes (quotes and escapes removed). */
export function stringValue(token: string): string {
  const prefix = /^[rRbB]*/.exec(token)?.[0] ?? '';
  const raw = /r/i.test(prefix);
  const body = token.slice(prefix.length);
  const quoteLength = body.startsWith(body[0]!.repeat(3)) && body.length >= 6 ? 3 : 1;
  const inner = body.slice(quoteLength, body.length - quoteLength);
  if (raw) return inner;
  return inner.replace(/\\(.)/gs, (_m, ch: string) => {
    switch (ch) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      default:
        return ch;
    }
  });
}

export function nextSignificant(tokens: Token[], from: number): number {
  let i = from;
  while (i < tokens.length && (tokens[i]!.kind === 'space' || tokens[i]!.kind === 'comment')) i++;
  return i;
}

export function previousSignificant(tokens: Token[], from: number): number {
  let i = from;
  while (i >= 0 && (tokens[i]!.kind === 'space' || tokens[i]!.kind === 'comment')) i--;
  return i;
}

/** Index of the `)` closing the `(` at `open`, and of the last top-level comma between them. */
export function callBounds(tokens: Token[], open: number): { close: number; lastComma: number } | null {
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

/**
 * The call whose `(` is at `open`: its `)` and the commas between its arguments (null when it is
 * not closed).
 */
export function callArguments(tokens: Token[], open: number): { close: number; commas: number[] } | null {
  const bounds = callBounds(tokens, open);
  if (!bounds) return null;
  const commas: number[] = [];
  let depth = 0;
  for (let j = open + 1; j < bounds.close; j++) {
    const t = tokens[j]!;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.text === ',') commas.push(j);
  }
  return { close: bounds.close, commas };
}

/** Index of the `(` or `[` that the `)` or `]` at `close` closes, else -1. */
export function matchingOpen(tokens: Token[], close: number): number {
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
