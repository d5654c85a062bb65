/**
 * Independent async calls, at most `limit` at a time. Deterministic and free of Node APIs:
 * workflow code runs its windows and experiments with it, activities and adapters their
 * independent server and warehouse calls.
 */

/** Runs `fn` over `items`, at most `limit` at a time, in order of start; never rejects. */
export async function boundedAll<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await fn(items[index] as T, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * `fn` over `items`, at most `limit` at a time; the results in the order of `items` whatever
 * order the calls finish in. Rejects with the first item's error (in the order of `items`)
 * once all calls have settled, so none is left running behind the caller.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const settled = await boundedAll(items, limit, fn);
  return settled.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

/**
 * As mapBounded, but once a call rejects the calls not yet started are not made: for calls that
 * are all in vain after one failure (a warehouse that stopped answering, an estimate that cannot
 * be made).
 */
export async function mapBoundedUntilFailure<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  let failed: { error: unknown } | null = null;
  return mapBounded(items, limit, async (item, index) => {
    if (failed !== null) throw failed.error;
    try {
      return await fn(item, index);
    } catch (error) {
      failed ??= { error };
      throw error;
    }
  });
}
