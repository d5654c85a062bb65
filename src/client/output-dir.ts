import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { makeDirectory } from '../paths.js';
import { CliError } from './errors.js';

/**
 * A directory a command writes into (`--sql-output-dir`), made and checked before any work
 * starts: a preview that runs for minutes must not fail at its end on where it writes. A usage
 * error names the option (exit 2).
 */
export function writableDirectory(path: string, option: string): string {
  const refuse = (why: string): never => {
    throw new CliError(`${option} ${path}: ${why}; give a directory you can write to`, 2);
  };
  const full = resolve(path);
  const why = makeDirectory(full);
  if (why !== null) refuse(why);
  try {
    accessSync(full, constants.W_OK);
  } catch {
    refuse('not writable');
  }
  return full;
}
