import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError } from './errors.js';

/**
 * A directory a command writes into (`--sql-output-dir`), made and checked before any work
 * starts: a preview that runs for minutes must not fail at its end on where it writes. Missing
 * directories are made one level at a time (node's recursive mkdir never returns on some paths
 * the kernel refuses, such as under /proc). A usage error names the option (exit 2).
 */
export function writableDirectory(path: string, option: string): string {
  const full = resolve(path);
  const refuse = (why: string): never => {
    throw new CliError(`${option} ${path}: ${why}; give a directory you can write to`, 2);
  };
  const missing: string[] = [];
  let existing = full;
  for (;;) {
    let kind: ReturnType<typeof statSync>;
    try {
      kind = statSync(existing, { throwIfNoEntry: false });
    } catch (error) {
      // ENOTDIR: a file stands where a directory of the path should be.
      return refuse(
        `${(error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'a file is in its way' : String(error)}`,
      );
    }
    if (kind) {
      if (!kind.isDirectory()) refuse(`${existing} is not a directory`);
      break;
    }
    missing.unshift(existing);
    existing = dirname(existing);
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      refuse(`cannot make ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  try {
    accessSync(full, constants.W_OK);
  } catch {
    refuse('not writable');
  }
  return full;
}
