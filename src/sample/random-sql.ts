/**
 * Seeded random numbers as DuckDB SQL expressions. Each draw is a hash of (seed, stream, keys),
 * so a value never depends on row order or thread scheduling: the same seed gives the same
 * tables on every run of the same DuckDB build (DuckDB's `hash()` is pinned with the package).
 */

const TWO_POW_53 = '9007199254740992.0';

/** Uniform on (0, 1): never 0 or 1, so logarithms are safe. `stream` separates independent draws. */
export function uniform(seed: number, stream: number, ...keys: string[]): string {
  // Chained hashes, not DuckDB's multi-argument hash(a, b, c): that combines the per-argument
  // hashes so weakly that draws from different streams came out visibly correlated. Each
  // step XORs one key into a well-mixed 64-bit state and re-hashes it (a bijection with full
  // avalanche), so streams and keys are independent for practical purposes.
  let state = `hash(${seed}::BIGINT * 1024 + ${stream})`;
  for (const key of keys) state = `hash(xor(${state}, CAST(${key} AS UBIGINT)))`;
  return `(((${state} >> 11)::DOUBLE + 0.5) / ${TWO_POW_53})`;
}

/** Standard normal by Box–Muller from two independent uniforms. */
export function normal(seed: number, stream: number, ...keys: string[]): string {
  return `(sqrt(-2.0 * ln(${uniform(seed, stream, ...keys)})) * cos(2.0 * pi() * ${uniform(seed, stream + 1, ...keys)}))`;
}

/**
 * A count with the given mean (SQL expression), geometric (the discrete exponential). Real
 * per-day telemetry counts are overdispersed like this, and unlike Poisson it has a closed-form
 * inverse, so it needs no loop in SQL: floor(ln u / ln(λ / (1 + λ))).
 */
export function geometricCount(mean: string, seed: number, stream: number, ...keys: string[]): string {
  return `CAST(CASE WHEN (${mean}) <= 0 THEN 0 ELSE floor(ln(${uniform(seed, stream, ...keys)}) / ln((${mean}) / (1.0 + (${mean})))) END AS BIGINT)`;
}
