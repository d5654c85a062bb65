import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../../../src/activities/index.js';
import type { AnalysisActivities, AnalysisTarget, StatisticsSummary } from '../../../src/activities/types.js';
import { STAGING_EXPIRY_DAYS } from '../../../src/analysis/staging.js';
import { DAY_MS } from '../../../src/dates.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { testDeps } from '../../helpers/deps.js';
import { LIGHT_NUM_SAMPLES, lightConfigRepo, sampleWarehouse } from '../../helpers/sample.js';

/**
 * A run writes its result tables under staging names and swaps them in when it publishes: a
 * run that fails before publishing leaves the published tables (and the exports, read from
 * them) as the previous run left them; publishing swaps every table at once.
 */

const DATASET = 'staged';
const NOW = new Date('2026-04-01T06:00:00Z');
const WEEK_TABLE = 'statistics_contrail_demo_sidebar_week_1';
// The demo configs with light bootstraps: what is checked is which tables are published when.
const CONFIG_REPO = lightConfigRepo();
const DEMO_CONFIG = readFileSync(join(CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`), 'utf8');
// Another config, other results: fewer bootstrap samples give other intervals.
const OTHER_CONFIG = DEMO_CONFIG.replace(
  `num_samples = ${LIGHT_NUM_SAMPLES}`,
  `num_samples = ${LIGHT_NUM_SAMPLES / 2}`,
);
assert.notEqual(OTHER_CONFIG, DEMO_CONFIG);

const sortKey = (r: Record<string, unknown>) => JSON.stringify(Object.entries(r).sort());

describe('a run stages its result tables and publishes them in one step', () => {
  let warehouse: Warehouse;
  let exportDir: string;
  let activities: AnalysisActivities;
  let targetOf: (run: string, configOverride: string | null) => AnalysisTarget;

  /** What analyzeExperiment does for each date, without publishing; the statistics summaries. */
  async function analyse(target: AnalysisTarget): Promise<StatisticsSummary[]> {
    const summaries: StatisticsSummary[] = [];
    for (const date of ['2026-03-10', '2026-03-15']) {
      const due = await activities.planDay({ target, date });
      await activities.computeEnrollments({ target, date, recreate: false });
      for (const window of due.windows) await activities.computeMetrics({ target, date, window });
      for (const window of due.windows)
        summaries.push(await activities.computeStatistics({ target, date, window }));
    }
    return summaries;
  }
  const published = async (table: string) =>
    (await warehouse.query(`SELECT * FROM "memory"."${DATASET}"."${table}"`)).map(sortKey).sort();
  const exported = () =>
    (
      JSON.parse(
        readFileSync(
          join(exportDir, DATASET, 'statistics', 'statistics_contrail_demo_sidebar_weekly.json'),
          'utf8',
        ),
      ) as Record<string, unknown>[]
    )
      .map(sortKey)
      .sort();
  const tables = async () => (await warehouse.listTables(DATASET)).map((t) => t.ref.table);

  before(async () => {
    warehouse = await sampleWarehouse(800);
    exportDir = mkdtempSync(join(tmpdir(), 'contrail-staging-exports-'));
    activities = createActivities(
      testDeps(warehouse, { configRepos: [CONFIG_REPO], exportDir, now: () => NOW }),
    );
    const resolved = (
      await activities.resolveVersions({
        slugs: [DEMO_SLUG],
        dataset: DATASET,
        useLatest: false,
        useVersion: null,
        mode: 'anchor',
        here: true,
      })
    )[DEMO_SLUG];
    assert.ok(resolved && 'pin' in resolved, JSON.stringify(resolved));
    const { pin } = resolved;
    targetOf = (run, configOverride) => ({
      slug: DEMO_SLUG,
      dataset: DATASET,
      pin,
      configOverride,
      sampleSize: null,
      periods: ['preenrollment_week', 'week'],
      lenient: false,
      run,
    });
  });
  after(async () => {
    await warehouse.close();
  });

  test('nothing is published before the run publishes; then every table at once', async () => {
    const first = targetOf('backfill/first', null);
    const summaries = await analyse(first);
    // Summaries name the published tables; only staged copies exist so far.
    assert.deepEqual(
      summaries.map((s) => s.table),
      ['statistics_contrail_demo_sidebar_preenrollment_week_1', WEEK_TABLE],
    );
    const before = await tables();
    assert.ok(!before.includes(WEEK_TABLE), before.join(', '));
    assert.ok(before.some((t) => t.startsWith('staging_') && t.endsWith(WEEK_TABLE)));
    // The value histograms too: a run stopped before publishing leaves none under a published name.
    assert.deepEqual(
      before.filter((t) => t.startsWith('statistic_inputs_')),
      [],
    );
    // Week 1 read the pre-enrollment metrics this run staged: its covariate was found.
    const week = summaries[1] as StatisticsSummary;
    assert.ok(!week.warnings.some((w) => /covariate table missing/.test(w)), week.warnings.join('\n'));
    const staged = (await warehouse.listTables(DATASET, 'staging_')).find((t) =>
      t.ref.table.endsWith(WEEK_TABLE),
    );
    assert.ok(
      staged?.expiresAt && Math.abs(staged.expiresAt - (Date.now() + STAGING_EXPIRY_DAYS * DAY_MS)) < 60_000,
    );

    const result = await activities.publish({ target: first });
    assert.ok(result.published.includes(WEEK_TABLE), result.published.join(', '));
    assert.ok(result.published.includes('contrail_demo_sidebar_enrollments_clients_daily_week_1'));
    assert.ok(
      result.published.includes('statistic_inputs_contrail_demo_sidebar_enrollments_clients_daily_week_1'),
      result.published.join(', '),
    );
    assert.deepEqual(
      (await tables()).filter((t) => t.startsWith('staging_')),
      [],
    );
    assert.equal((await warehouse.getTable({ dataset: DATASET, table: WEEK_TABLE }))?.expiresAt, null);
    assert.deepEqual(exported(), await published(WEEK_TABLE));
    // A retried publish finds nothing staged and changes nothing.
    assert.deepEqual((await activities.publish({ target: first })).published, []);
  });

  test('a run that fails before publishing leaves the published tables and exports as they were', async () => {
    const firstRows = await published(WEEK_TABLE);
    const firstExport = exported();
    const second = targetOf('backfill/second', OTHER_CONFIG);
    const logs = async () =>
      Number(
        (await warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM "memory"."${DATASET}"."logs"`))[0]
          ?.n,
      );
    await analyse(second);
    const logged = await logs();
    // Crashed before publishing, and started over: the same work is staged again, logged once.
    await analyse(second);
    assert.equal(await logs(), logged, 'a step run again logs nothing twice');
    assert.deepEqual(await published(WEEK_TABLE), firstRows, 'the published table still holds the first run');
    assert.deepEqual(exported(), firstExport);

    await activities.publish({ target: second });
    const secondRows = await published(WEEK_TABLE);
    assert.notDeepEqual(secondRows, firstRows, 'the other config gave other results');
    assert.deepEqual(exported(), secondRows, 'the export is read from the swapped-in table');
    assert.deepEqual(
      (await tables()).filter((t) => t.startsWith('staging_')),
      [],
    );
  });

  test('dropResults with stagedOnly drops what the run staged and leaves the published tables', async () => {
    const fourth = targetOf('rerun/fourth', null);
    await activities.computeMetrics({
      target: fourth,
      date: '2026-03-10',
      window: { period: 'preenrollment_week', windowIndex: 1 },
    });
    const published = (await tables()).filter((t) => !t.startsWith('staging_'));
    assert.ok(published.length > 0);
    assert.ok((await tables()).some((t) => t.startsWith('staging_')));
    const { dropped } = await activities.dropResults({
      target: fourth,
      keepEnrollments: true,
      stagedOnly: true,
    });
    assert.deepEqual(dropped, []);
    assert.deepEqual(await tables(), published);
  });

  test('dropResults drops what the run staged too', async () => {
    const third = targetOf('rerun/third', null);
    await activities.computeMetrics({
      target: third,
      date: '2026-03-10',
      window: { period: 'preenrollment_week', windowIndex: 1 },
    });
    assert.ok((await tables()).some((t) => t.startsWith('staging_')));
    await activities.dropResults({ target: third, keepEnrollments: true });
    assert.deepEqual(
      (await tables()).filter((t) => t.startsWith('staging_')),
      [],
    );
  });
});
