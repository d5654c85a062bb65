import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { EXPERIMENT_LABEL } from '../../src/analysis/ownership.js';
import { localExperimentSource } from '../../src/experiments/source.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { createContrailWorker } from '../../src/worker.js';
import { runMain } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { DEMO_EXPERIMENTS_FILE, lightConfigRepo, sampleWarehouse } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * Two launched experiments whose slugs differ only by `-` and `_` share jetstream's table names
 * (the slug with `-` as `_`). Once one has published, a `run`, `preview` or `rerun` of the
 * other is refused with an error naming the table, its owner and the slug, exits non-zero and
 * leaves the owner's tables as they were: the CLI against a dev server, its worker in this
 * process on an embedded (DuckDB) warehouse with the demo sample.
 */
const TWIN = DEMO_SLUG.replaceAll('-', '_');
const DATASET = 'collide';

describe('an experiment whose slug names another experiment’s published tables', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  let worker: Worker;
  let running: Promise<void>;
  let dir: string;

  /** Every table of the dataset: its labels and rows (and that no run staged anything). */
  const contents = async () => {
    const out = new Map<string, { labels: Record<string, string>; rows: string }>();
    for (const info of await warehouse.listTables(DATASET)) {
      const rows = await warehouse.query(`SELECT * FROM "${DATASET}"."${info.ref.table}"`);
      const text = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
      out.set(info.ref.table, { labels: info.labels, rows: text.sort().join('\n') });
    }
    return out;
  };

  before(async () => {
    temporal = await testTemporal();
    warehouse = await sampleWarehouse(800);
    dir = mkdtempSync(join(tmpdir(), 'contrail-slug-collision-'));
    const experimentsFile = join(dir, 'experiments.json');
    const demo = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[];
    const sidebar = demo.find((e) => e.slug === DEMO_SLUG);
    writeFileSync(experimentsFile, JSON.stringify([...demo, { ...sidebar, slug: TWIN }]));
    worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      deps: testDeps(warehouse, {
        configRepos: [lightConfigRepo()],
        experiments: localExperimentSource(experimentsFile),
      }),
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await warehouse.close();
    await temporal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('run, preview and rerun of the other are refused, naming table, owner and slug; the owner’s tables stay', async () => {
    const env = { ...temporal.env, CONTRAIL_EXPERIMENTS_FILE: join(dir, 'experiments.json') };
    const owner = await runMain(
      ['run', '--date', '2026-03-15', '--experiment_slug', DEMO_SLUG, '--dataset_id', DATASET],
      env,
    );
    assert.equal(owner.code, 0, owner.stderr);
    const published = await contents();
    const statistics = published.get('statistics_contrail_demo_sidebar_week_1');
    assert.ok(statistics && statistics.rows.length > 0, [...published.keys()].join(', '));
    assert.equal(statistics.labels[EXPERIMENT_LABEL], DEMO_SLUG);
    assert.equal(published.get('enrollments_contrail_demo_sidebar')?.labels[EXPERIMENT_LABEL], DEMO_SLUG);

    const refusedBy = [
      ['run', '--date', '2026-03-15', '--experiment_slug', TWIN, '--dataset_id', DATASET],
      [
        'preview',
        '--experiment_slug',
        TWIN,
        '--dataset_id',
        DATASET,
        '--end_date',
        '2026-03-15',
        '--num_days',
        '1',
      ],
      ['rerun', '--experiment_slug', TWIN, '--dataset_id', DATASET],
    ];
    for (const args of refusedBy) {
      const refused = await runMain(args, env);
      const what = `${args[0]}: ${refused.stdout}\n${refused.stderr}`;
      assert.notEqual(refused.code, 0, what);
      // The run reports each experiment-day's failure on stdout; the preview and rerun fail whole, on stderr.
      assert.match(
        what,
        new RegExp(
          `nothing of ${TWIN} is written to ${DATASET}: ${DATASET}\\.enrollments_contrail_demo_sidebar \\(and \\d+ other tables there\\) belongs to experiment ${DEMO_SLUG}`,
        ),
        what,
      );
      assert.match(what, /analyse contrail_demo_sidebar into a dataset of its own \(--dataset_id/, what);
      assert.deepEqual(await contents(), published, `${args[0]} wrote nothing`);
    }
  });
});
