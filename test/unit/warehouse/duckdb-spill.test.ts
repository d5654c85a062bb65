import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_DATA } from '../../../src/sample/defaults.js';
import { generateSample } from '../../../src/sample/generate.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { runPlannedQuery } from '../../../src/sql/run.js';
import { type OpenDuckDbOptions, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * Bounded memory must not change results: the demo analysis (enrollments, metrics scans, the
 * per-basis metrics, the statistic inputs, for every period it configures) run on a small sample
 * with a memory limit so small that DuckDB has to spill its hash tables to its temporary
 * directory, and again without one, gives the same rows in every table it writes.
 */
const DATASET = 'contrail';
const NOW = new Date('2026-06-01T00:00:00Z');
const DATES = ['2026-03-10', '2026-03-15', '2026-03-29'];
// DuckDB needs about 50 MB to run these queries at all (48 MB fails to allocate); at 64 MB it
// spills megabytes of a 6,000-client analysis, at 100 MB nothing.
const TINY = '64MB';

let dir: string;
let spec: AnalysisSpec;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'contrail-spill-'));
  const generator = await openDuckDbWarehouse({
    path: join(dir, 'generate.duckdb'),
    attach: { mozdata: join(dir, 'mozdata.duckdb') },
  });
  await generateSample(generator, {
    clients: 6000,
    days: DEMO_DATA.days,
    startDate: DEMO_DATA.startDate,
    seed: 7,
  });
  await generator.close();
  const experiment = await localExperimentSource(DEMO_EXPERIMENTS_FILE, { now: () => NOW }).get(DEMO_SLUG);
  assert.ok(experiment);
  spec = resolveAnalysisSpec(await loadConfigCollection({ repos: [DEMO_CONFIG_REPO] }), experiment).spec;
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every table the analysis writes, rows in a fixed order; and the most DuckDB had spilled after any query. */
async function analyse(
  name: string,
  options: OpenDuckDbOptions,
): Promise<{ tables: Map<string, unknown[]>; spilledBytes: number; memoryLimit: string }> {
  const warehouse = await openDuckDbWarehouse({
    path: join(dir, `${name}.duckdb`),
    attach: { mozdata: join(dir, 'mozdata.duckdb') },
    ...options,
  });
  try {
    const [setting] = await warehouse.query<{ limit: string }>(
      "SELECT current_setting('memory_limit') AS limit",
    );
    await warehouse.createDataset(DATASET);
    let spilledBytes = 0;
    const run = async (q: Parameters<typeof runPlannedQuery>[1]) => {
      await runPlannedQuery(warehouse, q);
      // Spill files stay in the temporary directory, at their largest size, until the database closes.
      const [files] = await warehouse.query<{ bytes: number | null }>(
        'SELECT sum(size) AS bytes FROM duckdb_temporary_files()',
      );
      spilledBytes = Math.max(spilledBytes, Number(files?.bytes ?? 0));
    };
    for (const date of DATES) {
      const plan = planAnalysis(spec, date, { dataset: DATASET, dialect: duckdbDialect() });
      if (plan.enrollments) await run(plan.enrollments);
      for (const w of plan.windows)
        for (const q of [...w.metricsScans, ...w.metrics, ...w.statisticInputs]) await run(q);
    }
    const tables = new Map<string, unknown[]>();
    for (const { ref } of await warehouse.listTables(DATASET)) {
      tables.set(ref.table, await warehouse.query(`SELECT * FROM ${DATASET}.${ref.table} ORDER BY ALL`));
    }
    return { tables, spilledBytes, memoryLimit: setting?.limit ?? '?' };
  } finally {
    await warehouse.close();
  }
}

describe('the DuckDB warehouse in bounded memory', () => {
  test('results with a memory limit that forces spilling equal results without one', async () => {
    // One thread in both runs: the order in which DuckDB adds up doubles is then the same.
    const unbounded = await analyse('unbounded', { memoryLimit: '4GB', threads: 1 });
    const tiny = await analyse('tiny', { memoryLimit: TINY, threads: 1 });
    assert.equal(unbounded.spilledBytes, 0, 'nothing spills with room to spare');
    assert.ok(
      tiny.spilledBytes > 0,
      `DuckDB spilled nothing with memory_limit ${tiny.memoryLimit}: the test would not show anything`,
    );
    assert.ok(unbounded.tables.size > 20, `${unbounded.tables.size} tables written`);
    assert.deepEqual([...tiny.tables.keys()], [...unbounded.tables.keys()]);
    for (const [table, rows] of unbounded.tables) {
      assert.ok(rows.length > 0, `${table} is empty`);
      assert.deepEqual(tiny.tables.get(table), rows, table);
    }
  });
});
