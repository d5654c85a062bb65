import { z } from 'zod';
import { didYouMean, oneOf } from '../suggest.js';

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

/** A zod issue in words a config author understands; `schema` (what was parsed) gives a number's whole rule. */
export function friendlyIssue(issue: z.core.$ZodIssue, schema?: z.ZodType): string {
  switch (issue.code) {
    case 'invalid_type': {
      const got = 'input' in issue ? describe(issue.input) : 'nothing';
      if (issue.input === undefined) return `required key is missing (expected ${issue.expected})`;
      const rule = requirement(issue, schema);
      return rule === null ? `expected ${issue.expected}, got ${got}` : `${rule}, got ${got}`;
    }
    case 'invalid_value':
      return `expected ${oneOf(issue.values.map(String))}, got ${describe(issue.input)}${typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.map(String)) : ''}`;
    case 'invalid_union':
      return `expected ${issue.path.at(-1) === 'window_start' || issue.path.at(-1) === 'window_end' ? "a number of days or one of 'enrollment_start', 'enrollment_end', 'analysis_window_start', 'analysis_window_end'" : 'a string, or a table of per-branch strings'}, got ${describe(issue.input)}`;
    case 'too_small':
    case 'too_big':
      return `${requirement(issue, schema) ?? issue.message}, got ${describe(issue.input)}`;
    default:
      return `${issue.message}${'input' in issue && issue.input !== undefined ? `, got ${describe(issue.input)}` : ''}`;
  }
}

/** zod's own wording ("Too small: expected number to be >=1"), which reads as a schema's, not a person's. */
const ZOD_WORDING = /^(Too small|Too big|Invalid input):/;

/**
 * What a value out of its range (or not whole) must be, as a config or a command line says it:
 * "must be a whole number from 1 to 100", the whole rule of the number's schema when `schema`
 * (the one parsed, the issue's path leads into it) is given, else what the issue alone tells.
 * A schema's own words for a rule ("must be in [0, 0.5]") are kept. Null for other issues.
 */
export function requirement(issue: z.core.$ZodIssue, schema?: z.ZodType): string | null {
  const number =
    (issue.code === 'invalid_type' && issue.expected === 'int') ||
    ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number');
  const sized = (issue.code === 'too_small' || issue.code === 'too_big') && !number;
  if (!number && !sized) return null;
  if (!ZOD_WORDING.test(issue.message)) return issue.message;
  const at = number && schema ? schemaAt(schema, issue.path) : null;
  if (at instanceof z.ZodNumber) return `must be ${numberRule(at)}`;
  if (issue.code === 'invalid_type') return 'must be a whole number';
  if (issue.code === 'too_small') {
    const n = Number(issue.minimum);
    if (issue.origin === 'number') return `must be ${issue.inclusive ? 'at least' : 'more than'} ${count(n)}`;
    if (issue.origin === 'string')
      return n <= 1 ? 'must not be empty' : `must be at least ${count(n)} characters long`;
    return n <= 1 ? 'must not be empty' : `must have at least ${count(n)} items`;
  }
  if (issue.code === 'too_big') {
    const n = Number(issue.maximum);
    if (issue.origin === 'number') return `must be ${issue.inclusive ? 'at most' : 'less than'} ${count(n)}`;
    if (issue.origin === 'string') return `must be at most ${count(n)} characters long`;
    return `must have at most ${count(n)} items`;
  }
  return null;
}

/** A number's schema as a rule: "a whole number from 1 to 100", "a number above 0". */
function numberRule(schema: z.ZodNumber): string {
  type Bound = { value: number; inclusive: boolean };
  let min: Bound | null = null;
  let max: Bound | null = null;
  for (const check of schema._zod.def.checks ?? []) {
    const def = check._zod.def;
    if (def.check === 'greater_than') {
      const { value, inclusive } = def as z.core.$ZodCheckGreaterThanDef;
      min = { value: Number(value), inclusive };
    } else if (def.check === 'less_than') {
      const { value, inclusive } = def as z.core.$ZodCheckLessThanDef;
      max = { value: Number(value), inclusive };
    }
  }
  const kind = schema.isInt ? 'a whole number' : 'a number';
  if (min?.inclusive && max?.inclusive) return `${kind} from ${count(min.value)} to ${count(max.value)}`;
  const parts = [
    min === null ? null : `${min.inclusive ? 'at least' : 'above'} ${count(min.value)}`,
    max === null ? null : `${max.inclusive ? 'at most' : 'below'} ${count(max.value)}`,
  ].filter((p) => p !== null);
  if (parts.length === 0) return kind;
  return `${kind} ${parts[0]?.startsWith('at ') ? 'of ' : ''}${parts.join(' and ')}`;
}

/** A number as people write it: 1,000,000 rather than 1000000. */
function count(n: number): string {
  return Number.isInteger(n) && Math.abs(n) >= 10_000 ? n.toLocaleString('en-US') : String(n);
}

/** The schema a value at `path` under `root` is parsed with (through optional, nullable and default), if it can be told. */
function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | null {
  let at: z.ZodType = root;
  for (let i = 0; ; i++) {
    while (at instanceof z.ZodOptional || at instanceof z.ZodNullable || at instanceof z.ZodDefault)
      at = at.unwrap() as z.ZodType;
    if (i === path.length) return at;
    const key = path[i];
    if (at instanceof z.ZodObject && typeof key === 'string' && key in at.shape)
      at = at.shape[key] as z.ZodType;
    else if (at instanceof z.ZodArray && typeof key === 'number') at = at.element as z.ZodType;
    else return null;
  }
}
