import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { contrailCommand, useInvocation } from '../command-name.js';
import { exportTarget, InvalidExportTargetError } from '../exports/target.js';
import { unreadableFile } from '../paths.js';
import { refuseMisspeltSettings, SettingsError } from '../settings.js';
import { didYouMean } from '../suggest.js';
import { setWarehouseCommand } from '../warehouse/duckdb-holder.js';
import { checkDuckDbSettings } from '../warehouse/duckdb-settings.js';
import { commands } from './commands/index.js';
import { CliError, describeUnexpected } from './errors.js';
import {
  joinDashValues,
  type KnownOptions,
  misgivenFlags,
  misgivenOptions,
  nonNumberValues,
  unknownOptions,
  unknownOptionsMessage,
  type ValuedOption,
  withoutRepeatedValues,
} from './unknown-options.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Messages of the usage errors the parser raised (printed after the help). */
const usageErrors = new Set<string>();

/** The command line to parse instead, its option values that the parser split joined to their options. */
class ParseAgain extends Error {
  constructor(readonly argv: string[]) {
    super('parse the command line again');
  }
}

/**
 * The CLI's parser over `argv` (without node and script). Usage errors throw a CliError with
 * exit code 2 after printing the help; `list` lets tests parse without running commands.
 */
export function buildParser(argv: string[], list: typeof commands = commands) {
  const parser = yargs(argv);
  return (
    parser
      .scriptName(contrailCommand())
      .usage('$0 <command> [options]')
      // `--version` is contrail's, before any command: after one, `run --version 0.1.0` (meant as
      // --use-version) printed the version and exited 0 without analysing anything; there it
      // is an unknown option, with the option it resembles.
      .command(list.map((command) => ({ ...command, builder: withoutVersion(command.builder) })))
      // One value per flag for every repeatable option (`--config_repos a --config_repos b`), as
      // jetstream takes them: a greedy array would swallow the positional arguments after it.
      .parserConfiguration({ 'greedy-arrays': false })
      // An option left without its value, or a one-value option given twice, is a usage error
      // naming it: the parser would read an empty value (the default, silently) or a list.
      .check((args) => {
        const valued = valuedOptions(parser);
        const once = withoutRepeatedValues(argv, valued);
        if (once !== null) throw new ParseAgain(once);
        const problems = misgivenOptions(argv, valued, String(args._[0] ?? ''));
        if (problems.length > 0) return problems.join('; ');
        // A value that is no number is said like the commands' own checks of values: without
        // the help first (the option is right, its value is not).
        const values = [
          ...nonNumberValues(argv, valued),
          ...misgivenFlags(argv, knownOptions(parser).booleans),
        ];
        if (values.length > 0) throw new CliError(values.join('; '), 2);
        return true;
      }, true)
      .demandCommand(1, 'Name a command (see the list above).')
      .strict()
      .recommendCommands()
      // `-h` is what most CLIs answer with their help: without it, a usage error said "unknown option -h".
      .help()
      .alias('help', 'h')
      .version(pkg.version)
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .exitProcess(false)
      .fail((message, error, y) => {
        // A value given again under another of its option's names is one value: parsed as a
        // list, an option's own check (`--experiments_file`) could have failed on it already.
        const once = withoutRepeatedValues(argv, valuedOptions(parser));
        if (once !== null) throw new ParseAgain(once);
        // yargs' own errors (a missing option value) are usage errors too, as is a message a
        // command's check returns (yargs passes that string as the "error"); others are the command's.
        if (error instanceof Error && error.name !== 'YError') throw error;
        // `--max-bytes -1GB`: the parser took the value for options (-1 -G -B) and failed on
        // them. Nothing has run yet: parsed again with the value joined to its option, the
        // option's own check says what it takes.
        const joined = joinDashValues(argv, valuedOptions(parser));
        if (joined !== null) throw new ParseAgain(joined);
        const first = argv[0];
        const names = list.map((c) => String(c.command).split(' ')[0] as string);
        const usageLine = list.map((c) => String(c.command)).find((c) => c.split(' ')[0] === first);
        let usage = extraArgumentsMessage(
          missingArgumentsMessage(message ?? error?.message ?? 'invalid usage', usageLine),
          argv,
          usageLine,
        );
        // A repeatable option without its value fails the parser before the check above runs:
        // said as that check says it of any other option (`--param needs a value …`), not in the
        // parser's words (`Not enough arguments following: param`).
        if (/^Not enough arguments following/.test(usage)) {
          const problems = misgivenOptions(argv, valuedOptions(parser), String(first ?? ''));
          if (problems.length > 0) usage = problems.join('; ');
        }
        if (first !== undefined && !first.startsWith('-') && !names.includes(first)) {
          usage = `unknown command "${first}"${didYouMean(first, names)}; valid commands: ${names.join(', ')}`;
        } else {
          // A mistyped option is the first thing to say, whatever else failed: yargs checks the
          // required options before the unknown ones, so `--experiment-slg x` would only be
          // told that --experiment_slug is missing.
          const known = knownOptions(parser);
          const unknown = unknownOptions(argv, known);
          if (unknown.length > 0) usage = unknownOptionsMessage(unknown, known);
        }
        y.showHelp((s: string) => process.stderr.write(`${s}\n`));
        // Throwing stops yargs from running the command's handler with bad arguments.
        usageErrors.add(usage);
        throw new CliError(usage, 2);
      })
  );
}

