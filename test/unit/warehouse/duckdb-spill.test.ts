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

/** The tables the analysis writes (in the database file `name`), and the most DuckDB had spilled after any query. */
async function analyse(
  name: string,
  options: OpenDuckDbOptions,
): Promise<{ tables: string[]; spilledBytes: number; memoryLimit: string }> {
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
    const tables = (await warehouse.listTables(DATASET)).map(({ ref }) => ref.table);
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
    assert.ok(unbounded.tables.length > 20, `${unbounded.tables.length} tables written`);
    assert.deepEqual(tiny.tables, unbounded.tables);
    // The two databases' tables compared in DuckDB, not read into JavaScript (millions of values):
    // the same columns, and each row (as text: each double's shortest exact form) as many times
    // in both. Rows one database has more often than the other are read out for the message.
    const both = await openDuckDbWarehouse({
      path: ':memory:',
      attach: { unbounded: join(dir, 'unbounded.duckdb'), tiny: join(dir, 'tiny.duckdb') },
    });
    try {
      for (const table of unbounded.tables) {
        const at = (db: string) => `${db}.${DATASET}.${table}`;
        const columns = (db: string) =>
          both.query(`SELECT column_name, column_type FROM (DESCRIBE ${at(db)})`);
        assert.deepEqual(await columns('tiny'), await columns('unbounded'), table);
        const counted = (db: string) =>
          `SELECT CAST(whole_row AS VARCHAR) AS row_text, count(*) AS n FROM ${at(db)} AS whole_row GROUP BY ALL`;
        const [sizes] = await both.query<{ rows: number }>(`SELECT count(*) AS rows FROM ${at('unbounded')}`);
        assert.ok(sizes && sizes.rows > 0, `${table} is empty`);
        const differing = await both.query(
          `SELECT row_text, u.n AS unbounded, t.n AS tiny
           FROM (${counted('unbounded')}) AS u FULL JOIN (${counted('tiny')}) AS t USING (row_text)
           WHERE u.n IS DISTINCT FROM t.n LIMIT 10`,
        );
        assert.deepEqual(differing, [], table);
      }
    } finally {
      await both.close();
    }
  });
});
