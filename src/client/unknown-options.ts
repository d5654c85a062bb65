import { closestName } from '../config/suggest.js';

/** What the parser knows of the options in force for the command being parsed. */
export interface KnownOptions {
  /** Every name an option answers to: its key and its aliases, as declared. */
  names: readonly string[];
  /** The boolean ones among them, which also answer to `--no-<name>`. */
  booleans: readonly string[];
}

/**
 * The options on a command line that no option of the command answers to, each once and as
 * typed (`--num-dayz`, `-q`), in order. Values and positional arguments are not options: what
 * follows `--`, a lone `-` and negative numbers are skipped. An option answers to its names,
 * the camelCase twins the parser accepts and, for a boolean, `no-` before them.
 */
export function unknownOptions(argv: readonly string[], known: KnownOptions): string[] {
  const accepted = new Set<string>();
  for (const name of [...known.names, ...known.booleans.map((b) => `no-${b}`)]) {
    accepted.add(name);
    // The parser gives a name with a `-` in it a camelCase twin (`num-days`: `numDays`).
    if (name.includes('-')) accepted.add(camelCase(name));
  }
  const unknown: string[] = [];
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
    const typed = arg.split('=')[0] as string;
    // `--param.key` sets a key of --param: the option is what comes before the dot.
    const name = typed.replace(/^--?/, '').split('.')[0] as string;
    if (!accepted.has(name) && !unknown.includes(typed)) unknown.push(typed);
  }
  return unknown;
}

/**
 * `unknown option --num-dayz (did you mean --num-days?)`: the options no option of the command
 * answers to, each with the option it looks like a typo of, spelt as the user spells options
 * (`-` or `_` between words).
 */
export function unknownOptionsMessage(unknown: readonly string[], known: KnownOptions): string {
  const candidates = [...known.names, ...known.booleans.map((b) => `no-${b}`)];
  const named = unknown.map((typed) => {
    const name = typed.replace(/^--?/, '');
    // Both spellings of an option are equally close: offer the one written like the typo.
    const alike = candidates.filter((c) => spelling(c) === spelling(name));
    const best = closestName(name, [...alike, ...candidates.filter((c) => !alike.includes(c))]);
    return best === null ? typed : `${typed} (did you mean ${best.length === 1 ? '-' : '--'}${best}?)`;
  });
  return `unknown option${unknown.length === 1 ? '' : 's'} ${named.join(', ')}`;
}

/** How a name joins its words: with `-`, `_`, both or neither (a boolean's `no-` aside). */
function spelling(name: string): string {
  const words = name.replace(/^no-/, '');
  return `${words.includes('-') ? '-' : ''}${words.includes('_') ? '_' : ''}`;
}

function camelCase(name: string): string {
  return name.replace(/[-_]+([^-_])/g, (_, c: string) => c.toUpperCase());
}