/** A command's builder that also turns off yargs' `--version` inside the command. */
function withoutVersion(builder: (typeof commands)[number]['builder']) {
  return (y: Argv): Argv => {
    const built = typeof builder === 'function' ? builder(y) : y.options(builder ?? {});
    return (built as Argv).version(false);
  };
}

/**
 * The parser's word for a required option or argument left out, in the command line's terms:
 * `Missing required argument: date` names the option as it is written (`--date`), and `Not enough
 * non-option arguments: got 0, need at least 1` names the arguments the command takes
 * (`usageLine`, as the command declares it: `validate <files..>`). Other messages are kept.
 */
export function missingArgumentsMessage(message: string, usageLine: string | undefined): string {
  const positionals = usageLine?.split(' ').slice(1) ?? [];
  const missing = /^Missing required arguments?: (.+)$/.exec(message);
  if (missing) {
    const named = (missing[1] as string)
      .split(', ')
      .map((name) => positionals.find((p) => p.replace(/^[<[]|(\.\.)?[>\]]$/g, '') === name) ?? `--${name}`);
    const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
    return `${list} ${named.length === 1 ? 'is' : 'are'} required (see the options above)`;
  }
  if (/^Not enough non-option arguments/.test(message) && usageLine !== undefined) {
    const required = positionals.filter((p) => p.startsWith('<'));
    return `missing ${required.join(' ')}: the command is \`${contrailCommand()} ${usageLine}\` (see above)`;
  }
  return message;
}

/**
 * The parser's word for arguments a command does not take, in the command line's terms: `Unknown
 * argument: b.csv` of `stats a.csv b.csv` did not say that the command takes one file, so it
 * says what the command is (`usageLine`). Kept as it is when what it names are not words of the
 * command line as typed (short options the parser split off a word, said otherwise).
 */
export function extraArgumentsMessage(
  message: string,
  argv: readonly string[],
  usageLine: string | undefined,
): string {
  const extra = /^Unknown arguments?: (.+)$/.exec(message);
  if (!extra || usageLine === undefined) return message;
  const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
  const named = (extra[1] as string).split(', ');
  if (!named.every((name) => !name.startsWith('-') && words.includes(name))) return message;
  return `unexpected argument${named.length === 1 ? '' : 's'} ${named.join(', ')}: the command is \`${contrailCommand()} ${usageLine}\` (see above)`;
}

/** The options of the command being parsed, as yargs holds them (its typings leave this out). */
function knownOptions(parser: object): KnownOptions {
  const options = (
    parser as {
      getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; boolean: string[] };
    }
  ).getOptions();
  const aliases = (name: string) => [name, ...(options.alias[name] ?? [])];
  return {
    names: Object.keys(options.key).flatMap(aliases),
    booleans: options.boolean.flatMap(aliases),
  };
}

