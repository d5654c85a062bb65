import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { claimDatabase, noteFile } from '../../../src/client/server-database.js';
import { procStat } from '../../helpers/processes.js';

/**
 * A Temporal server's SQLite file is claimed by a note beside it. Another command is played by a
 * note naming a process that runs (a `sleep`) or one that is gone; its server by a shell whose
 * command line names the file, as the server's watchdog does.
 */
describe('the database of a local Temporal server', () => {
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  after(() => other.kill('SIGKILL'));
  const gone = 2 ** 22 + 1;
  const database = () => join(mkdtempSync(join(tmpdir(), 'contrail-server-db-')), 'temporal.sqlite');
  const noteOf = (file: string, note: object) => writeFileSync(noteFile(file), JSON.stringify(note));
  const running = {
    pid: other.pid,
    command: 'contrail server --port 7233',
    since: '2026-03-08T10:00:00.000Z',
    address: '127.0.0.1:7233',
    serverPid: other.pid,
  };
  /** A process's state letter from /proc (R, S, Z, …), or null when it is gone. */
  const processState = (pid: number): string | null => procStat(pid)?.[0] ?? null;
  /** A server process of `file` that stops after `seconds` (in a group of its own: its `sleep` goes with it). */
  const serverOf = (file: string, seconds: number) => {
    const server = spawn(
      '/bin/sh',
      ['-c', `sleep ${seconds}; exit 0`, 'contrail-temporal', '--db-filename', file],
      {
        stdio: 'ignore',
        detached: true,
      },
    );
    const ended = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    return { server, ended };
  };

  it('a running server on it refuses the claim, naming its command, pid and address and what to do; its note stays', async () => {
    const file = database();
    noteOf(file, running);
    await assert.rejects(claimDatabase(file, '127.0.0.1:7433'), (error: Error) => {
      assert.equal(error.name, 'CliError');
      assert.equal(
        error.message,
        `database ${file}: a Temporal server already uses it (two on one file break each other): \`contrail server --port 7233\` (pid ${other.pid}, since 2026-03-08T10:00:00.000Z), answering on 127.0.0.1:7233; use it (TEMPORAL_ADDRESS=127.0.0.1:7233), stop it (Ctrl-C in its terminal), or give this one another database (another CONTRAIL_HOME, or --db-filename)`,
      );
      return true;
    });
    assert.equal(JSON.parse(readFileSync(noteFile(file), 'utf8')).pid, other.pid);
  });

  it('a stale note (its command and server are gone) is taken over; the claim records the server and release removes the note', async () => {
    const file = database();
    noteOf(file, { ...running, pid: gone, serverPid: gone + 1 });
    const claim = await claimDatabase(file, null);
    assert.equal(JSON.parse(readFileSync(noteFile(file), 'utf8')).pid, process.pid);
    claim.started(12345, '127.0.0.1:7433');
    const note = JSON.parse(readFileSync(noteFile(file), 'utf8'));
    assert.deepEqual([note.pid, note.serverPid, note.address], [process.pid, 12345, '127.0.0.1:7433']);
    claim.release();
    assert.equal(existsSync(noteFile(file)), false);
    // Released: the next claim succeeds.
    (await claimDatabase(file, null)).release();
  });

  it("release leaves another process's note alone", async () => {
    const file = database();
    const claim = await claimDatabase(file, null);
    noteOf(file, running);
    claim.release();
    assert.equal(JSON.parse(readFileSync(noteFile(file), 'utf8')).pid, other.pid);
  });

  it('the server of a killed command is waited for while it stops; one that does not stop is refused, named', async () => {
    const file = database();
    const stopping = serverOf(file, 0.5);
    noteOf(file, { ...running, pid: gone, serverPid: stopping.server.pid });
    (await claimDatabase(file, null)).release();
    // Stopped when the claim was made: gone, or ended and not yet reaped by this process (whose
    // exit event may come a moment later).
    const state = processState(stopping.server.pid as number);
    assert.ok(state === null || state === 'Z', `claimed only once it had stopped (state ${state})`);

    const stuck = serverOf(file, 60);
    try {
      noteOf(file, { ...running, pid: gone, serverPid: stuck.server.pid });
      await assert.rejects(claimDatabase(file, null, 300), {
        message: new RegExp(
          `^database ${file}: a Temporal server already uses it \\(two on one file break each other\\): the server \\(pid ${stuck.server.pid}\\) of \`contrail server --port 7233\` \\(pid ${gone}, since [^)]*\\), which is gone, has not stopped within 0.3 s; stop it \\(kill ${stuck.server.pid}\\) or give this one another database`,
        ),
      });
    } finally {
      if (stuck.server.pid !== undefined) process.kill(-stuck.server.pid, 'SIGKILL');
      await stuck.ended;
    }
    await stopping.ended;
  });

  it('a pid of the note that now belongs to another program (its command line does not name the file) does not hold it', async () => {
    const file = database();
    noteOf(file, { ...running, pid: gone, serverPid: other.pid });
    (await claimDatabase(file, null)).release();
  });
});
