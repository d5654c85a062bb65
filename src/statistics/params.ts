import { z } from 'zod';
import { ContrailError } from '../errors.js';

/** A configuration problem with a statistic or pre-treatment: its message names what is wrong. */
export class StatisticConfigError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'StatisticConfigError';
  }
}

/** One thing wrong with a statistic's or pre-treatment's parameters: where, and what. */
export interface ParamIssue {
  /** Path inside the parameters (`['covariate_adjustment', 'period']`); empty for the whole table. */
  path: (string | number)[];
  message: string;
  /** The key is not a parameter at all (the message lists the valid ones). */
  unknownKey: boolean;
  /** The schema's own issue, for callers that word type errors themselves. */
  issue?: z.core.$ZodIssue;
}

/**
 * Every problem with `raw` parameters of statistic/pre-treatment `name` against `schema`. The
 * statistics and config validation both check through here, so what a config check accepts is
 * exactly what the statistics run.
 */
export function paramIssues<S extends z.ZodObject>(
  what: string,
  name: string,
  schema: S,
  raw: Record<string, unknown>,
): ParamIssue[] {
  const valid = Object.keys(schema.shape);
  const unknown = Object.keys(raw).filter((key) => !valid.includes(key));
  if (unknown.length > 0) {
    const list = valid.length > 0 ? valid.join(', ') : 'none';
    return unknown.map((key) => ({
      path: [key],
      message: `unknown parameter '${key}' for ${what} '${name}'; valid parameters: ${list}`,
      unknownKey: true,
    }));
  }
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    message: `invalid parameter '${issue.path.join('.')}' for ${what} '${name}': ${issue.message}`,
    unknownKey: false,
    issue,
  }));
}

/**
 * Validates `raw` parameters of statistic/pre-treatment `name` against `schema` (an object of
 * parameters with jetstream's defaults). Unknown names and bad values throw one clear message.
 */
export function parseParams<S extends z.ZodObject>(
  what: string,
  name: string,
  schema: S,
  raw: Record<string, unknown>,
): z.infer<S> {
  const issue = paramIssues(what, name, schema, raw)[0];
  if (issue) throw new StatisticConfigError(issue.message);
  return schema.parse(raw);
}

export const confidenceInterval = z
  .number()
  .gt(0, 'must be between 0 and 1 (exclusive)')
  .lt(1, 'must be between 0 and 1 (exclusive)');
export const numSamples = z
  .number()
  .int('must be a whole number')
  .min(100, 'must be at least 100')
  .max(1_000_000, 'must be at most 1,000,000');
/** jetstream clips at the (1 − drop_highest) quantile; mozanalysis requires that quantile ≥ 0.5. */
export const dropHighest = z.number().min(0, 'must be in [0, 0.5]').max(0.5, 'must be in [0, 0.5]');
