import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resultLabels } from '../../../src/analysis/labels.js';
import {
  checkOwnTables,
  claimOf,
  collidingSlugs,
  collisionRefusal,
  collisionRefusals,
  EXPERIMENT_LABEL,
  experimentLabel,
  SlugCollisionError,
} from '../../../src/analysis/ownership.js';
import { publishStaged, runTables } from '../../../src/analysis/staging.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { assertLabels } from '../../../src/warehouse/labels.js';
import type { TableInfo, TableLabels, Warehouse } from '../../../src/warehouse/warehouse.js';

/**
 * Two experiments whose slugs differ only by `-` and `_` write tables of the same names
 * (jetstream's): which one a table belongs to is its `experiment` label, and a run is refused
 * rather than write over the other's.
 */
const DATASET = 'contrail';
const DASHED = 'my-exp';
const UNDERSCORED = 'my_exp';
const KNOWN = [DASHED, UNDERSCORED, 'other-exp'];

const table = (name: string, labels: TableLabels = {}): TableInfo => ({
  ref: { dataset: DATASET, table: name },
  labels,
  expiresAt: null,
});
const owned = (slug: string) => ({ [EXPERIMENT_LABEL]: experimentLabel(slug) });
const PUBLISHED = (labels: TableLabels) => [
  table('enrollments_my_exp', labels),
  table('statistics_my_exp_week_1', labels),
  table('my_exp_enrollments_clients_daily_week_1', labels),
  table('statistics_my_exp_weekly'),
];

describe('the experiment label', () => {
  test("is the slug as written: slugs that share table names don't share a label", () => {
    assert.equal(experimentLabel(DASHED), 'my-exp');
    assert.equal(experimentLabel(UNDERSCORED), 'my_exp');
    const long = `${'a'.repeat(60)}-tail`;
    const twin = `${'a'.repeat(60)}_tail`;
    assert.notEqual(experimentLabel(long), experimentLabel(twin));
    assertLabels({ a: experimentLabel(long), b: experimentLabel('Capital.Letters') });
    assert.ok(experimentLabel(long).length <= 63);
  });

  test('every result table carries it', () => {
    const labels = resultLabels(
      { configCommit: null, anchor: null },
      { version: '0.1.0', buildId: 'b' },
      DASHED,
    );
    assert.equal(labels[EXPERIMENT_LABEL], 'my-exp');
  });
});

