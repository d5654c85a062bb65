import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { cliEntry, repoRoot, runCli } from '../helpers/cli.js';
import { datasetContents, tablesWithDuplicates } from '../helpers/dataset-contents.js';
import { exited, warehouseProcess } from '../helpers/other-process.js';
import { processesWithEnv } from '../helpers/processes.js';

/**
 * An embedded backfill of the demo experiment over 7 days, as a person runs it, compared with a
 * clean run of the same on a copy of the same sample: with 30 % of warehouse calls failing and
 * another process taking the warehouse file now and then, and killed (SIGKILL) at four points
 * and run again. Both must end with the clean run's tables (row for row, logs included, no row
 * twice) and its statistics exports, and leave no process behind.
 */

const DATASET = 'failures';
const BACKFILL = [
  'backfill',
  '--experiment_slug',
  DEMO_SLUG,
  '--start_date',
  '2026-03-09',
  '--end_date',
  '2026-03-15',
  '--dataset_id',
  DATASET,
];
const SUMMARY = /^7 experiment-days: 7 analysed, 0 with nothing due, 0 failed$/m;

/** Embedded mode in its own data directory; a marker finds every process the command started. */
function envFor(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { CONTRAIL_HOME: home, TEMPORAL_ADDRESS: '', CONTRAIL_EXPORT_DIR: join(home, 'exports'), ...extra };
}

/** The statistics export files of the dataset, by name. */
function statisticsExports(home: string): Map<string, string> {
  const dir = join(home, 'exports', DATASET, 'statistics');
  const files = existsSync(dir) ? readdirSync(dir).sort() : [];
  return new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** Starts the CLI; `stopped` resolves once it reports reaching its fault stop point. */
function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stopped: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const stopped = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const at = /contrail fault: stopped at (.*)/.exec(stderr)?.[1];
      if (at) resolve(at);
    });
    child.once('exit', (code) =>
      reject(new Error(`contrail exited ${code} before its stop point:\n${stderr}`)),
    );
  });
  return { child, stopped };
}

async function gone(marker: string, withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const alive = processesWithEnv('CONTRAIL_TEST_MARKER', marker);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('an embedded backfill under warehouse faults, a second process and SIGKILL', () => {
  const root = mkdtempSync(join(tmpdir(), 'contrail-failures-'));
  const home = (name: string) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const clean = home('clean');
  let reference: Map<string, string[]>;
  let referenceExports: Map<string, string>;

  /** A copy of the clean home's sample, before any analysis. */
  const copyOfSample = (name: string) => {
    const dir = home(name);
    for (const file of ['warehouse.duckdb', 'mozdata.duckdb'])
      copyFileSync(join(root, 'sample', file), join(dir, file));
    return dir;
  };

  before(async () => {
    const sample = await runCli(['sample', '--clients', '800'], { env: envFor(home('sample')) });
    assert.equal(sample.code, 0, sample.stderr);
    for (const file of ['warehouse.duckdb', 'mozdata.duckdb'])
      copyFileSync(join(root, 'sample', file), join(clean, file));
    const run = await runCli(BACKFILL, { env: envFor(clean) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, SUMMARY);
    reference = await datasetContents(join(clean, 'warehouse.duckdb'), DATASET);
    referenceExports = statisticsExports(clean);
    assert.ok(reference.has('statistics_contrail_demo_sidebar_week_1'), [...reference.keys()].join(', '));
    assert.ok(referenceExports.size > 0, 'the clean run exported statistics');
  });

  /** The run's tables and exports are the clean run's; no table holds a row twice. */
  async function assertSameAsClean(dir: string): Promise<void> {
    const contents = await datasetContents(join(dir, 'warehouse.duckdb'), DATASET);
    assert.deepEqual([...contents.keys()], [...reference.keys()], 'the same tables (no staging tables left)');
    const differing = [...reference].filter(
      ([t, rows]) => JSON.stringify(rows) !== JSON.stringify(contents.get(t)),
    );
    assert.deepEqual(
      differing.map(([t]) => t),
      [],
      'every table holds the clean run’s rows',
    );
    assert.deepEqual(tablesWithDuplicates(contents), []);
    assert.deepEqual(statisticsExports(dir), referenceExports);
  }

  test('30 % of warehouse calls failing, another process taking the file: the same results, exit 0 with the summary', async () => {
    const faulty = copyOfSample('faulty');
    const path = join(faulty, 'warehouse.duckdb');
    // Another process takes the warehouse file for 1.5 s every 4 s while the backfill runs.
    let running = true;
    let holds = 0;
    const taker = (async () => {
      while (running) {
        await new Promise((r) => setTimeout(r, 2500));
        if (!running) break;
        const holder = warehouseProcess(['hold', path]);
        if ((await holder.ready) === 'open') holds++;
        await new Promise((r) => setTimeout(r, 1500));
        holder.child.stdin.end();
        await exited(holder.child);
      }
    })();
    const run = await runCli(BACKFILL, { env: envFor(faulty, { CONTRAIL_FAULTS: 'warehouse:0.3,seed:5' }) });
    running = false;
    await taker;
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, SUMMARY);
    const injected = run.stderr.match(/contrail fault: injected fault/g)?.length ?? 0;
    assert.ok(injected > 30, `${injected} faults injected`);
    assert.ok(holds > 0, 'another process held the file during the backfill');
    await assertSameAsClean(faulty);
  });

  test('killed after enrollments, mid-metrics, mid-statistics and mid-publish, then run again: the same results, nothing left running', async () => {
    const killed = copyOfSample('killed');
    const points = [
      'stop:runToTable:metrics_@1', // enrollments written, the first metrics scan starting
      'stop:runToTable:staging_@4', // some per-basis metrics tables staged
      'stop:writeRows:staging_@3', // some statistics tables staged
      'stop:execute@2', // tables swapped in, views half written, no export yet
    ];
    for (const point of points) {
      const marker = randomUUID();
      const { child, stopped } = startCli(
        BACKFILL,
        envFor(killed, { CONTRAIL_FAULTS: point, CONTRAIL_TEST_MARKER: marker }),
      );
      try {
        const at = await stopped;
        assert.ok(
          processesWithEnv('CONTRAIL_TEST_MARKER', marker).length > 1,
          'the dev server runs beside it',
        );
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        assert.deepEqual(await gone(marker, 15_000), [], `nothing left running after the kill at ${at}`);
      } finally {
        // Whatever the outcome, this test leaves nothing it started running.
        child.kill('SIGKILL');
        for (const pid of processesWithEnv('CONTRAIL_TEST_MARKER', marker)) process.kill(pid, 'SIGKILL');
      }
    }
    const run = await runCli(BACKFILL, { env: envFor(killed) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, SUMMARY);
    await assertSameAsClean(killed);
  });
});
