import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { currentCommand, isRunning } from '../warehouse/duckdb-holder.js';
import { CliError } from './errors.js';

/**
 * Which Temporal dev server uses a SQLite database file. Two servers on one file break each
 * other (each fails on the other's locks: `database is locked (SQLITE_BUSY)`), yet SQLite lets
 * the second open it, and the second usually listens on another port, so the port check does
 * not see it. So the command that starts a server on a file first writes a note beside it
 * (`<file>.server.json`: its contrail command and pid, then the server's pid and address),
 * created only if absent, and removes it when its server has stopped; another start on the file
 * finds the note and is refused, naming that server. A note is stale once its command and its
 * server are both gone (the command was killed, and its server stopped with it): it is taken
 * over.
 */

export interface DatabaseNote {
  /** The contrail command that started the server. */
  pid: number;
  command: string;
  since: string;
  /** Where the server answers; null until it is known. */
  address: string | null;
  /** The server's process (it outlives its command by the seconds it takes to stop); null until started. */
  serverPid: number | null;
}

export interface DatabaseClaim {
  /** Records the started server in the note. */
  started(serverPid: number, address: string): void;
  /** Removes the note (this process's only); also done when the process exits. */
  release(): void;
}

/** How long a start waits for the server of a killed command to finish stopping. */
const STOPPING_WAIT_MS = 20_000;

export function noteFile(dbFile: string): string {
  return `${dbFile}.server.json`;
}

export function readDatabaseNote(dbFile: string): DatabaseNote | null {
  try {
    const note = JSON.parse(readFileSync(noteFile(dbFile), 'utf8')) as Partial<DatabaseNote>;
    if (typeof note.pid !== 'number') return null;
    return {
      pid: note.pid,
      command: String(note.command ?? ''),
      since: String(note.since ?? ''),
      address: typeof note.address === 'string' ? note.address : null,
      serverPid: typeof note.serverPid === 'number' ? note.serverPid : null,
    };
  } catch {
    return null;
  }
}

/**
 * Whether the note's server still runs on `dbFile`. Its command line names the file, so where
 * the system shows it (Linux), a pid reused by another program since (after a reboot) does not
 * count.
 */
function serverRuns(note: DatabaseNote, dbFile: string): boolean {
  if (note.serverPid === null || !isRunning(note.serverPid)) return false;
  try {
    return readFileSync(`/proc/${note.serverPid}/cmdline`, 'utf8').split('\0').includes(dbFile);
  } catch {
    return true;
  }
}

function refusal(dbFile: string, note: DatabaseNote, commandRuns: boolean, waitMs: number): CliError {
  const who = `\`${note.command}\` (pid ${note.pid}, since ${note.since})`;
  const where = `database ${dbFile}: a Temporal server already uses it (two on one file break each other)`;
  const elsewhere = 'give this one another database (another CONTRAIL_HOME, or --db-filename)';
  if (!commandRuns)
    return new CliError(
      `${where}: the server (pid ${note.serverPid}) of ${who}, which is gone, has not stopped within ${waitMs / 1000} s; stop it (kill ${note.serverPid}) or ${elsewhere}`,
    );
  if (note.address === null)
    return new CliError(
      `${where}: ${who} is starting one on it; stop it (Ctrl-C in its terminal) or ${elsewhere}`,
    );
  return new CliError(
    `${where}: ${who}, answering on ${note.address}; use it (TEMPORAL_ADDRESS=${note.address}), stop it (Ctrl-C in its terminal), or ${elsewhere}`,
  );
}

/**
 * Claims `dbFile` for a server this process is about to start on it, at `address` when known.
 * Throws a CliError naming the server that uses it. The server of a killed command stops by
 * itself within seconds: that is waited for, so a start right after such a kill is not refused.
 */
export async function claimDatabase(
  dbFile: string,
  address: string | null,
  waitMs: number = STOPPING_WAIT_MS,
): Promise<DatabaseClaim> {
  const file = noteFile(dbFile);
  const note: DatabaseNote = {
    pid: process.pid,
    command: currentCommand().slice(0, 500),
    since: new Date().toISOString(),
    address,
    serverPid: null,
  };
  const deadline = Date.now() + waitMs;
  let written = false;
  for (let takeovers = 0; !written; ) {
    try {
      // Created only if absent, so of two servers starting together exactly one gets the file.
      writeFileSync(file, `${JSON.stringify(note)}\n`, { flag: 'wx' });
      written = true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // No note can be written (a directory that is not ours): no reason to refuse; the server
      // says itself what keeps it from the file.
      if (code !== 'EEXIST') return { started: () => undefined, release: () => undefined };
      const other = readDatabaseNote(dbFile);
      const commandRuns = other !== null && other.pid !== process.pid && isRunning(other.pid);
      if (other !== null && commandRuns) throw refusal(dbFile, other, true, waitMs);
      if (other !== null && serverRuns(other, dbFile)) {
        if (Date.now() > deadline) throw refusal(dbFile, other, false, waitMs);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      // Empty while its writer is between creating and filling it: read again in a moment.
      if (other === null && Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 1000) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      // Stale (its command was killed and its server has stopped) or unreadable: taken over, once.
      if (takeovers++ > 0) throw error;
      rmSync(file, { force: true });
    }
  }
  let serverPid: number | null = null;
  const release = () => {
    process.off('exit', atExit);
    if (readDatabaseNote(dbFile)?.pid === process.pid) rmSync(file, { force: true });
  };
  // A server this process leaves behind still stopping keeps the note: the next start waits for it.
  const atExit = () => {
    if (serverPid === null || !isRunning(serverPid)) release();
  };
  process.on('exit', atExit);
  return {
    started: (pid, at) => {
      serverPid = pid;
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(temporary, `${JSON.stringify({ ...note, address: at, serverPid: pid })}\n`);
        renameSync(temporary, file);
      } catch {
        rmSync(temporary, { force: true });
      }
    },
    release,
  };
}
