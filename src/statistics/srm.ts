import { chisquareCdf } from './distributions.js';
import { StatisticConfigError } from './params.js';

export interface SampleRatioMismatch {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
  /** Expected count per branch under the configured ratios. */
  expected: Record<string, number>;
}

/**
 * Pearson's chi-square test of enrolled counts per branch against the configured branch
 * ratios (any positive weights; they are normalised). A branch with a ratio but no count
 * counts as 0 enrolments; a count for a branch without a ratio is an error.
 */
export function sampleRatioMismatch(
  counts: Record<string, number>,
  ratios: Record<string, number>,
): SampleRatioMismatch {
  for (const b of Object.keys(counts)) {
    if (!Object.hasOwn(ratios, b)) {
      throw new StatisticConfigError(
        `sample ratio mismatch: branch '${b}' has enrolments but no ratio; branches with ratios: ${Object.keys(ratios).join(', ')}`,
      );
    }
  }
  const branches = Object.keys(ratios);
  if (branches.length < 2) {
    throw new StatisticConfigError('sample ratio mismatch: needs the ratios of at least 2 branches');
  }
  for (const b of branches) {
    const r = ratios[b] as number;
    if (!(Number.isFinite(r) && r > 0)) {
      throw new StatisticConfigError(
        `sample ratio mismatch: ratio of branch '${b}' must be a positive number, got ${r}`,
      );
    }
    const c = counts[b] ?? 0;
    if (!(Number.isInteger(c) && c >= 0)) {
      throw new StatisticConfigError(
        `sample ratio mismatch: count of branch '${b}' must be a non-negative integer, got ${c}`,
      );
    }
  }
  const total = branches.reduce((s, b) => s + (counts[b] ?? 0), 0);
  const ratioSum = branches.reduce((s, b) => s + (ratios[b] as number), 0);
  const expected: Record<string, number> = {};
  let chi = 0;
  for (const b of branches) {
    const e = (total * (ratios[b] as number)) / ratioSum;
    expected[b] = e;
    if (e > 0) chi += ((counts[b] ?? 0) - e) ** 2 / e;
  }
  const df = branches.length - 1;
  return {
    chiSquare: chi,
    degreesOfFreedom: df,
    pValue: total === 0 ? 1 : 1 - chisquareCdf(chi, df),
    expected,
  };
}
