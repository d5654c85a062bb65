import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourceKey } from '../../../src/source-cache.js';
import { statisticsWorkerFile, threadFlags } from '../../../src/statistics/worker-file.js';
import { binsInput, CTX } from './helpers.js';

/** One statistic as a thread computes it. */
const task = {
  statistic: { name: 'binomial', params: {}, preTreatments: [] },
  input: binsInput({
    control: [
      { y: 0, count: 40 },
      { y: 1, count: 60 },
    ],
    treatment: [
      { y: 0, count: 30 },
      { y: 1, count: 70 },
    ],
  }),
  context: CTX,
};

describe('the file a statistics thread starts from', () => {
  test('from source: one JavaScript bundle in the build cache, loadable without a loader, built once', () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-worker-file-'));
    const cache = join(home, 'cache');
    const first = statisticsWorkerFile(cache);
    assert.match(first.filename, new RegExp(`^${cache}/statistics-worker-[0-9a-f]{16}\\.mjs$`));
    assert.ok(!first.execArgv.some((flag) => /tsx|--import/.test(flag)), first.execArgv.join(' '));
    const built = statSync(first.filename).mtimeMs;
    // A node with no TypeScript loader imports it, and computes with it (a distribution function
    // required on its first call resolves from the sources' node_modules, not from the cache).
    const check = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(first.filename)});
         const outcome = m.default(${JSON.stringify(task)});
         console.log(typeof m.chunks, typeof m.finish, JSON.stringify(outcome.ok ? 'computed' : outcome.error));`,
      ],
      { encoding: 'utf8', cwd: home },
    );
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout.trim(), 'function function "computed"');
    const again = statisticsWorkerFile(cache);
    assert.equal(again.filename, first.filename);
    assert.equal(statSync(again.filename).mtimeMs, built, 'not built again');
    assert.deepEqual(readdirSync(cache), [first.filename.split('/').at(-1)]);
  });

  test('a bundle of the same sources built in another checkout is not taken: it loads packages from there', () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-worker-file-'));
    // What a checkout since deleted left in the cache every checkout shares, under the sources' key.
    const elsewhere = join(home, 'cache', `statistics-worker-${sourceKey()}.mjs`);
    mkdirSync(join(home, 'cache'));
    writeFileSync(elsewhere, "throw new Error('Cannot find module: built in a checkout that is gone');\n");
    const own = statisticsWorkerFile(join(home, 'cache'));
    assert.notEqual(own.filename, elsewhere);
    const check = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(own.filename)}); console.log(typeof m.default);`,
      ],
      { encoding: 'utf8', cwd: home },
    );
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout.trim(), 'function');
  });

  test('the threads start with the flags that change what a person reads, not loaders, V8 or process-wide ones', () => {
    const loader = fileURLToPath(new URL('../../../bin/register-tsx.mjs', import.meta.url));
    assert.deepEqual(
      threadFlags([
        '--import',
        loader,
        '--max-old-space-size=512',
        '--import=tsx',
        '--enable-source-maps',
        '--stack-size=900',
        '--no-warnings',
      ]),
      ['--enable-source-maps', '--no-warnings'],
    );
  });

  test('a process started with a larger heap and stack computes statistics on its threads', () => {
    const pool = new URL('../../../src/statistics/pool.ts', import.meta.url).href;
    // As an operator starts a worker for large experiments: node flags threads refuse.
    const run = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=600',
        '--stack-size=900',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { StatisticsPool } = await import(${JSON.stringify(pool)});
         const pool = new StatisticsPool(1);
         const [rows] = await pool.computeAll([${JSON.stringify(task)}]);
         await pool.close();
         console.log(rows.rows.length > 0 ? 'computed' : 'no rows');`,
      ],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('../../../', import.meta.url)) },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'computed');
  });
});
