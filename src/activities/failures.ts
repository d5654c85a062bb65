import { toTemporalFailure } from '../temporal/failures.js';

/**
 * Wraps every activity of an object so that what it throws leaves it through the one mapping
 * from errors to Temporal failures (permanent errors are not retried; the rest are).
 */
export function withFailureMapping<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw toTemporalFailure(error);
      }
    };
  }
  return wrapped as T;
}
