import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../../../src/activities/index.js';
import type { AnalysisTarget, ResolvedPin } from '../../../src/activities/types.js';
import { resultLabels } from '../../../src/analysis/labels.js';
import { runTables } from '../../../src/analysis/staging.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { anchorLabels } from '../../../src/versions/anchor.js';
import { currentToolVersion } from '../../../src/versions/tool-version.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { testDeps } from '../../helpers/deps.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * The first step of every run (resolveVersions) and the anchor's move (touch) with two
 * launched experiments whose slugs differ only by `-` and `_`: neither writes over the other's
 * tables, whichever entry point starts it.
 */
const TWIN = DEMO_SLUG.replaceAll('-', '_');
const DATASET = 'contrail';

describe('experiments whose slugs name the same tables', () => {
  let warehouse: Warehouse;
  let dir: string;
  const activities = () =>
    createActivities(
      testDeps(warehouse, {
        configRepos: [DEMO_CONFIG_REPO],
        experiments: localExperimentSource(join(dir, 'experiments.json')),
        exportDir: join(dir, 'exports'),
      }),
    );
  const resolve = async (slugs: string[], mode: 'anchor' | 'running' = 'anchor') =>
    await activities().resolveVersions({
      slugs,
      dataset: DATASET,
      useLatest: false,
      useVersion: null,
      mode,
      here: false,
    });
  /** The twin's run, let start while no table had its names: staged, not yet published. */
  let twinRun: AnalysisTarget;
  const errorOf = (resolved: ResolvedPin | undefined) => {
    assert.ok(resolved && 'error' in resolved, JSON.stringify(resolved));
    return resolved.error;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'contrail-slug-collision-'));
    const demo = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[];
    const sidebar = demo.find((e) => e.slug === DEMO_SLUG);
    writeFileSync(join(dir, 'experiments.json'), JSON.stringify([...demo, { ...sidebar, slug: TWIN }]));
    warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    await warehouse.createDataset(DATASET);
  });
  after(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a daily run with both and no tables yet analyses neither, and the others as ever', async () => {
    const resolved = await resolve([DEMO_SLUG, 'contrail-demo-pinned-tabs', TWIN]);
    for (const slug of [DEMO_SLUG, TWIN]) {
      const error = errorOf(resolved[slug]);
      assert.equal(error.errorType, 'SlugCollisionError');
      assert.match(
        error.message,
        /contrail-demo-sidebar and contrail_demo_sidebar both write the tables named after contrail_demo_sidebar/,
      );
      assert.match(error.message, /run --date <date> --experiment_slug contrail-demo-sidebar/);
    }
    assert.ok('pin' in (resolved['contrail-demo-pinned-tabs'] ?? {}));
    // Named alone, one is the choice: it runs.
    const alone = (await resolve([TWIN], 'running'))[TWIN];
    assert.ok(alone && 'pin' in alone, JSON.stringify(alone));
    twinRun = {
      slug: TWIN,
      dataset: DATASET,
      pin: alone.pin,
      configOverride: null,
      sampleSize: null,
      periods: null,
      lenient: false,
      run: `backfill/${TWIN}`,
    };
    const staged = await runTables(warehouse, twinRun);
    await warehouse.runToTable({
      sql: 'SELECT 2 AS x',
      destination: { dataset: DATASET, table: staged.written('statistics_contrail_demo_sidebar_week_1') },
      labels: resultLabels(alone.pin, currentToolVersion(), TWIN),
    });
  });

  test("once one's tables are published, every run of the other is refused: daily, alone, preview, rerun-skip", async () => {
    const labels = resultLabels({ configCommit: null, anchor: null }, currentToolVersion(), DEMO_SLUG);
    await warehouse.runToTable({
      sql: 'SELECT 1 AS x',
      destination: { dataset: DATASET, table: 'enrollments_contrail_demo_sidebar' },
      labels: { ...labels, ...anchorLabels(new Date('2026-03-08T00:00:00Z')) },
    });
    const daily = await resolve([DEMO_SLUG, TWIN]);
    assert.ok('pin' in (daily[DEMO_SLUG] ?? {}), 'the owner is analysed');
    for (const resolved of [
      daily[TWIN],
      (await resolve([TWIN]))[TWIN],
      (await resolve([TWIN], 'running'))[TWIN],
    ]) {
      const error = errorOf(resolved);
      assert.equal(error.errorType, 'SlugCollisionError');
      assert.match(
        error.message,
        /^nothing of contrail_demo_sidebar is written to contrail: contrail\.enrollments_contrail_demo_sidebar belongs to experiment contrail-demo-sidebar/,
      );
    }
    await assert.rejects(activities().touch({ slug: TWIN, dataset: DATASET, ifAnchored: false }), {
      type: 'SlugCollisionError',
    });
    const table = await warehouse.getTable({ dataset: DATASET, table: 'enrollments_contrail_demo_sidebar' });
    assert.equal(
      table?.labels.anchor,
      String(Date.parse('2026-03-08T00:00:00Z')),
      "the owner's anchor stays",
    );
  });

  test("a run let start before the other's tables appeared publishes nothing over them, nor its errors file", async () => {
    await assert.rejects(activities().publish({ target: twinRun, exports: true }), {
      type: 'SlugCollisionError',
    });
    assert.equal(
      await warehouse.tableExists({ dataset: DATASET, table: 'statistics_contrail_demo_sidebar_week_1' }),
      false,
      'its staged table is not swapped in',
    );
    await activities().recordError({
      dataset: DATASET,
      error: {
        slug: TWIN,
        date: '2026-03-15',
        stage: 'publish',
        message: 'refused',
        errorType: 'SlugCollisionError',
        configCommit: null,
      },
      exports: true,
      target: twinRun,
    });
    assert.equal(
      existsSync(join(dir, 'exports', 'errors', 'errors_contrail_demo_sidebar.json')),
      false,
      "the owner's errors file is not written",
    );
  });
});
