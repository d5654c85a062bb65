import { posix } from 'node:path';
import { shellWord } from './shell-words.js';

/**
 * The CLI as every message names it when it tells a person which command to run next
 * ("run `contrail sample`"): a hint has to work when pasted into the shell that ran this one.
 * An installed package and the image answer to `contrail`, found through PATH; a checkout's
 * launcher is run by its path (`bin/contrail`, `../contrail/bin/contrail`), and there
 * `contrail` is "command not found". bin/contrail passes the path it was run by as
 * CONTRAIL_INVOKED_AS (its `$0`). `npx contrail` finds the launcher through a PATH that npm
 * made for it (a project's or npx's cache's node_modules/.bin in front): the person's own
 * shell has no `contrail` there either, and types `npx contrail` again.
 */
const ON_PATH = 'contrail';

/**
 * The command a person types to run contrail again, from the path the launcher was run by
 * (`invokedAs`, its `$0`), the PATH it was run with and the working directory. A shell runs a
 * command it found through PATH by the full path of the file it found, so a launcher in a
 * directory on PATH is named by its name there; any other is named by the path as it was typed
 * (relative to `cwd`, where the person still is), quoted for the shell when it needs to be.
 * Without a launcher (the image runs dist/client/cli.js itself), the name on PATH.
 *
 * `npmCommand` is what npm sets as npm_command in the processes it runs (`exec` under `npx` and
 * `npm exec`, `run` or `run-script` under an npm script): a launcher npm found in a
 * node_modules/.bin it put on PATH is named `npx <name>`, which finds it again from the
 * project. A launcher run by its path (`npm run demo` runs `bin/contrail`) keeps that path.
 */
export function contrailCommandFor(
  invokedAs: string | undefined,
  path: string | undefined,
  cwd: string,
  npmCommand?: string,
): string {
  if (invokedAs === undefined || invokedAs.trim() === '') return ON_PATH;
  const name = posix.basename(invokedAs);
  if (!invokedAs.includes('/')) return shellWord(name);
  const dir = posix.dirname(posix.resolve(cwd, invokedAs));
  // An empty PATH entry is the working directory, as `.` is.
  const onPath = (path === undefined ? [] : path.split(':')).some(
    (entry) => posix.resolve(cwd, entry === '' ? '.' : entry) === dir,
  );
  if (!onPath) return shellWord(invokedAs);
  const npmBin = posix.basename(dir) === '.bin' && posix.basename(posix.dirname(dir)) === 'node_modules';
  return npmCommand && npmBin ? `npx ${shellWord(name)}` : shellWord(name);
}

let current = ON_PATH;

/** The CLI as this process's messages name it (see contrailCommandFor): `contrail` until the CLI says otherwise. */
export function contrailCommand(): string {
  return current;
}

/** Names the CLI as the command line this process runs was typed (its launcher's CONTRAIL_INVOKED_AS, npm's npm_command). */
export function useInvocation(env: NodeJS.ProcessEnv): void {
  let cwd = '/';
  try {
    cwd = process.cwd();
  } catch {
    // A working directory removed under the shell: relative paths are still compared alike.
  }
  current = contrailCommandFor(env.CONTRAIL_INVOKED_AS, env.PATH, cwd, env.npm_command);
}

/**
 * Names the CLI by its name on PATH from now on: for a worker serving a Temporal server, whose
 * activities' messages reach whoever started the run, in another process and directory, maybe
 * on another machine. (An embedded worker runs in its command's process: its messages keep that
 * command's name.)
 */
export function useNameOnPath(): void {
  current = ON_PATH;
}
