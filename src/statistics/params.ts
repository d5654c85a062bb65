import { z } from 'zod';
import { ContrailError } from '../errors.js';

/** A configuration problem with a statistic or pre-treatment: its message names what is wrong. */
export class StatisticConfigError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'StatisticConfigError';
  }
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
  const valid = Object.keys(schema.shape);
  for (const key of Object.keys(raw)) {
    if (!valid.includes(key)) {
      const list = valid.length > 0 ? valid.join(', ') : 'none';
      throw new StatisticConfigError(
        `unknown parameter '${key}' for ${what} '${name}'; valid parameters: ${list}`,
      );
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new StatisticConfigError(
      `invalid parameter '${path}' for ${what} '${name}': ${issue?.message ?? 'invalid value'}`,
    );
  }
  return parsed.data;
}

export const confidenceInterval = z
  .number()
  .gt(0, 'must be between 0 and 1 (exclusive)')
  .lt(1, 'must be between 0 and 1 (exclusive)');
export const numSamples = z
  .number()
  .int('must be an integer')
  .min(100, 'must be at least 100')
  .max(1_000_000, 'must be at most 1,000,000');
/** jetstream clips at the (1 − drop_highest) quantile; mozanalysis requires that quantile ≥ 0.5. */
export const dropHighest = z.number().min(0, 'must be in [0, 0.5]').max(0.5, 'must be in [0, 0.5]');