/** The options of the command being parsed that take a value, each under all its names. */
function valuedOptions(parser: object): ValuedOption[] {
  const options = (
    parser as {
      getOptions(): {
        alias: Record<string, string[]>;
        array: string[];
        number: string[];
        string: string[];
      };
    }
  ).getOptions();
  return [...new Set([...options.string, ...options.number])].map((key) => ({
    names: [key, ...(options.alias[key] ?? [])],
    repeatable: options.array.includes(key),
    number: options.number.includes(key),
  }));
}

/**
 * A misspelt CONTRAIL_* or TEMPORAL_* setting, or one whose value contrail cannot take, stops every command
 * before it does anything, as a usage error does: left to the code that reads it, a bad value
 * would fail a run only after its server had started, or each analysis at its publish.
 */
async function refuseBadSettings(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    refuseMisspeltSettings(env);
    // A mistyped warehouse name is each command's to refuse (settings.ts, warehouseKind).
    if ((env.CONTRAIL_WAREHOUSE ?? 'duckdb') === 'duckdb') checkDuckDbSettings(env);
    if (env.CONTRAIL_WAREHOUSE === 'bigquery') {
      // Every value set is checked, whichever command reads it; a missing project is said by
      // the commands that need one.
      const { bigQuerySettingValues } = await import('../warehouse/bigquery-settings.js');
      bigQuerySettingValues(env);
    }
    const exportDir = env.CONTRAIL_EXPORT_DIR?.trim();
    if (exportDir) exportTarget(exportDir);
    // An experiments file that is not there failed a preview or run only once its server had
    // started, as the worker's ENOENT naming neither the setting nor what to set instead.
    const experimentsFile = env.CONTRAIL_EXPERIMENTS_FILE?.trim();
    if (experimentsFile && !env.CONTRAIL_EXPERIMENTER_URL?.trim()) {
      const problem = unreadableFile(experimentsFile, 'an experiments file');
      if (problem !== null)
        throw new SettingsError(
          `CONTRAIL_EXPERIMENTS_FILE=${experimentsFile}: ${problem} (expected an Experimenter v8 JSON file; or set CONTRAIL_EXPERIMENTER_URL)`,
        );
    }
  } catch (error) {
    if (error instanceof SettingsError) throw new CliError(error.message);
    if (error instanceof InvalidExportTargetError)
      throw new CliError(`CONTRAIL_EXPORT_DIR: ${error.message}`);
    throw error;
  }
}

/** Runs the contrail CLI on `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // The hints name the next command as the user typed this one (bin/contrail, or contrail on PATH).
  useInvocation(process.env);
  // A command waiting for the embedded warehouse file names the command that holds it.
  setWarehouseCommand(['contrail', ...argv].join(' '));
  const parser = buildParser(argv);
  try {
    await refuseBadSettings();
    await parser.parseAsync();
  } catch (error) {
    if (error instanceof ParseAgain) return await main(error.argv);
    if (error instanceof CliError) {
      // A usage error follows the help text yargs printed: a blank line between them.
      process.stderr.write(`${usageErrors.has(error.message) ? '\n' : ''}contrail: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}

/**
 * A terminal closed under the command (SIGHUP) fails every later write to it: the command still
 * ends its work cleanly (see interrupt.ts), and what it would have said has no reader.
 */
function terminalGone(error: NodeJS.ErrnoException): boolean {
  return error.code === 'EIO' || error.code === 'ERR_STREAM_DESTROYED';
}

/** Runs the command line this process was started with, as the `contrail` program. */
export function runAsProgram(): void {
  // A reader that has what it wants closes the pipe (`contrail plan … | head`): the output is
  // done, not failed. Unhandled, the next write ended the process with a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (terminalGone(error)) return;
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (!terminalGone(error)) throw error;
  });
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`contrail: ${describeUnexpected(error)}\n`);
      if (process.env.CONTRAIL_DEBUG) console.error(error);
      process.exitCode = 1;
    },
  );
}

// Started as a program (from the sources or dist/), not imported: run the command line. The
// checkout's bundled entry (program.ts) calls runAsProgram itself.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli.ts')) runAsProgram();
