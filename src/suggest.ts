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
 * edit distance (typoDistance) at most a third of the longer word (at least 1, at most 3). Also matches
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
    const d = typoDistance(normalized, normalize(candidate));
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

/**
 * The edits that turn `a` into `b`: a letter inserted, deleted or replaced, or two adjacent
 * letters swapped, each counted once (Damerau–Levenshtein, optimal string alignment). A swap is
 * the commonest typo of all (`--prot` for `--port`, `anaylsis`): counted as two edits, as plain
 * Levenshtein counts it, it put a short name's swap beyond the limit of closestName.
 */
export function typoDistance(a: string, b: string): number {
  // Three rows of the edit-distance table: the one before the previous serves the swaps.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (beforePrevious[j - 2] as number) + 1);
      current.push(d);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

function normalize(s: string): string {
  return s.toLowerCase().replaceAll('-', '_');
}
