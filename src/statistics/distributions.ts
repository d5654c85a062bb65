import { createRequire } from 'node:module';
import type betaQuantileModule from '@stdlib/stats-base-dists-beta-quantile';
import type chisquareCdfModule from '@stdlib/stats-base-dists-chisquare-cdf';
import type normalQuantileModule from '@stdlib/stats-base-dists-normal-quantile';
import type tQuantileModule from '@stdlib/stats-base-dists-t-quantile';

// The distribution functions the statistics take from @stdlib. Those packages are some 400 small
// CommonJS modules, about a quarter of a CPU-second to load, and most of what imports the
// statistics only reads their definitions (a config check, a query plan): each package is
// required when its function is first called, not when the statistics are imported.

const require = createRequire(import.meta.url);

/** A function of a CommonJS package, required on its first call. */
function onFirstCall<F>(name: string): () => F {
  let loaded: F | undefined;
  return () => {
    loaded ??= require(name) as F;
    return loaded;
  };
}

const chisquare = onFirstCall<typeof chisquareCdfModule>('@stdlib/stats-base-dists-chisquare-cdf');
const beta = onFirstCall<typeof betaQuantileModule>('@stdlib/stats-base-dists-beta-quantile');
const normal = onFirstCall<typeof normalQuantileModule>('@stdlib/stats-base-dists-normal-quantile');
const t = onFirstCall<typeof tQuantileModule>('@stdlib/stats-base-dists-t-quantile');

/** P(X ≤ x) for a chi-squared distribution with `k` degrees of freedom. */
export const chisquareCdf = (x: number, k: number): number => chisquare()(x, k);
/** The `p` quantile of Beta(alpha, beta). */
export const betaQuantile = (p: number, alpha: number, b: number): number => beta()(p, alpha, b);
/** The `p` quantile of Normal(mu, sigma). */
export const normalQuantile = (p: number, mu: number, sigma: number): number => normal()(p, mu, sigma);
/** The `p` quantile of Student's t with `v` degrees of freedom. */
export const tQuantile = (p: number, v: number): number => t()(p, v);
