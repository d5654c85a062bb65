/**
 * How long the page waits before asking the server again (it is restarting, the warehouse is
 * busy or not written yet, the dataset has no results yet): soon at first, then less and less
 * often, never longer than a reader would wait for a result to appear. No DOM: the page bundle
 * imports it, and unit tests check it.
 */
export const FIRST_RETRY_MS = 2000;
export const LONGEST_RETRY_MS = 16_000;

/** The wait before the `attempt`-th retry in a row (0 for the first). */
export function retryDelayMs(attempt: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempt), LONGEST_RETRY_MS);
}
