import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  dropExperimentTables,
  existingTables,
  experimentTables,
} from '../../../src/analysis/experiment-tables.js';
import { publishStaged, runTables } from '../../../src/analysis/staging.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { legacyMetricsScanTableName, metricsScanTableName } from '../../../src/sql/names.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { testExperiment } from '../../helpers/experiment.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';

/**
 * Two experiments whose slugs share a prefix, each scanning a metric-hub data source whose name
 * the other's extends: `foo` reads `search_clients_daily`, `foo-search` reads `clients_daily`.
 * Joined with `_`, slug and data source alone would give both the same scan table.
 */
const CONFIGS: Record<string, string> = {
  foo: `[metrics]
weekly = ["sap_searches"]

[metrics.sap_searches]
data_source = "search_clients_daily"
select_expression = '{{agg_sum("sap")}}'

[metrics.sap_searches.statistics.bootstrap_mean]
`,
  'foo-search': `[metrics]
weekly = ["active_hours"]

[metrics.active_hours.statistics.bootstrap_mean]
`,
};
const DATE = '2024-01-14';

async function specs(): Promise<Record<string, AnalysisSpec>> {
  const repo = await mkdtemp(join(tmpdir(), 'contrail-tables-'));
  await cp(join(metricHubFixtures(), 'definitions'), join(repo, 'definitions'), { recursive: true });
  await mkdir(join(repo, 'jetstream'));
  for (const [slug, config] of Object.entries(CONFIGS))
    await writeFile(join(repo, 'jetstream', `${slug}.toml`), config);
  const collection = await loadConfigCollection({ repos: [repo] });
  return Object.fromEntries(
    Object.keys(CONFIGS).map((slug) => [
      slug,
      resolveAnalysisSpec(collection, testExperiment({ slug })).spec,
    ]),
  );
}

/** Every table an analysis of `spec` on DATE writes (its planned queries' destinations and its statistics tables). */
function written(spec: AnalysisSpec): string[] {
  const plan = planAnalysis(spec, DATE, { dataset: 'contrail', dialect: duckdbDialect() });
  const statistics = experimentTables(spec, 'contrail', DATE).windows.map((w) => w.statistics.table);
  return [...(plan.enrollments ? [plan.enrollments] : []), ...plan.metrics, ...plan.statisticInputs]
    .map((q) => q.destination.table)
    .concat(statistics);
}

describe("an experiment's tables, beside another's whose slug extends its slug", () => {
  it('are never the same table, and dropping one experiment leaves every table of the other', async () => {
    const { foo, 'foo-search': fooSearch } = await specs();
    const ofFoo = written(foo as AnalysisSpec);
    const ofFooSearch = written(fooSearch as AnalysisSpec);
    assert.ok(
      ofFoo.some((t) => t.includes('search_clients_daily')),
      `foo scans search_clients_daily: ${ofFoo.join(', ')}`,
    );
    assert.deepEqual(
      ofFoo.filter((t) => ofFooSearch.includes(t)),
      [],
    );

    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    try {
      await warehouse.createDataset('contrail');
      for (const table of [...ofFoo, ...ofFooSearch])
        await warehouse.execute(`CREATE TABLE contrail."${table}" (x INTEGER)`);
      // A preview or a rerun with --recreate_enrollments drops every table of the experiment.
      const { dropped } = await dropExperimentTables(
        warehouse,
        experimentTables(foo as AnalysisSpec, 'contrail', DATE),
        {
          keepEnrollments: false,
        },
      );
      assert.deepEqual([...dropped].sort(), [...new Set(ofFoo)].sort());
      const left = await existingTables(warehouse, 'contrail');
      assert.deepEqual(
        ofFooSearch.filter((t) => !left.has(t)),
        [],
      );
    } finally {
      await warehouse.close();
    }
  });
});

describe('scans an older contrail wrote, without the slug length in their names', () => {
  it("a rerun or preview drops the experiment's, never a name another experiment's scan may have", async () => {
    const { foo, 'foo-search': fooSearch } = await specs();
    const ofFoo = written(foo as AnalysisSpec);
    const ofFooSearch = written(fooSearch as AnalysisSpec);
    // foo's older scan of search_clients_daily and foo-search's of clients_daily: one name.
    const shared = legacyMetricsScanTableName('foo', 'search_clients_daily', 'week', 1);
    assert.equal(shared, legacyMetricsScanTableName('foo-search', 'clients_daily', 'week', 1));
    const ownOnly = legacyMetricsScanTableName('foo', 'clients_daily', 'week', 1);
    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    try {
      await warehouse.createDataset('contrail');
      for (const table of new Set([...ofFoo, ...ofFooSearch, shared, ownOnly]))
        await warehouse.execute(`CREATE TABLE contrail."${table}" (x INTEGER)`);
      const { dropped } = await dropExperimentTables(
        warehouse,
        experimentTables(foo as AnalysisSpec, 'contrail', DATE),
        { keepEnrollments: false },
      );
      assert.ok(!dropped.includes(shared), dropped.join(', '));
      assert.ok((await existingTables(warehouse, 'contrail')).has(shared));
    } finally {
      await warehouse.close();
    }
  });

  it('publishing a run drops those its scans replace, the per-basis views then reading the new scans', async () => {
    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    try {
      await warehouse.createDataset('contrail');
      const q = (table: string) => `contrail."${table}"`;
      // As an older build left the week: foo's scan, and the per-basis view over it; foo-search's
      // scan of clients_daily, under the name foo's of search_clients_daily would have had.
      const older = legacyMetricsScanTableName('foo', 'clients_daily', 'week', 1);
      const shared = legacyMetricsScanTableName('foo-search', 'clients_daily', 'week', 1);
      const perBasis = 'foo_enrollments_clients_daily_week_1';
      for (const table of ['enrollments_foo', 'enrollments_foo_search', older, shared])
        await warehouse.execute(`CREATE TABLE ${q(table)} AS SELECT 'old' AS v`);
      await warehouse.execute(`CREATE VIEW ${q(perBasis)} AS SELECT * FROM ${q(older)}`);
      // This build's run of foo's week: the scan under its new name, the per-basis view over it.
      const run = await runTables(warehouse, { run: 'backfill/foo', dataset: 'contrail', slug: 'foo' });
      const scan = metricsScanTableName('foo', 'clients_daily', 'week', 1);
      const stagedScan = { dataset: 'contrail', table: run.written(scan) };
      await warehouse.runToTable({ sql: "SELECT 'new' AS v", destination: stagedScan });
      await warehouse.runToTable({
        sql: `SELECT * FROM ${q(stagedScan.table)}`,
        destination: { dataset: 'contrail', table: run.written(perBasis) },
        mayBeView: true,
      });
      const published = await publishStaged(warehouse, 'contrail', run, 'foo', {
        job: () => ({}),
        step: () => {},
      });
      assert.deepEqual(published.superseded, [older]);
      const left = await existingTables(warehouse, 'contrail');
      assert.deepEqual(
        [older, shared, scan, perBasis].map((t) => [t, left.has(t)]),
        [
          [older, false],
          [shared, true],
          [scan, true],
          [perBasis, true],
        ],
      );
      assert.deepEqual(await warehouse.query(`SELECT v FROM ${q(perBasis)}`), [{ v: 'new' }]);
    } finally {
      await warehouse.close();
    }
  });
});
