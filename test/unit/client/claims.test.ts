import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { claimExperiments, refuseWhileAnalysing, serveWarehouse } from '../../../src/client/claims.js';

/**
 * Embedded commands claim the experiments they write beside the warehouse file. Another
 * command is played by a note naming a process that runs (a `sleep`) or one that is gone.
 */
describe('claims on the embedded warehouse', () => {
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  after(() => other.kill('SIGKILL'));
  const warehouse = () => join(mkdtempSync(join(tmpdir(), 'contrail-claims-')), 'warehouse.duckdb');
  const noteOf = (file: string, name: string, note: object) => {
    mkdirSync(`${file}.claims`, { recursive: true });
    writeFileSync(join(`${file}.claims`, name), JSON.stringify(note));
  };
  const running = (dataset: string, slug: string) => ({
    pid: other.pid,
    command: 'contrail backfill --experiment_slug a --start_date 2026-03-01 --end_date 2026-03-07',
    since: '2026-03-08T10:00:00.000Z',
    dataset,
    slug,
  });

  it('a running command writing the same experiment refuses the claim, naming it; nothing of the refused claim stays', () => {
    const file = warehouse();
    noteOf(file, 'contrail~a.json', running('contrail', 'a'));
    assert.throws(
      () => claimExperiments(file, { dataset: 'contrail', slugs: ['b', 'a'] }),
      (error: Error) => {
        assert.equal(error.name, 'CliError');
        assert.match(
          error.message,
          /^a in dataset contrail is being written by another contrail command on this warehouse: `contrail backfill --experiment_slug a [^`]*` \(pid \d+, since 2026-03-08T10:00:00.000Z\); run this again when it has finished/,
        );
        return true;
      },
    );
    assert.deepEqual(readdirSync(`${file}.claims`), ['contrail~a.json']);
  });

  it('a place where the claim cannot be written refuses the command, naming the place and what to do', () => {
    // As a read-only or full data directory does; a file standing in the way plays it here
    // (permissions do not stop root, who runs the tests in a container).
    const home = join(mkdtempSync(join(tmpdir(), 'contrail-claims-')), 'home');
    writeFileSync(home, 'not a directory');
    const refusedWith = (place: string, env: NodeJS.ProcessEnv) => {
      try {
        claimExperiments(place, { dataset: 'contrail', slugs: ['a'] }, env);
      } catch (error) {
        assert.ok(error instanceof Error);
        assert.equal(error.name, 'CliError');
        return error.message;
      }
      assert.fail('claimed');
    };
    // A warehouse file CONTRAIL_DUCKDB_PATH names keeps its notes beside it: another CONTRAIL_HOME
    // would not move them.
    const ownFile = join(home, 'elsewhere', 'warehouse.duckdb');
    const home2 = mkdtempSync(join(tmpdir(), 'contrail-claims-home-'));
    assert.equal(
      refusedWith(ownFile, { CONTRAIL_HOME: home2, CONTRAIL_DUCKDB_PATH: ownFile }),
      `${home} is a file, not a directory; set CONTRAIL_DUCKDB_PATH to a file in a directory you can write to (contrail keeps its notes on the warehouse beside its file)`,
    );
    // The warehouse file in the data directory: CONTRAIL_HOME moves its notes.
    assert.equal(
      refusedWith(join(home, 'warehouse.duckdb'), { CONTRAIL_HOME: home }),
      `${home} is a file, not a directory; set CONTRAIL_HOME to a directory you can write to (contrail keeps its notes on the warehouse there)`,
    );
    // Notes on a BigQuery project are in the data directory too.
    assert.equal(
      refusedWith(join(home, 'bigquery-my-proj'), { CONTRAIL_HOME: home }),
      `${home} is a file, not a directory; set CONTRAIL_HOME to a directory you can write to (contrail keeps its notes on the warehouse there)`,
    );
    // A file no setting placed: named with where the notes go.
    assert.equal(
      refusedWith(ownFile, { CONTRAIL_HOME: home2 }),
      `${home} is a file, not a directory; move the warehouse file to a directory you can write to (contrail keeps its notes on the warehouse in ${ownFile}.claims)`,
    );
  });

  it('a daily run (every experiment) and one experiment of the same dataset exclude each other, both ways', () => {
    const daily = warehouse();
    noteOf(daily, 'contrail~*.json', running('contrail', '*'));
    assert.throws(() => claimExperiments(daily, { dataset: 'contrail', slugs: ['a'] }), {
      message: /^a in dataset contrail is being written/,
    });
    const one = warehouse();
    noteOf(one, 'contrail~a.json', running('contrail', 'a'));
    assert.throws(() => claimExperiments(one, { dataset: 'contrail', slugs: null }), {
      message: /^its experiments in dataset contrail are being written/,
    });
  });

  it('other experiments, other datasets and stale notes (their process is gone) do not stand in the way; release removes the notes', () => {
    const file = warehouse();
    noteOf(file, 'contrail~a.json', running('contrail', 'a'));
    noteOf(file, 'tmp~*.json', running('tmp', '*'));
    noteOf(file, 'contrail~b.json', { ...running('contrail', 'b'), pid: 2 ** 22 + 1 });
    const release = claimExperiments(file, { dataset: 'contrail', slugs: ['b', 'c'] });
    assert.ok(existsSync(join(`${file}.claims`, 'contrail~c.json')));
    assert.equal(
      JSON.parse(readFileSync(join(`${file}.claims`, 'contrail~b.json'), 'utf8')).pid,
      process.pid,
    );
    release();
    assert.deepEqual(readdirSync(`${file}.claims`).sort(), ['contrail~a.json', 'tmp~*.json']);
    // Released: the next claim of b and c succeeds.
    claimExperiments(file, { dataset: 'contrail', slugs: ['b', 'c'] })();
  });

  it('replacing the telemetry is refused while a command analyses it, naming that command; not for stale notes or none', () => {
    const file = warehouse();
    refuseWhileAnalysing(file, 'replacing it');
    noteOf(file, 'tmp~b.json', { ...running('tmp', 'b'), pid: 2 ** 22 + 1 });
    const release = claimExperiments(file, { dataset: 'tmp', slugs: ['c'] });
    refuseWhileAnalysing(file, 'replacing it');
    release();
    noteOf(file, 'contrail~a.json', running('contrail', 'a'));
    assert.throws(() => refuseWhileAnalysing(file, 'replacing it'), {
      name: 'CliError',
      message:
        /^replacing it while another contrail command analyses it: `contrail backfill --experiment_slug a [^`]*` \(pid \d+, since 2026-03-08T10:00:00.000Z\) reads it for a in dataset contrail, and its results would mix the old and the new telemetry; run this again when it has finished/,
    });
  });

  it('a running worker serving the warehouse refuses every claim, naming it and the settings of its server (defaults left out); a gone worker does not', () => {
    const file = warehouse();
    const worker = (pid: number | undefined, serves: object) => ({
      pid,
      command: 'contrail worker',
      since: '2026-03-08T09:00:00.000Z',
      serves,
    });
    noteOf(
      file,
      'worker@1.json',
      worker(2 ** 22 + 1, { address: 'gone:7233', namespace: 'default', taskQueue: 'contrail' }),
    );
    claimExperiments(file, { dataset: 'tmp', slugs: ['a'] })();
    noteOf(
      file,
      `worker@${other.pid}.json`,
      worker(other.pid, { address: 'localhost:7233', namespace: 'default', taskQueue: 'contrail' }),
    );
    assert.throws(() => claimExperiments(file, { dataset: 'tmp', slugs: ['a'] }), {
      name: 'CliError',
      message: `a contrail worker serves this warehouse (${file}) for the Temporal server at localhost:7233 (namespace default, task queue contrail): \`contrail worker\` (pid ${other.pid}, since 2026-03-08T09:00:00.000Z); that server keeps its own analyses of an experiment-day apart, but not from this command's embedded server, and the two would write the same tables at once. Run this on that server (set TEMPORAL_ADDRESS=localhost:7233), or stop the worker first`,
    });
    noteOf(
      file,
      `worker@${other.pid}.json`,
      worker(other.pid, { address: 'temporal:7233', namespace: 'ops', taskQueue: 'q 1' }),
    );
    assert.throws(() => claimExperiments(file, { dataset: 'contrail', slugs: null }), {
      message:
        /Run this on that server \(set TEMPORAL_ADDRESS=temporal:7233 TEMPORAL_NAMESPACE=ops CONTRAIL_TASK_QUEUE='q 1'\), or stop the worker first$/,
    });
    // Nothing of the refused claims stays; a worker's note is no claim to `contrail sample`.
    assert.deepEqual(
      readdirSync(`${file}.claims`).sort(),
      ['worker@1.json', `worker@${other.pid}.json`].sort(),
    );
    refuseWhileAnalysing(file, 'replacing it');
  });

  it('a worker waits to serve while a command claims anything there, saying so once; it serves once the command is gone, and takes its note away', async () => {
    const file = warehouse();
    const claimant = spawn('sleep', ['60'], { stdio: 'ignore' });
    noteOf(file, 'tmp~a.json', { ...running('tmp', 'a'), pid: claimant.pid });
    const said: string[] = [];
    const serving = serveWarehouse(
      file,
      { address: 'localhost:7233', namespace: 'default', taskQueue: 'contrail' },
      { waiting: (line) => said.push(line), pollMs: 20 },
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(said, [
      `waiting to serve the warehouse ${file}: \`contrail backfill --experiment_slug a --start_date 2026-03-01 --end_date 2026-03-07\` (pid ${claimant.pid}, since 2026-03-08T10:00:00.000Z) analyses a in dataset tmp there on an embedded Temporal server of its own, which this worker's server would not keep apart from its analyses; serving once it has finished (or stop it: Ctrl-C in its terminal)`,
    ]);
    // Not serving while it waits: a command starting meanwhile may claim.
    claimExperiments(file, { dataset: 'tmp', slugs: ['b'] })();
    claimant.kill('SIGKILL');
    const release = await serving;
    assert.equal(said.length, 1);
    const note = JSON.parse(readFileSync(join(`${file}.claims`, `worker@${process.pid}.json`), 'utf8'));
    assert.deepEqual(note.serves, { address: 'localhost:7233', namespace: 'default', taskQueue: 'contrail' });
    release();
    assert.deepEqual(readdirSync(`${file}.claims`), ['tmp~a.json']);
  });
});

describe('where embedded commands claim', () => {
  it('beside the embedded DuckDB file, or per BigQuery project in the data directory', async () => {
    const { warehousePlace } = await import('../../../src/client/warehouse-place.js');
    const home = mkdtempSync(join(tmpdir(), 'contrail-claims-home-'));
    assert.equal(warehousePlace('duckdb', { CONTRAIL_HOME: home }), join(home, 'warehouse.duckdb'));
    assert.equal(
      warehousePlace('bigquery', { CONTRAIL_HOME: home, CONTRAIL_BIGQUERY_PROJECT: 'my-proj' }),
      join(home, 'bigquery-my-proj'),
    );
  });
});
