import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { setWarehouseCommand } from '../warehouse/duckdb-holder.js';
import { commands } from './commands/index.js';
import { CliError } from './errors.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Runs the contrail CLI on `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // A command waiting for the embedded warehouse file names the command that holds it.
  setWarehouseCommand(['contrail', ...argv].join(' '));
  let usageError: string | null = null;
  const parser = yargs(argv)
    .scriptName('contrail')
    .usage('$0 <command> [options]')
    .command(commands)
    .demandCommand(1, 'Name a command (see the list above).')
    .strict()
    .recommendCommands()
    .help()
    .version(pkg.version)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .exitProcess(false)
    .fail((message, error, y) => {
      if (error) throw error;
      usageError = message ?? 'invalid usage';
      const first = argv[0];
      const names = commands.map((c) => String(c.command).split(' ')[0]);
      if (first !== undefined && !first.startsWith('-') && !names.includes(first)) {
        usageError = `unknown command "${first}"; valid commands: ${names.join(', ')}`;
      }
      y.showHelp((s: string) => process.stderr.write(`${s}\n`));
      // Throwing stops yargs from running the command's handler with bad arguments.
      throw new CliError(usageError, 2);
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`${usageError === null ? '' : '\n'}contrail: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli.ts')) {
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`contrail: ${error instanceof Error ? error.message : String(error)}\n`);
      if (process.env.CONTRAIL_DEBUG) console.error(error);
      process.exitCode = 1;
    },
  );
}
