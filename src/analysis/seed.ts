/**
 * The statistics seed of one computation, from what identifies it (experiment, metric,
 * statistic, segment, basis, period, window): the same on every rerun, so a rerun reproduces
 * its numbers bit for bit, and unrelated between computations. A 31-bit FNV-1a hash.
 */
export function statisticSeed(parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}
