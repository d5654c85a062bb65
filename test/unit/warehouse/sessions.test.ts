import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { currentHolder, describeHolder, holderFile } from '../../../src/warehouse/duckdb-holder.js';
import { duckDbSessions, embeddedWarehouse, waitingNotes } from '../../../src/warehouse/duckdb-sessions.js';
import { WarehouseBusyError } from '../../../src/warehouse/errors.js';
import { perUseSessions } from '../../../src/warehouse/sessions.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { runMain } from '../../helpers/cli.js';
import { exited, warehouseProcess } from '../../helpers/other-process.js';
import { DEMO_CONFIG_REPO } from '../../helpers/sample.js';

/**
 * Several contrail processes share the embedded warehouse file: each holds it only while its
 * jobs run, waits a bounded time while another holds it, and then names the holder.
 */

const DEMO_CONFIG = join(DEMO_CONFIG_REPO, 'jetstream', 'contrail-demo-sidebar.toml');

describe('warehouse sessions', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'contrail-sessions-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('the embedded warehouse is free between jobs: another process writes, then this one reads it', async () => {
    const previous = process.env.CONTRAIL_HOME;
    process.env.CONTRAIL_HOME = join(dir, 'home');
    try {
      const warehouse = embeddedWarehouse();
      assert.equal(embeddedWarehouse(), warehouse, 'one per process');
      await warehouse.createDataset('dash');
      assert.deepEqual(await warehouse.query('SELECT 1 AS one'), [{ one: 1 }]);
      // The last job is done (and its short linger over): the file is free for another process.
      await new Promise((r) => setTimeout(r, 400));
      const path = join(dir, 'home', 'warehouse.duckdb');
      const writer = warehouseProcess(['write', path, 'statistics_written_week_1']);
      assert.equal(await writer.ready, 'wrote');
      assert.equal(await exited(writer.child), 0);
      assert.deepEqual(
        (await warehouse.listTables('dash')).map((t) => t.ref.table),
        ['statistics_written_week_1'],
      );
      await warehouse.close();
      assert.notEqual(embeddedWarehouse(), warehouse, 'closing lets the next call make a new one');
      await embeddedWarehouse().close();
    } finally {
      if (previous === undefined) delete process.env.CONTRAIL_HOME;
      else process.env.CONTRAIL_HOME = previous;
    }
  });

  test('validate waits while another process holds the embedded telemetry, then names it', async () => {
    const home = join(dir, 'validate-home');
    mkdirSync(home);
    const telemetry = join(home, 'mozdata.duckdb');
    const holder = warehouseProcess(['hold', telemetry]);
    assert.equal(await holder.ready, 'open');
    const validate = (waitMs: string) =>
      runMain(['validate', '--config_repos', DEMO_CONFIG_REPO, DEMO_CONFIG], {
        CONTRAIL_HOME: home,
        CONTRAIL_WAREHOUSE_WAIT_MS: waitMs,
      });
    try {
      const refused = await validate('200');
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(
        refused.stderr,
        new RegExp(
          `^contrail: the embedded telemetry ${telemetry.replaceAll('.', '\\.')} is in use by another process: pid ${holder.child.pid} \\([^)]*warehouse-process[^)]*\\), which left no note of the contrail command it runs; waited 200 ms: run validate again once it is done, or pass --no-check_sql\n$`,
        ),
      );
      // Given up while validate waits: it checks the SQL then.
      setTimeout(() => holder.child.stdin.end(), 300);
      const waited = await validate('20000');
      assert.equal(waited.code, 0, waited.stderr);
      assert.match(waited.stdout, /^ok {7}\S+contrail-demo-sidebar\.toml/m);
    } finally {
      holder.child.stdin.end();
      await exited(holder.child);
    }
  });

  test('while another process holds the file: a job waits, reports the wait, then names the holder', async () => {
    const path = join(dir, 'held.duckdb');
    const holder = warehouseProcess(['hold', path]);
    assert.equal(await holder.ready, 'open');
    try {
      const noted = currentHolder(path);
      assert.equal(noted?.pid, holder.child.pid);
      assert.match(noted?.command ?? '', /warehouse-process\.(ts|mjs) hold /);
      const sessions = duckDbSessions({ path, waitMs: 1500 });
      const waits: string[] = [];
      const started = Date.now();
      await assert.rejects(
        sessions.use(async () => undefined, { onProgress: (p) => waits.push(p.detail ?? '') }),
        (error: Error) => {
          assert.ok(error instanceof WarehouseBusyError);
          assert.equal(error.permanent, false);
          assert.match(
            error.message,
            new RegExp(`the embedded warehouse ${path} is in use by another process`),
          );
          assert.match(
            error.message,
            new RegExp(`\`warehouse-process\\.(ts|mjs) hold [^\`]*\` \\(pid ${holder.child.pid}, started 20`),
          );
          assert.match(error.message, /holding the file since 20\d\d-/);
          assert.match(error.message, /waited 1500 ms/);
          return true;
        },
      );
      assert.ok(Date.now() - started >= 1000, 'it waited');
      assert.ok(waits.includes('waiting for the warehouse file'), 'the wait is reported (heartbeats)');

      // A job that starts waiting gets the file once the holder lets go.
      const waiting = duckDbSessions({ path, waitMs: 20_000 }).use((w) => w.query('SELECT 42 AS n'));
      setTimeout(() => holder.child.stdin.end(), 300);
      assert.deepEqual(await waiting, [{ n: 42 }]);
    } finally {
      holder.child.stdin.end();
      await exited(holder.child);
    }
    assert.equal(currentHolder(path), null, 'the holder removed its note');
  });

  test('a note left by a killed process is stale: the pid DuckDB names is reported instead', () => {
    const path = join(dir, 'stale.duckdb');
    writeFileSync(
      holderFile(path),
      JSON.stringify({ pid: 2 ** 22 + 7, command: 'contrail run', processStartedAt: 'x', heldSince: 'y' }),
    );
    assert.equal(currentHolder(path), null);
    const message = `IO Error: Could not set lock on file "${path}": Conflicting lock is held in /usr/bin/node (PID ${process.pid}) by user me.`;
    assert.match(
      describeHolder(path, message),
      new RegExp(`^pid ${process.pid} \\(.*node.*\\), which left no note`),
    );
  });

  test('jobs that overlap or follow within the linger share one open warehouse', async () => {
    let opens = 0;
    let closes = 0;
    const fake = async (): Promise<Warehouse> => {
      opens++;
      const w = await openDuckDbWarehouse({ path: ':memory:' });
      const close = w.close.bind(w);
      w.close = async () => {
        closes++;
        await close();
      };
      return w;
    };
    const sessions = perUseSessions({ open: fake, isBusy: () => false, lingerMs: 200 });
    await Promise.all([sessions.use((w) => w.query('SELECT 1')), sessions.use((w) => w.query('SELECT 2'))]);
    await sessions.use((w) => w.query('SELECT 3'));
    assert.equal(opens, 1);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(closes, 1, 'closed once the linger is over');
    await sessions.use((w) => w.query('SELECT 4'));
    assert.equal(opens, 2);
    await sessions.close();
    assert.equal(closes, 2);
    await assert.rejects(
      sessions.use((w) => w.query('SELECT 5')),
      /closed/,
    );
  });
  test('a process whose jobs always overlap gives the file up to a waiting one once its turn is over', async () => {
    // Two processes on one file, as two workers: one lock, and the notes of who waits.
    let holder: string | null = null;
    const waiting = new Set<string>();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const processOn = (name: string, waitMs: number) =>
      perUseSessions({
        open: async () => {
          if (holder !== null && holder !== name) throw new Error(`locked by ${holder}`);
          holder = name;
          return {
            query: async () => {
              await sleep(40);
              return [];
            },
            close: async () => {
              holder = null;
            },
          } as unknown as Warehouse;
        },
        isBusy: (error) => error instanceof Error && error.message.startsWith('locked'),
        waitMs,
        lingerMs: 150,
        turnMs: 300,
        turns: {
          announce: () => {
            waiting.add(name);
            return () => waiting.delete(name);
          },
          othersWaiting: () => [...waiting].some((w) => w !== name),
        },
      });
    const busy = processOn('busy', 5_000);
    const other = processOn('other', 2_000);
    // The busy one: two chains of jobs for 2.5 s, the next always starting before the last ends.
    const until = Date.now() + 2_500;
    const chain = async () => {
      let jobs = 0;
      while (Date.now() < until) {
        await busy.use((w) => w.query('SELECT 1'));
        jobs++;
      }
      return jobs;
    };
    const chains = Promise.all([chain(), sleep(20).then(chain)]);
    await sleep(200);
    const asked = Date.now();
    await other.use((w) => w.query('SELECT 2'));
    const waited = Date.now() - asked;
    assert.ok(waited < 1_500, `the other process waited ${waited} ms (its turn comes after 300 ms)`);
    const [a, b] = await chains;
    assert.ok(a > 0 && b > 0, 'the busy process went on after its pause');
    await Promise.all([busy.close(), other.close()]);
  });

  test('the waiting notes of a DuckDB file name other live processes, not this one or the dead', () => {
    const path = join(dir, 'turns.duckdb');
    const notes = waitingNotes(path);
    assert.equal(notes.othersWaiting(), false);
    const stop = notes.announce();
    assert.equal(notes.othersWaiting(), false, 'this process waiting is no other');
    stop();
    writeFileSync(join(`${path}.waiting`, '2147483646'), '');
    assert.equal(notes.othersWaiting(), false, 'a pid that no longer lives waits for nothing');
    writeFileSync(join(`${path}.waiting`, String(process.ppid)), '');
    assert.equal(notes.othersWaiting(), true);
  });
});