describe('collision detection', () => {
  test('slugs collide when their table names are the same', () => {
    assert.deepEqual(collidingSlugs(DASHED, KNOWN), [UNDERSCORED]);
    assert.deepEqual(collidingSlugs('other-exp', KNOWN), []);
    assert.deepEqual(collidingSlugs('my.exp', KNOWN), [DASHED, UNDERSCORED]);
  });

  test("tables labelled with the other experiment are the other's: the run is refused, naming table, owner, slug and what to do", () => {
    const tables = PUBLISHED(owned(DASHED));
    assert.deepEqual(claimOf(UNDERSCORED, tables, KNOWN), {
      kind: 'other',
      table: 'enrollments_my_exp',
      owner: DASHED,
      tables: 3,
    });
    const refusal = collisionRefusal({
      slug: UNDERSCORED,
      dataset: DATASET,
      analysed: [UNDERSCORED],
      known: KNOWN,
      tables,
    });
    assert.ok(refusal instanceof SlugCollisionError);
    assert.equal(refusal.permanent, true);
    assert.match(
      refusal.message,
      /^nothing of my_exp is written to contrail: contrail\.enrollments_my_exp \(and 2 other tables there\) belongs to experiment my-exp/,
    );
    assert.match(
      refusal.message,
      /tables named after my_exp \(enrollments_my_exp, statistics_my_exp_…, my_exp_…\)/,
    );
    assert.match(refusal.message, /into a dataset of its own \(--dataset_id/);
    assert.match(
      refusal.message,
      /set skip = true under \[experiment\] in its config \(jetstream\/my_exp\.toml\)$/,
    );
    assert.deepEqual(refusal.details, {
      slug: UNDERSCORED,
      dataset: DATASET,
      others: [DASHED],
      table: 'enrollments_my_exp',
      owner: DASHED,
      tablePrefix: 'my_exp',
    });
    // Whatever else the run analyses: the owner is analysed, the other refused.
    const both = { dataset: DATASET, analysed: [DASHED, UNDERSCORED], known: KNOWN, tables };
    assert.equal(collisionRefusal({ ...both, slug: DASHED }), null);
    assert.ok(collisionRefusal({ ...both, slug: UNDERSCORED }));
  });

  test('a run analysing both when neither owns the tables analyses neither, and says how to choose', () => {
    for (const tables of [[], [table('enrollments_other_exp', owned('other-exp'))]]) {
      const input = { dataset: DATASET, analysed: [DASHED, 'other-exp', UNDERSCORED], known: KNOWN, tables };
      for (const slug of [DASHED, UNDERSCORED]) {
        const refusal = collisionRefusal({ ...input, slug });
        assert.ok(refusal, slug);
        assert.match(
          refusal.message,
          new RegExp(
            `^${slug} is not analysed into contrail: my-exp and my_exp both write the tables named after my_exp`,
          ),
        );
        assert.match(refusal.message, /run --date <date> --experiment_slug my-exp` \(or my_exp\)/);
        assert.match(refusal.message, /slug cannot change in Experimenter/);
      }
      assert.equal(collisionRefusal({ ...input, slug: 'other-exp' }), null);
    }
    // The command it names analyses into the same dataset.
    const elsewhere = collisionRefusal({
      slug: DASHED,
      dataset: 'fresh',
      analysed: [DASHED, UNDERSCORED],
      known: KNOWN,
      tables: [],
    });
    assert.match(
      elsewhere?.message ?? '',
      /run --date <date> --experiment_slug my-exp --dataset_id fresh` \(or my_exp\)/,
    );
  });

  test("tables from before the label may be either's: a run of both asks for a rerun of the one chosen", () => {
    const refusal = collisionRefusal({
      slug: DASHED,
      dataset: DATASET,
      analysed: [DASHED, UNDERSCORED],
      known: KNOWN,
      tables: PUBLISHED({}),
    });
    assert.ok(refusal);
    assert.match(
      refusal.message,
      /contrail has 4 tables named after my_exp written before contrail labelled/,
    );
    assert.match(refusal.message, /rerun --experiment_slug my-exp --recreate_enrollments/);
  });

  test('a run naming one of them alone is the choice: unlabelled or no tables, it is analysed', () => {
    for (const tables of [[], PUBLISHED({}), PUBLISHED(owned(UNDERSCORED))]) {
      const input = { slug: UNDERSCORED, dataset: DATASET, analysed: [UNDERSCORED], known: KNOWN, tables };
      assert.equal(collisionRefusal(input), null);
    }
  });

  test("a longer slug's tables are its own, not a collision", () => {
    const tables = [
      table('enrollments_my_exp_two', owned('my-exp-two')),
      table('statistics_my_exp_two_week_1', owned('my-exp-two')),
    ];
    const known = [...KNOWN, 'my-exp-two'];
    assert.deepEqual(claimOf(DASHED, tables, known), { kind: 'none', unlabelled: [] });
  });
});

describe('the labels as the embedded warehouse keeps them', () => {
  let warehouse: Warehouse;
  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    await warehouse.createDataset(DATASET);
  });
  after(async () => {
    await warehouse.close();
  });

  test("published from a run's staging, the owner's tables refuse the other experiment", async () => {
    const run = await runTables(warehouse, {
      run: 'analysis/my-exp/2026-03-15',
      dataset: DATASET,
      slug: DASHED,
    });
    const labels = resultLabels(
      { configCommit: null, anchor: null },
      { version: '0.1.0', buildId: 'b' },
      DASHED,
    );
    for (const name of ['enrollments_my_exp', 'statistics_my_exp_week_1'])
      await warehouse.runToTable({
        sql: 'SELECT 1 AS x',
        destination: { dataset: DATASET, table: run.written(name) },
        labels,
      });
    await publishStaged(warehouse, DATASET, run, DASHED, { job: () => ({}), step: () => {} });
    const refusals = await collisionRefusals(warehouse, {
      dataset: DATASET,
      analysed: [DASHED, UNDERSCORED],
      known: KNOWN,
    });
    assert.deepEqual([...refusals.keys()], [UNDERSCORED]);
    assert.match(
      refusals.get(UNDERSCORED)?.message ?? '',
      /contrail\.enrollments_my_exp \(and 1 other table there\) belongs to experiment my-exp/,
    );
    await checkOwnTables(warehouse, { dataset: DATASET, slug: DASHED, known: KNOWN });
    await assert.rejects(
      checkOwnTables(warehouse, { dataset: DATASET, slug: UNDERSCORED, known: KNOWN }),
      SlugCollisionError,
    );
  });
});
