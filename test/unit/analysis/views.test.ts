import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { publishResults } from '../../../src/analysis/publish.js';
import { runTables } from '../../../src/analysis/staging.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { currentToolVersion } from '../../../src/versions/tool-version.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { testExperiment } from '../../helpers/experiment.js';

/**
 * jetstream's views stack an experiment's windows by column name: a window computed by another
 * config (fewer metrics) or version lacks columns, or holds them in another order. Its rows get
 * NULL for a column it lacks, and every value stays under its own column's name.
 */
const SLUG = 'test-experiment';
const NOW = new Date('2026-03-16T06:00:00Z');
const NO_PROGRESS = { job: () => ({}), step: () => {} };

describe('publishing views over windows with different columns', () => {
  let warehouse: Warehouse;
  let spec: AnalysisSpec;
  let collection: Awaited<ReturnType<typeof loadConfigCollection>>;

  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:', now: () => NOW.getTime() });
    collection = await loadConfigCollection({ repos: [join('test', 'fixtures', 'config', 'repo')] });
    spec = resolveAnalysisSpec(
      collection,
      testExperiment({ slug: SLUG, startDate: '2026-02-24', enrollmentEndDate: '2026-03-02' }),
    ).spec;
  });
  after(async () => {
    await warehouse.close();
  });

  async function publish(dataset: string, tables: Record<string, string>): Promise<string[]> {
    await warehouse.createDataset(dataset);
    for (const [table, select] of Object.entries(tables)) {
      await warehouse.execute(`CREATE TABLE ${dataset}.${table} AS ${select}`);
    }
    const results = await runTables(warehouse, { run: `analysis/${SLUG}/2026-03-16`, dataset, slug: SLUG });
    const { views } = await publishResults({
      warehouse,
      spec,
      collection,
      dataset,
      pin: { configCommit: null, anchor: null },
      toolVersion: currentToolVersion(),
      exportDir: null,
      preview: false,
      results,
      now: NOW,
      progress: NO_PROGRESS,
    });
    return views;
  }

  test('a window lacking a metric (a config with fewer metrics): NULL in its rows, the others in place', async () => {
    const views = await publish('fewer', {
      test_experiment_enrollments_clients_daily_week_1: `SELECT * FROM (VALUES
        ('c1', 'control', 1.5, 10), ('c2', 'treatment', 2.5, 20)) t(analysis_id, branch, active_hours, searches)`,
      test_experiment_enrollments_clients_daily_week_2: `SELECT * FROM (VALUES
        ('c1', 'control', 3.5)) t(analysis_id, branch, active_hours)`,
      statistics_test_experiment_week_1: `SELECT * FROM (VALUES
        ('active_hours', 'mean', 1.0, 1), ('searches', 'mean', 2.0, 1)) t(metric, statistic, point, window_index)`,
      statistics_test_experiment_week_2: `SELECT * FROM (VALUES
        (3.0, 'active_hours', 2, 'mean', 2.5)) t(point, metric, window_index, statistic, lower)`,
    });
    assert.deepEqual(views.sort(), [
      'statistics_test_experiment_weekly',
      'test_experiment_enrollments_weekly',
    ]);
    assert.deepEqual(
      await warehouse.query(
        'SELECT analysis_id, branch, active_hours, searches, window_index FROM fewer.test_experiment_enrollments_weekly ORDER BY window_index, analysis_id',
      ),
      [
        { analysis_id: 'c1', branch: 'control', active_hours: 1.5, searches: 10, window_index: 1 },
        { analysis_id: 'c2', branch: 'treatment', active_hours: 2.5, searches: 20, window_index: 1 },
        { analysis_id: 'c1', branch: 'control', active_hours: 3.5, searches: null, window_index: 2 },
      ],
    );
    assert.deepEqual(
      await warehouse.query(
        'SELECT metric, statistic, point, lower, window_index FROM fewer.statistics_test_experiment_weekly ORDER BY window_index, metric',
      ),
      [
        { metric: 'active_hours', statistic: 'mean', point: 1, lower: null, window_index: 1 },
        { metric: 'searches', statistic: 'mean', point: 2, lower: null, window_index: 1 },
        { metric: 'active_hours', statistic: 'mean', point: 3, lower: 2.5, window_index: 2 },
      ],
    );
  });

  test('windows with the same columns in another order: every value under its own name', async () => {
    await publish('reordered', {
      test_experiment_exposures_clients_daily_week_1: `SELECT * FROM (VALUES
        ('c1', 'control', 1.5, 10.0)) t(analysis_id, branch, active_hours, searches)`,
      test_experiment_exposures_clients_daily_week_2: `SELECT * FROM (VALUES
        ('treatment', 'c2', 20.0, 2.5)) t(branch, analysis_id, searches, active_hours)`,
    });
    assert.deepEqual(
      await warehouse.query(
        'SELECT analysis_id, branch, active_hours, searches, window_index FROM reordered.test_experiment_exposures_weekly ORDER BY window_index',
      ),
      [
        { analysis_id: 'c1', branch: 'control', active_hours: 1.5, searches: 10, window_index: 1 },
        { analysis_id: 'c2', branch: 'treatment', active_hours: 2.5, searches: 20, window_index: 2 },
      ],
    );
  });
});
