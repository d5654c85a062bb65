import type { z } from 'zod';
import { didYouMean, oneOf } from './suggest.js';

/** A TOML table as parsed (not a list, a date-time or a scalar). */
export type Table = Record<string, unknown>;

export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** A value as a config author would name it in a message: `the string "x"`, `a list`, `number 3`. */
export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date-time';
  if (isTable(v)) return 'a table';
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** A zod issue in words a config author understands. */
export function friendlyIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const got = 'input' in issue ? describe(issue.input) : 'nothing';
      return issue.input === undefined
        ? `required key is missing (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${got}`;
    }
    case 'invalid_value':
      return `expected ${oneOf(issue.values.map(String))}, got ${describe(issue.input)}${typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.map(String)) : ''}`;
    case 'invalid_union':
      return `expected ${issue.path.at(-1) === 'window_start' || issue.path.at(-1) === 'window_end' ? "a number of days or one of 'enrollment_start', 'enrollment_end', 'analysis_window_start', 'analysis_window_end'" : 'a string, or a table of per-branch strings'}, got ${describe(issue.input)}`;
    case 'too_small':
    case 'too_big':
      return `${issue.message}, got ${describe(issue.input)}`;
    default:
      return `${issue.message}${'input' in issue && issue.input !== undefined ? `, got ${describe(issue.input)}` : ''}`;
  }
}
