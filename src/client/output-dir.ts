import { accessSync, constants, rmdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { makeDirectory } from '../paths.js';
import { CliError } from './errors.js';

/**
 * A directory a command writes into (`--sql-output-dir`), made and checked before any work
 * starts: a preview that runs for minutes must not fail at its end on where it writes. A usage
 * error names the option (exit 2).
 */
export function writableDirectory(path: string, option: string, made: string[] = []): string {
  const refuse = (why: string): never => {
    throw new CliError(`${option} ${path}: ${why}; give a directory you can write to`, 2);
  };
  const full = resolve(path);
  const why = makeDirectory(full, made);
  if (why !== null) refuse(why);
  try {
    accessSync(full, constants.W_OK);
  } catch {
    refuse('not writable');
  }
  return full;
}

/**
 * Runs `work`, which writes into `path`, the directory of `option` (made and checked first, by
 * writableDirectory). A command that fails before it writes anything there (a config that does
 * not resolve, a preview refused or failed as a whole) leaves no empty directory it made behind:
 * they go again, innermost first, while empty. One that was there before stays, as does anything
 * written.
 */
export async function writingInto<T>(
  path: string | undefined,
  option: string,
  work: () => Promise<T>,
): Promise<T> {
  if (path === undefined) return await work();
  const made: string[] = [];
  writableDirectory(path, option, made);
  try {
    return await work();
  } catch (error) {
    for (const dir of made.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // Not empty (something was written), or gone: it and those above it stay.
        break;
      }
    }
    throw error;
  }
}
