import { createHash } from 'node:crypto';
import type { ConfigFile, FilePlace } from './config-file.js';
import { parseConfigText } from './parse.js';

/**
 * Parsed files by content: the same file read again (another asOf, another repo order, the
 * benchmark's repeated loads) is not parsed again. Parsed files are never mutated. Bounded,
 * least recently used first out: a long-running worker reading many commits of a repo keeps
 * about as many files as a few snapshots of metric-hub hold.
 */
export const PARSE_CACHE_LIMIT = 4096;
const parseCache = new Map<string, ConfigFile>();

let parses = 0;

/** How many files this process has parsed (not found in the cache) so far, for benchmarks and tests. */
export function configFilesParsed(): number {
  return parses;
}

/** How many parsed files the cache holds (never more than PARSE_CACHE_LIMIT). */
export function parsedFilesCached(): number {
  return parseCache.size;
}

/** parseConfigText, once per file name, place and content. */
export function parseCached(file: string, source: string, place: FilePlace): ConfigFile {
  const { kind, slug, platform } = place;
  const key = createHash('sha1').update(`${file}\0${kind}\0${platform}\0`).update(source).digest('hex');
  let parsed = parseCache.get(key);
  if (parsed) {
    // Re-inserted so that Map order is least recently used first.
    parseCache.delete(key);
  } else {
    parsed = parseConfigText(file, source, kind, slug, platform);
    parses += 1;
    while (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.delete(parseCache.keys().next().value as string);
  }
  parseCache.set(key, parsed);
  return parsed;
}
