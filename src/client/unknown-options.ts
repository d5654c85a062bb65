import { closestName } from '../suggest.js';

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
    // `--version` is the program's, not a command's: after `run`, `backfill` or `rerun` it was
    // meant as the release to analyse on.
    if (name === 'version')
      return candidates.includes('use-version')
        ? `${typed} (did you mean --use-version? \`contrail --version\` prints contrail's own)`
        : `${typed} (\`contrail --version\`, before any command, prints contrail's version)`;
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

/** An option that takes a value, under every name it answers to (its key, aliases, camelCase twins). */
export interface ValuedOption {
  names: readonly string[];
  /** Taken once per flag and collected (`--config_repos a --config_repos b`). */
  repeatable: boolean;
  /** Read as a number: the parser turns a value that is none into NaN, losing what was typed. */
  number?: boolean;
}

/** One option that takes a value, as the command line gives it: its value, or why it has none. */
interface GivenOption {
  option: ValuedOption;
  /** The option as typed (`--num-days`, `-x`). */
  typed: string;
  value: string | null;
  /** Why there is no value (null when there is one). */
  missing: string | null;
  /** Where in the command line the option is, and how many words it and its value take (1 or 2). */
  at: number;
  words: number;
}

/** The options of `options` in `argv`, in order, each with the value it was given. */
function givenOptions(argv: readonly string[], options: readonly ValuedOption[]): GivenOption[] {
  const byName = new Map<string, ValuedOption>();
  for (const option of options) {
    for (const name of option.names) {
      if (!byName.has(name)) byName.set(name, option);
      if (name.includes('-') && !byName.has(camelCase(name))) byName.set(camelCase(name), option);
    }
  }
  const found: GivenOption[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (!isOptionToken(arg)) continue;
    const equals = arg.indexOf('=');
    const typed = equals === -1 ? arg : arg.slice(0, equals);
    const option = byName.get(typed.replace(/^--?/, ''));
    if (option === undefined) continue;
    const at = i;
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else {
      const next = argv[i + 1];
      if (next !== undefined && next !== '--' && !isOptionToken(next)) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === '') {
      const next = argv[i + 1];
      const missing =
        equals !== -1
          ? 'nothing follows the ='
          : next === undefined || next === '--'
            ? 'nothing follows it'
            : `it is followed by the option ${next.split('=')[0]}`;
      found.push({ option, typed, value: null, missing, at, words: i - at + 1 });
    } else found.push({ option, typed, value, missing: null, at, words: i - at + 1 });
  }
  return found;
}

/**
 * What is wrong with how the command line gives the options that take a value: one followed by
 * nothing, by another option or by `=` and nothing (the parser reads those as an empty value,
 * so `--dataset_id --sql-output-dir sql/` would write to the default dataset and `--config_file`
 * alone would preview the repo's config), or one that takes a single value given several times
 * (the parser collects them into a list that no check downstream expects). Each message names
 * the option as typed; `command` is the command being run.
 */
export function misgivenOptions(
  argv: readonly string[],
  options: readonly ValuedOption[],
  command: string,
): string[] {
  const problems: string[] = [];
  const given = new Map<ValuedOption, { typed: string[]; values: string[] }>();
  for (const { option, typed, value, missing } of givenOptions(argv, options)) {
    if (value === null) {
      problems.push(`${typed} needs a value (${missing})`);
      continue;
    }
    const seen = given.get(option);
    if (seen === undefined) given.set(option, { typed: [typed], values: [value] });
    else {
      if (!seen.typed.includes(typed)) seen.typed.push(typed);
      // The same value again is one value (see withoutRepeatedValues).
      if (!seen.values.includes(value)) seen.values.push(value);
    }
  }
  for (const [option, { typed, values }] of given) {
    if (!option.repeatable && values.length > 1) {
      const said =
        typed.length === 1
          ? `${typed[0]} is given ${values.length} times`
          : `${typed.join(' and ')} (one option) are given ${values.length} values`;
      problems.push(`${said} (${values.join(', ')}): contrail ${command} takes one`);
    }
  }
  return problems;
}

