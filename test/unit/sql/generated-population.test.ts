import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SpecResolver } from '../../../src/analysis/spec-resolver.js';
import { planQueries } from '../../../src/client/plan-sql.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { enrollmentsTableName, metricsTableName } from '../../../src/sql/names.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { planPopulationSample } from '../../../src/sql/plan/population.js';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { runPlannedQuery } from '../../../src/sql/run.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE, sampleWarehouse } from '../../helpers/sample.js';

/**
 * A generated population's clients enrolled in nothing, so no telemetry row carries the
 * experiment: the day window 1 (each client's enrollment day) must count that whole day, as
 * jetstream's preview does, not leave every client at 0 as if all of it came before enrolling.
 */
describe('a generated population on its enrollment day', () => {
  const SLUG = 'not-launched-yet';
  const CONFIG = '[metrics]\ndaily = ["active_hours"]\n';
  // The first previewed date: the generated population enrolls up to it, and its day 1 is due on it.
  const DATE = '2026-03-10';
  const DATASET = 'genpop';
  let warehouse: Warehouse;
  let spec: AnalysisSpec;

  before(async () => {
    warehouse = await sampleWarehouse(200);
    await warehouse.createDataset(DATASET);
    // As the preview's worker resolves it: a config no source knows, on a platform.
    const specs = new SpecResolver([DEMO_CONFIG_REPO], localExperimentSource(DEMO_EXPERIMENTS_FILE));
    ({ spec } = await specs.resolve({
      slug: SLUG,
      pin: { configCommit: null },
      configOverride: CONFIG,
      lenient: false,
      preview: true,
      platform: 'firefox_desktop',
      enrolledUntil: DATE,
    }));
  });
  after(async () => {
    await warehouse.close();
  });

  test("day 1's metrics are each client's whole enrollment day", async () => {
    const ctx = { spec, dataset: DATASET, dialect: duckdbDialect() };
    await runPlannedQuery(warehouse, planPopulationSample(ctx, { date: DATE, sampleSize: 100 }));
    const plan = planAnalysis(spec, DATE, { dataset: DATASET, dialect: duckdbDialect(), periods: ['day'] });
    const [day] = plan.windows;
    assert.equal(`${day?.window.period} ${day?.window.windowIndex}`, 'day 1');
    for (const q of [...(day?.metricsScans ?? []), ...(day?.metrics ?? [])])
      await runPlannedQuery(warehouse, q);

    const table = metricsTableName(SLUG, 'enrollments', 'clients_daily', 'day', 1);
    const actual = await warehouse.query<{ analysis_id: string; active_hours: number }>(
      `SELECT analysis_id, active_hours FROM ${DATASET}.${table} ORDER BY analysis_id`,
    );
    // Computed here from the telemetry itself: every row of the client's enrollment day.
    const expected = await warehouse.query<{ analysis_id: string; active_hours: number }>(
      `SELECT e.analysis_id, COALESCE(SUM(cd.active_hours_sum), 0) AS active_hours
       FROM ${DATASET}.${enrollmentsTableName(SLUG)} e
       LEFT JOIN mozdata.telemetry.clients_daily cd
         ON cd.client_id = e.analysis_id AND cd.submission_date = e.enrollment_date
       GROUP BY e.analysis_id ORDER BY e.analysis_id`,
    );
    assert.ok(expected.length > 20, `population of ${expected.length}`);
    // A generated client enrolls on a day it was active: most have some activity that day.
    const active = expected.filter((r) => Number(r.active_hours) > 0).length;
    assert.ok(active > expected.length / 2, `${active} of ${expected.length} active on their enrollment day`);
    assert.deepEqual(
      actual.map((r) => [r.analysis_id, Number(r.active_hours)]),
      expected.map((r) => [r.analysis_id, Number(r.active_hours)]),
    );
  });

  test("both dialects' scans, and the SQL a preview writes, keep the enrollment day", async () => {
    const scans = (dialect: ReturnType<typeof duckdbDialect>) =>
      planAnalysis(spec, DATE, { dataset: DATASET, dialect, periods: ['day'] }).windows.flatMap((w) =>
        w.metricsScans.map((q) => q.sql),
      );
    const configFile = join(mkdtempSync(join(tmpdir(), 'contrail-genpop-')), `${SLUG}.toml`);
    writeFileSync(configFile, CONFIG);
    const written = await planQueries({
      slug: SLUG,
      dates: [DATE],
      experimentsFile: DEMO_EXPERIMENTS_FILE,
      configRepos: [DEMO_CONFIG_REPO],
      configFile,
      dataset: DATASET,
      platform: 'firefox_desktop',
      periods: ['day'],
      generatePopulation: true,
      dialect: 'bigquery',
    });
    const sqls = [
      ...scans(duckdbDialect()),
      ...scans(bigqueryDialect()),
      ...(written[0]?.queries ?? []).filter((q) => q.kind === 'metrics_scan').map((q) => q.sql),
    ];
    assert.equal(sqls.length, 3);
    for (const sql of sqls) assert.doesNotMatch(sql, /contrail_unenrolled_date|_has_non_enrolled_data/);
  });
});
