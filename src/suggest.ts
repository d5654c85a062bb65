import { distance } from 'fastest-levenshtein';

/**
 * Names config authors write for a key that is spelt otherwise, too far from it for the edit
 * distance: metric-hub's own configs set `exposure_basis = ["exposures", ...]` on metrics, which
 * jetstream ignores, meaning `analysis_bases`.
 */
const KNOWN_ALIASES: Readonly<Record<string, string>> = {
  exposure_basis: 'analysis_bases',
  exposure_bases: 'analysis_bases',
  analysis_basis: 'analysis_bases',
};

/**
 * The candidate closest to a misspelt name, when it is close enough to be a typo:
 * edit distance at most a third of the longer word (at least 1, at most 3). Also matches
 * names that differ only in case, `-` vs `_`, or by a known alias (KNOWN_ALIASES).
 */
export function closestName(name: string, candidates: Iterable<string>): string | null {
  const normalized = normalize(name);
  const listed = [...candidates];
  const alias = KNOWN_ALIASES[normalized];
  if (alias !== undefined && listed.includes(alias)) return alias;
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of listed) {
    if (candidate === name) continue;
    if (normalize(candidate) === normalized) return candidate;
    const d = distance(normalized, normalize(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === null) return null;
  const limit = Math.min(3, Math.max(1, Math.floor(Math.max(name.length, best.length) / 3)));
  return bestDistance <= limit ? best : null;
}

/** ` (did you mean 'x'?)` or the empty string, for appending to a message. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const best = closestName(name, candidates);
  return best === null ? '' : ` (did you mean '${best}'?)`;
}

/** `'a', 'b' or 'c'`: a short list of what would be valid. */
export function oneOf(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

function normalize(s: string): string {
  return s.toLowerCase().replaceAll('-', '_');
}
