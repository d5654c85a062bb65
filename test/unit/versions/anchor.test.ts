import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AnchorError, anchorLabels, readAnchor, touchExperiment } from '../../../src/versions/anchor.js';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { TableLabels, TableRef, Warehouse } from '../../../src/warehouse/warehouse.js';

const DATASET = 'analysis';
const T0 = Date.parse('2026-03-01T04:00:00Z');
const DAY = 86_400_000;

describe('the anchor on a DuckDB warehouse', () => {
  let wh: DuckDbWarehouse;
  let clock: number;
  beforeEach(async () => {
    clock = T0;
    wh = await openDuckDbWarehouse({ path: ':memory:', now: () => clock });
    await wh.createDataset(DATASET);
  });
  afterEach(async () => {
    await wh.close();
  });

  const write = (table: string, labels: TableLabels = {}) =>
    wh.runToTable({
      sql: `SELECT * FROM (VALUES ('c1', 'control'), ('c2', 'treatment')) t(client_id, branch)`,
      destination: { dataset: DATASET, table },
      labels,
    });
  const labelsOf = async (table: string) => (await wh.getTable({ dataset: DATASET, table }))?.labels ?? {};

  it('is null before the enrollments table exists', async () => {
    assert.equal(await readAnchor(wh, DATASET, 'foo'), null);
  });

  it('is the time the enrollments table was created, and later daily runs leave it', async () => {
    await write('enrollments_foo', anchorLabels(new Date(clock)));
    // Later days write more tables of the experiment; the enrollments table is kept as it is.
    clock += 3 * DAY;
    await write('statistics_foo_day_1');
    clock += 4 * DAY;
    await write('foo_enrollments_main_week_1');
    assert.deepEqual(await readAnchor(wh, DATASET, 'foo'), new Date(T0));
  });

  it('reads last_updated of an enrollments table written before the anchor label existed', async () => {
    clock = T0 + 12_345;
    await write('enrollments_foo');
    assert.deepEqual(await readAnchor(wh, DATASET, 'foo'), new Date(T0 + 12_345));
  });

  it('normalizes the slug as table names do', async () => {
    await write('enrollments_foo_bar_2', anchorLabels(new Date(T0)));
    assert.deepEqual(await readAnchor(wh, DATASET, 'foo-bar.2'), new Date(T0));
  });

  it('says which table and label are wrong when the label is not a time', async () => {
    await write('enrollments_foo', { anchor: 'yesterday' });
    await assert.rejects(
      readAnchor(wh, DATASET, 'foo'),
      (error: unknown) =>
        error instanceof AnchorError &&
        error.permanent &&
        error.message.startsWith('analysis.enrollments_foo: label anchor="yesterday" is not a time'),
    );
  });

  describe('touch (rerun-skip)', () => {
    const tablesOfFoo = [
      'enrollments_foo',
      'foo_enrollments_main_day_1',
      'metrics_foo_main_day_1',
      'statistic_inputs_foo_enrollments_main_day_1',
      'statistics_foo_day_1',
    ];
    const tablesOfFooBar = ['enrollments_foo_bar', 'statistics_foo_bar_day_1'];

    beforeEach(async () => {
      for (const table of [...tablesOfFoo, ...tablesOfFooBar])
        await write(table, anchorLabels(new Date(clock)));
      await wh.execute(
        `CREATE VIEW ${DATASET}.statistics_foo_daily AS SELECT * FROM ${DATASET}.statistics_foo_day_1`,
      );
    });

    it('moves the anchor to now on every table and view of the experiment, and nothing else', async () => {
      const before = await wh.query(`SELECT * FROM ${DATASET}.enrollments_foo ORDER BY client_id`);
      const otherLabels = await labelsOf('statistics_foo_bar_day_1');
      clock = T0 + 10 * DAY;
      const now = new Date(clock + 1);
      const touched = await touchExperiment(wh, {
        dataset: DATASET,
        slug: 'foo',
        allSlugs: ['foo', 'foo_bar'],
        now,
      });
      assert.deepEqual([...touched.tables].sort(), [...tablesOfFoo, 'statistics_foo_daily'].sort());
      assert.equal(touched.tables.at(-1), 'enrollments_foo');
      assert.deepEqual(await readAnchor(wh, DATASET, 'foo'), now);
      for (const table of touched.tables) {
        const labels = await labelsOf(table);
        assert.equal(labels.anchor, String(now.getTime()), table);
        assert.equal(labels.last_updated, String(now.getTime()), table);
      }
      // Nothing recomputed: the same rows; the other experiment keeps its anchor and labels.
      assert.deepEqual(await wh.query(`SELECT * FROM ${DATASET}.enrollments_foo ORDER BY client_id`), before);
      assert.deepEqual(await readAnchor(wh, DATASET, 'foo_bar'), new Date(T0));
      assert.deepEqual(await labelsOf('statistics_foo_bar_day_1'), otherLabels);
    });

    it('keeps the anchor where it was when relabelling fails part-way, and a second touch finishes', async () => {
      let calls = 0;
      // Fails on the second table: whatever was relabelled by then, the anchor must not have moved.
      const flaky: Warehouse = Object.create(wh, {
        setLabels: {
          value: async (ref: TableRef, labels: TableLabels) => {
            calls++;
            if (calls === 2) throw new Error('warehouse went away');
            return wh.setLabels(ref, labels);
          },
        },
      });
      const now = new Date(T0 + 5 * DAY);
      await assert.rejects(
        touchExperiment(flaky, { dataset: DATASET, slug: 'foo', allSlugs: ['foo', 'foo_bar'], now }),
        /warehouse went away/,
      );
      assert.deepEqual(await readAnchor(wh, DATASET, 'foo'), new Date(T0));
      await touchExperiment(wh, { dataset: DATASET, slug: 'foo', allSlugs: ['foo', 'foo_bar'], now });
      assert.deepEqual(await readAnchor(wh, DATASET, 'foo'), now);
    });

    it('refuses an experiment without an enrollments table', async () => {
      await assert.rejects(
        touchExperiment(wh, { dataset: DATASET, slug: 'baz', allSlugs: ['foo', 'baz'], now: new Date() }),
        (error: unknown) =>
          error instanceof AnchorError &&
          error.message ===
            'experiment baz has no enrollments table (analysis.enrollments_baz): there is no anchor to move; run the experiment first',
      );
    });
  });
});
