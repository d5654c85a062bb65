import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { runMain } from './cli.js';
import { datasetContents, tablesWithDuplicates } from './dataset-contents.js';
import { lightConfigRepo } from './sample.js';

/**
 * An embedded backfill of the demo experiment over 2 days, as a person runs it, and a clean run
 * of it on a copy of the same sample to compare other runs with: the failure-behaviour tests
 * (test/integration/failures.test.ts) run it under faults or kill it, and each must end with
 * the clean run's tables (row for row, logs included, no row twice) and statistics exports.
 * Two days are the fewest with every step the tests stop in more than once: the second,
 * 2026-03-15, is the end of the first week, so both a daily and a weekly analysis run, and the
 * two days' analyses run side by side. Each day more costs every run seconds of bootstraps.
 */

export const DATASET = 'failures';
export const BACKFILL = [
  'backfill',
  '--experiment_slug',
  DEMO_SLUG,
  '--start_date',
  '2026-03-14',
  '--end_date',
  '2026-03-15',
  '--dataset_id',
  DATASET,
];
export const SUMMARY = /^2 experiment-days: 2 analysed, 0 with nothing due, 0 failed$/m;

/**
 * Embedded mode in its own data directory. The demo configs with light bootstraps: what is
 * compared is the tables and exports of two runs, which are equal at any number of draws.
 */
export function envFor(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    CONTRAIL_HOME: home,
    TEMPORAL_ADDRESS: '',
    CONTRAIL_EXPORT_DIR: join(home, 'exports'),
    CONTRAIL_CONFIG_REPOS: lightConfigRepo(),
    ...extra,
  };
}

/** The statistics export files of the dataset, by name. */
function statisticsExports(home: string): Map<string, string> {
  const dir = join(home, 'exports', DATASET, 'statistics');
  const files = existsSync(dir) ? readdirSync(dir).sort() : [];
  return new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

export interface CleanRun {
  /** A new data directory holding a copy of the sample, before any analysis. */
  copyOfSample(name: string): string;
  /** The run in `dir` wrote the clean run's tables and exports; no table holds a row twice. */
  assertSameAsClean(dir: string): Promise<void>;
}

/**
 * Makes the sample and the clean run in this process: no process boundary is under test in
 * either, and a command in a process of its own costs a node start and every module again.
 */
export async function cleanRun(prefix: string): Promise<CleanRun> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = (name: string) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const copyOfSample = (name: string) => {
    const dir = home(name);
    for (const file of ['warehouse.duckdb', 'mozdata.duckdb'])
      copyFileSync(join(root, 'sample', file), join(dir, file));
    return dir;
  };
  const sample = await runMain(['sample', '--clients', '800'], envFor(home('sample')));
  assert.equal(sample.code, 0, sample.stderr);
  const clean = copyOfSample('clean');
  const run = await runMain(BACKFILL, envFor(clean));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, SUMMARY);
  const reference = await datasetContents(join(clean, 'warehouse.duckdb'), DATASET);
  const referenceExports = statisticsExports(clean);
  assert.ok(reference.has('statistics_contrail_demo_sidebar_week_1'), [...reference.keys()].join(', '));
  assert.ok(referenceExports.size > 0, 'the clean run exported statistics');

  return {
    copyOfSample,
    async assertSameAsClean(dir) {
      const contents = await datasetContents(join(dir, 'warehouse.duckdb'), DATASET);
      assert.deepEqual(
        [...contents.keys()],
        [...reference.keys()],
        'the same tables (no staging tables left)',
      );
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
    },
  };
}