/**
 * The command line with each repeat of a one-value option's value left out, or null when there
 * is none: `--slug x --experiment_slug x` (two of its names, as a script joining two habits
 * writes them) gives it one value, which the parser would collect into a list that no check
 * downstream expects. Different values stay misgivenOptions' to refuse.
 */
export function withoutRepeatedValues(
  argv: readonly string[],
  options: readonly ValuedOption[],
): string[] | null {
  const seen = new Map<ValuedOption, string>();
  const dropped = new Set<number>();
  for (const { option, value, at, words } of givenOptions(argv, options)) {
    if (option.repeatable || value === null) continue;
    if (seen.get(option) === value) for (let i = at; i < at + words; i++) dropped.add(i);
    else if (!seen.has(option)) seen.set(option, value);
  }
  return dropped.size === 0 ? null : argv.filter((_, i) => !dropped.has(i));
}

/**
 * Number options given something that is no number, each named as typed with its value as
 * typed (`--num-days "abc": expected a number`): the parser passes such a value on as NaN, and
 * the command could only say that a number was expected, not what it was given.
 */
export function nonNumberValues(argv: readonly string[], options: readonly ValuedOption[]): string[] {
  return givenOptions(argv, options)
    .filter(({ option, value }) => option.number === true && value !== null && Number.isNaN(Number(value)))
    .map(({ typed, value }) => `${typed} ${JSON.stringify(value)}: expected a number`);
}

/**
 * Flags given a value other than `true` or `false` after `=` (`--verbose=maybe`), each named as
 * typed: the parser reads any such value as one of the two without a word (`--export=yes` as
 * false), so the command ran with the flag set otherwise than meant.
 */
export function misgivenFlags(argv: readonly string[], booleans: readonly string[]): string[] {
  const flags = new Set<string>();
  for (const name of booleans) {
    for (const spelt of [name, `no-${name}`]) {
      flags.add(spelt);
      if (spelt.includes('-')) flags.add(camelCase(spelt));
    }
  }
  const problems: string[] = [];
  for (const arg of argv) {
    if (arg === '--') break;
    const equals = arg.indexOf('=');
    if (!isOptionToken(arg) || equals === -1) continue;
    const typed = arg.slice(0, equals);
    const value = arg.slice(equals + 1);
    if (flags.has(typed.replace(/^--?/, '')) && value !== 'true' && value !== 'false')
      problems.push(`${typed}=${value}: a flag takes no value, or true or false`);
  }
  return problems;
}

/** A negative number as the parser reads one: any other word starting with `-` is options to it. */
const PARSER_NUMBER = /^-(\d+(\.\d+)?|\.\d+)$/;

/**
 * The command line with each value that starts with `-` and a digit but is no number joined to
 * its option (`--max-bytes -1GB` → `--max-bytes=-1GB`), or null when there is none. The parser
 * reads such a value as short options (`-1`, `-G`, `-B`) and says only that those are unknown;
 * joined, the value reaches the option's own check, which says what the option takes.
 */
export function joinDashValues(argv: readonly string[], options: readonly ValuedOption[]): string[] | null {
  const names = new Set<string>();
  for (const option of options) {
    for (const name of option.names) {
      names.add(name);
      if (name.includes('-')) names.add(camelCase(name));
    }
  }
  const joined: string[] = [];
  let changed = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      joined.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (
      isOptionToken(arg) &&
      !arg.includes('=') &&
      names.has(arg.replace(/^--?/, '')) &&
      next !== undefined &&
      /^-\d/.test(next) &&
      !PARSER_NUMBER.test(next)
    ) {
      joined.push(`${arg}=${next}`);
      changed = true;
      i++;
    } else joined.push(arg);
  }
  return changed ? joined : null;
}

/** Whether a command-line word is an option rather than a value (`-`, negative numbers are values). */
function isOptionToken(arg: string): boolean {
  return arg.startsWith('-') && arg !== '-' && !/^-\d/.test(arg);
}
