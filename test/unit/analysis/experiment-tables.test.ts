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
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
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
