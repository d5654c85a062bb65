import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ActivityDeps } from '../../../src/activities/deps.js';
import { createActivities } from '../../../src/activities/index.js';
import type { AnalysisActivities, AnalysisTarget, Pin } from '../../../src/activities/types.js';
import { outsideAnalysableDates } from '../../../src/analysis/analysable-dates.js';
import { recordQueryCosts } from '../../../src/analysis/query-costs.js';
import { STATISTICS_COLUMNS } from '../../../src/analysis/statistics.js';
import { addDays } from '../../../src/dates.js';
import { errorSubjects } from '../../../src/errors.js';
import { defaultExperimentsFile, localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_DATA } from '../../../src/sample/defaults.js';
import { generateSample } from '../../../src/sample/generate.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { metricsScanTableName } from '../../../src/sql/names.js';
import { raisedAtOf } from '../../../src/temporal/failures.js';
import { loadReleaseManifest } from '../../../src/versions/manifest.js';
import { currentToolVersion } from '../../../src/versions/tool-version.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { WrappedWarehouse } from '../../../src/warehouse/wrapped.js';
import { nimbusSchema, schemaProblems } from '../../helpers/json-schema.js';
import { DEMO_CONFIG_REPO, lightConfigRepo, sampleWarehouse } from '../../helpers/sample.js';

/**
 * The demo experiment end to end through the activities, on an in-memory DuckDB with a small
 * synthetic sample: week 1 (due 2026-03-15) and the overall window (the end date, 2026-03-29).
 */

const DATASET = 'contrail_test';
// After the demo's end date: the demo is complete, so its overall window is due on the end date.
const NOW = new Date('2026-04-01T06:00:00Z');

const DEMO_CONFIG = readFileSync(join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`), 'utf8');

function repoWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-configs-'));
  cpSync(DEMO_CONFIG_REPO, dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

// Activity failures are what these tests expect; the mock environment would log each one.
const quietEnvironment = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

/** Runs `fn` inside a mock activity context (heartbeats, cancellation signal), keeping its result type. */
function inActivity<R>(env: MockActivityEnvironment, fn: () => Promise<R>): Promise<R> {
  return env.run(fn) as Promise<R>;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the activity to fail');
}

interface StatRow {
  metric: string;
  statistic: string;
  parameter: string | null;
  branch: string;
  comparison: string | null;
  comparison_to_branch: string | null;
  point: number | null;
  lower: number | null;
  upper: number | null;
  segment: string;
  analysis_basis: string;
  window_index: string;
}

const sortKey = (r: Record<string, unknown>) => JSON.stringify(Object.entries(r).sort());

describe('analysis activities on the demo experiment', () => {
  let warehouse: Warehouse;
  let exportDir: string;
  let deps: ActivityDeps;
  let activities: AnalysisActivities;
  let pin: Pin;
  let target: AnalysisTarget;

  before(async () => {
    warehouse = await sampleWarehouse();
    exportDir = mkdtempSync(join(tmpdir(), 'contrail-exports-'));
    deps = {
      warehouse: async () => warehouse,
      warehouseName: 'DuckDB (the sample warehouse)',
      toolVersion: currentToolVersion(),
      deployment: null,
      releaseManifest: () => loadReleaseManifest(),
      // Light bootstraps: the checks are on tables, counts, labels and the signs of linear-model effects.
      configRepos: [lightConfigRepo()],
      experiments: localExperimentSource(defaultExperimentsFile({}), { now: () => NOW }),
      exportDir,
      now: () => NOW,
    };
    activities = createActivities(deps);
    pin = await resolve(DEMO_SLUG);
    target = {
      slug: DEMO_SLUG,
      dataset: DATASET,
      pin,
      configOverride: null,
      sampleSize: null,
      // Keeps the test quick: the statistics engine's bootstraps dominate each window.
      periods: ['week', 'overall'],
      lenient: false,
      // Written in place: test/unit/activities/staging.test.ts covers runs that stage their tables.
      run: null,
    };
  });

  after(async () => {
    await warehouse.close();
  });

  /** The experiment's pin as an analysis that resolves its own would get it. */
  async function resolve(slug: string, overrides: { useVersion?: string } = {}): Promise<Pin> {
    const resolved = (
      await activities.resolveVersions({
        slugs: [slug],
        dataset: DATASET,
        useLatest: false,
        useVersion: overrides.useVersion ?? null,
        mode: 'anchor',
        here: true,
      })
    )[slug];
    assert.ok(resolved && 'pin' in resolved, JSON.stringify(resolved));
    assert.equal(resolved.refusal, null);
    return resolved.pin;
  }

  test('resolveVersions before enrollments: the latest release (this build), a plain config directory has no commit', () => {
    assert.deepEqual(pin, {
      toolVersion: deps.toolVersion.version,
      buildId: deps.toolVersion.buildId,
      configCommit: null,
      anchor: null,
      reason: 'no-anchor',
      resolvedAt: NOW.toISOString(),
    });
  });

  test('resolveVersions: a useVersion no release has fails the call, naming the known releases', async () => {
    const failure = await failureOf(
      activities.resolveVersions({
        slugs: [DEMO_SLUG],
        dataset: DATASET,
        useLatest: false,
        useVersion: '9.9.9',
        mode: 'anchor',
        here: false,
      }),
    );
    assert.equal(failure.type, 'UnknownReleaseError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /use-version=9\.9\.9 is not a known contrail version or build id; known: /);
  });

  test('a step that computes refuses a pin to another build, saying how to run it', async () => {
    const elsewhere: Pin = { ...pin, toolVersion: '0.0.9', buildId: 'other-build', reason: 'anchor' };
    const failure = await failureOf(
      quietEnvironment().run(activities.computeEnrollments, {
        target: { ...target, pin: elsewhere },
        date: '2026-03-15',
        recreate: false,
      }),
    );
    assert.equal(failure.type, 'PinnedBuildError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /contrail-demo-sidebar is pinned to contrail 0\.0\.9\+other-build/);
    assert.match(failure.message, /--use-latest/);
    assert.equal(
      await warehouse.tableExists({ dataset: DATASET, table: 'enrollments_contrail_demo_sidebar' }),
      false,
      'nothing was computed',
    );
    // Pinned by --use-latest already, on a worker of another build of this task queue: that
    // option is no remedy, one build per task queue is.
    const resolvedElsewhere = await failureOf(
      quietEnvironment().run(activities.computeEnrollments, {
        target: { ...target, pin: { ...elsewhere, reason: 'use-latest' as const } },
        date: '2026-03-15',
        recreate: false,
      }),
    );
    assert.doesNotMatch(resolvedElsewhere.message, /pass --use-latest/);
    assert.match(resolvedElsewhere.message, /workers of different builds poll this task queue/);
  });

  test('describeExperiment and planDay follow the experiment dates', async () => {
    const described = await activities.describeExperiment({ target, today: '2026-04-10' });
    assert.deepEqual(described, {
      startDate: '2026-03-02',
      endDate: '2026-03-29',
      status: 'complete',
      lastAnalysisDate: '2026-03-30',
      lastDueDate: '2026-03-29',
      analysable: {
        slug: DEMO_SLUG,
        skip: false,
        startDate: '2026-03-02',
        firstDueDate: '2026-03-09',
        endDate: '2026-03-29',
      },
    });
    // The daily run and backfills start no analysis outside these dates: on every date outside
    // them nothing is due, with the same reason, and on every date inside them something is.
    const analysable = described.analysable as NonNullable<typeof described.analysable>;
    for (let date = '2026-02-27'; date <= '2026-04-02'; date = addDays(date, 1)) {
      const due = await activities.planDay({ target, date });
      const somethingDue = due.enrollmentsDue || due.windows.length > 0;
      assert.deepEqual(
        [somethingDue, due.reason],
        [outsideAnalysableDates(analysable, date) === null, outsideAnalysableDates(analysable, date)],
        date,
      );
    }
    const early = await activities.planDay({ target, date: '2026-03-05' });
    assert.deepEqual(early.windows, []);
    assert.match(early.reason ?? '', /enrollment of contrail-demo-sidebar is not complete/);
    const week1 = await activities.planDay({ target, date: '2026-03-15' });
    assert.deepEqual(week1, {
      enrollmentsDue: true,
      windows: [{ period: 'week', windowIndex: 1 }],
      reason: null,
    });
    const end = await activities.planDay({ target, date: '2026-03-29' });
    assert.deepEqual(end.windows, [
      { period: 'week', windowIndex: 3 },
      { period: 'overall', windowIndex: 1 },
    ]);
    // After the end date nothing is due any more (no window of days the experiment did not have).
    const after = await activities.planDay({ target, date: '2026-03-30' });
    assert.deepEqual(
      [after.enrollmentsDue, after.windows, after.reason],
      [false, [], 'contrail-demo-sidebar ended on 2026-03-29'],
    );
  });

  test('week 1: enrollments once, metrics, statistics with intervals, identity counts and SRM', async () => {
    const env = new MockActivityEnvironment();
    const created = await inActivity(env, () =>
      activities.computeEnrollments({ target, date: '2026-03-15', recreate: false }),
    );
    assert.equal(created.table, 'enrollments_contrail_demo_sidebar');
    assert.equal(created.created, true);
    assert.ok(created.rows > 1000, `enrolled ${created.rows}`);
    const kept = await activities.computeEnrollments({ target, date: '2026-03-15', recreate: false });
    // A kept table ran no query; the created one reports its query's time (DuckDB reports no bytes).
    const { queries: ran, ...createdTable } = created;
    assert.deepEqual(kept, { ...createdTable, created: false });
    assert.deepEqual(
      ran?.map((q) => ({ ...q, elapsedMs: typeof q.elapsedMs })),
      [{ table: 'enrollments_contrail_demo_sidebar', elapsedMs: 'number', bytesProcessed: null }],
    );

    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const window = { period: 'week' as const, windowIndex: 1 };
    const metrics = await inActivity(env, () =>
      activities.computeMetrics({ target, date: '2026-03-15', window }),
    );
    assert.ok(heartbeats.length >= metrics.length, 'heartbeats between warehouse jobs');
    const tables = metrics.map((m) => m.table);
    assert.deepEqual(
      metrics.map((m) => m.queries?.map((q) => q.table)),
      tables.map((t) => [t]),
      'each metrics table reports the query that wrote it, under its published name',
    );
    assert.ok(tables.includes('contrail_demo_sidebar_enrollments_clients_daily_week_1'), tables.join(', '));
    assert.ok(tables.includes('contrail_demo_sidebar_exposures_clients_daily_week_1'), tables.join(', '));

    const summary = await activities.computeStatistics({ target, date: '2026-03-15', window });
    assert.equal(summary.table, 'statistics_contrail_demo_sidebar_week_1');
    assert.equal(summary.period, 'week');
    assert.ok(summary.sampleRatioMismatch, 'sample ratio mismatch computed');
    assert.equal(summary.sampleRatioMismatch.degreesOfFreedom, 2);
    assert.ok(summary.sampleRatioMismatch.pValue > 0.001, 'the sample assigns branches by their ratios');
    // The pre-enrollment periods were not asked for: week 1's statistics computed the
    // covariate metrics they adjust for themselves, as the analysis of 2026-03-10 would have.
    assert.ok(!summary.warnings.some((w) => /covariate/.test(w)), summary.warnings.slice(0, 3).join('\n'));
    assert.ok(
      await warehouse.tableExists({
        dataset: DATASET,
        table: 'contrail_demo_sidebar_enrollments_clients_daily_preenrollment_week_1',
      }),
    );
    // A warning that holds for several segments and bases is logged once per basis, each row
    // naming that basis's segments (the errors export lists each basis and segment from them).
    const logged = await warehouse.query<{ message: string; analysis_basis: string | null }>(
      `SELECT message, analysis_basis FROM "memory"."${DATASET}"."logs" WHERE stage = 'statistics week 1'`,
    );
    const messages = [...new Set(logged.map((l) => l.message))];
    assert.equal(messages.length, summary.warningCount);
    // The summary counts the errors among them (statistics that could not be computed), for the
    // reports that say them apart from the warnings.
    const errors = await warehouse.query<{ message: string }>(
      `SELECT DISTINCT message FROM "memory"."${DATASET}"."logs" WHERE stage = 'statistics week 1' AND log_level = 'ERROR'`,
    );
    assert.equal(summary.errorCount, errors.length);
    const places = logged.map((l) => `${l.message} | ${l.analysis_basis}`);
    assert.equal(new Set(places).size, places.length, places.join('\n'));
    assert.ok(
      logged.every((l) => !l.analysis_basis?.includes(',')),
      places.join('\n'),
    );
    const subjects = messages.map((m) => m.replace(/ \([^()]*\)$/, ''));
    assert.equal(new Set(subjects).size, subjects.length, subjects.join('\n'));
    // jetstream's columns: where the warnings were logged, as its logger records the place of
    // its call; an exception only for the errors among them.
    const placed = await warehouse.query<Record<string, unknown>>(
      `SELECT DISTINCT filename, func_name, log_level, exception IS NULL AS no_exception FROM "memory"."${DATASET}"."logs" WHERE stage = 'statistics week 1' ORDER BY log_level`,
    );
    assert.deepEqual(
      placed.map((p) => [p.filename, p.func_name, p.log_level, p.no_exception]),
      [
        ...(errors.length > 0
          ? [['src/analysis/statistics.ts', 'computeWindowStatistics', 'ERROR', false]]
          : []),
        ['src/analysis/statistics.ts', 'computeWindowStatistics', 'WARNING', true],
      ],
    );

    const rows = await warehouse.query<StatRow & Record<string, unknown>>(
      `SELECT * FROM "memory"."${DATASET}"."${summary.table}"`,
    );
    assert.equal(rows.length, summary.rows);
    assert.deepEqual(
      Object.keys(rows[0] ?? {}),
      STATISTICS_COLUMNS.map((c) => c.name),
    );
    for (const r of rows) {
      assert.equal(r.window_index, '1');
      // Deciles' point is the mean of bootstrapped order statistics, which can lie outside
      // their (discrete) percentile interval; for means and proportions it cannot.
      if (r.statistic !== 'deciles' && r.point !== null && r.lower !== null && r.upper !== null) {
        assert.ok(r.lower <= r.point + 1e-9 && r.point <= r.upper + 1e-9, `${JSON.stringify(r)}`);
      }
    }
    const identity = rows.filter(
      (r) => r.metric === 'identity' && r.segment === 'all' && r.analysis_basis === 'enrollments',
    );
    assert.deepEqual(identity.map((r) => r.branch).sort(), ['control', 'treatment-a', 'treatment-b']);
    assert.equal(
      identity.reduce((s, r) => s + (r.point ?? 0), 0),
      created.rows,
      'identity counts add up to the enrolled clients',
    );
    const segments = new Set(rows.map((r) => r.segment));
    assert.deepEqual([...segments].sort(), ['all', 'heavy_users', 'us_clients']);
    assert.deepEqual([...new Set(rows.map((r) => r.analysis_basis))].sort(), ['enrollments', 'exposures']);

    const labels = (await warehouse.getTable({ dataset: DATASET, table: summary.table }))?.labels ?? {};
    assert.equal(labels.schema_version, '4');
    assert.equal(labels.config_commit, 'none');
    assert.equal(labels.tool_version, deps.toolVersion.version.replace(/\./g, '-'));
    assert.equal(labels.build_id, deps.toolVersion.buildId.toLowerCase());
    assert.ok(labels.last_updated);
  });

  test('the enrollments table carries the anchor it was created at; later analyses leave it', async () => {
    const enrollments = { dataset: DATASET, table: 'enrollments_contrail_demo_sidebar' };
    const anchor = (await warehouse.getTable(enrollments))?.labels.anchor;
    assert.equal(anchor, String(NOW.getTime()));
    const anchored = await resolve(DEMO_SLUG);
    assert.equal(anchored.anchor, NOW.toISOString());
    // The only release in the manifest is newer than the anchor: the earliest release it is.
    assert.equal(anchored.reason, 'before-first-release');
    assert.equal(anchored.buildId, deps.toolVersion.buildId);
    await activities.computeEnrollments({ target, date: '2026-03-20', recreate: false });
    assert.equal((await warehouse.getTable(enrollments))?.labels.anchor, anchor);
  });

  test('rerunning metrics and statistics replaces them with identical rows', async () => {
    const table = 'statistics_contrail_demo_sidebar_week_1';
    const read = async () =>
      (await warehouse.query(`SELECT * FROM "memory"."${DATASET}"."${table}"`)).map(sortKey).sort();
    const before = await read();
    const window = { period: 'week' as const, windowIndex: 1 };
    await activities.computeMetrics({ target, date: '2026-03-15', window });
    const again = await activities.computeStatistics({ target, date: '2026-03-15', window });
    const after = await read();
    assert.equal(again.rows, before.length);
    assert.deepEqual(after, before);
  });

  test('a statistics step says how far its statistics got, and cancelled while it writes, logs nothing and ends cancelled', async () => {
    const env = quietEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    // The cancellation arrives as the step writes its rows: what it would write after them is
    // the warnings of results that will never be published.
    let cancelled = false;
    const afterCancel: string[] = [];
    const cancelling = new WrappedWarehouse(
      warehouse.dialect,
      warehouse.sqlDialect,
      async (call, run) => {
        if (cancelled) afterCancel.push(`${call.method} ${call.table?.table ?? ''}`.trim());
        const result = await run(warehouse);
        if (call.method === 'writeRows' && call.table?.table.startsWith('statistics_')) {
          cancelled = true;
          env.cancel();
        }
        return result;
      },
      async () => undefined,
    );
    const cancellable = createActivities({ ...deps, warehouse: async () => cancelling });
    await assert.rejects(
      inActivity(env, () =>
        cancellable.computeStatistics({
          target,
          date: '2026-03-15',
          window: { period: 'week', windowIndex: 1 },
        }),
      ),
      CancelledFailure,
    );
    assert.ok(cancelled, 'the statistics were written before the cancellation');
    // It still read (the sample ratio check ran with the rows), but wrote nothing more.
    const writes = [
      'writeRows',
      'runToTable',
      'execute',
      'createDataset',
      'setLabels',
      'dropTable',
      'swapTables',
    ];
    assert.deepEqual(
      afterCancel.filter((c) => writes.includes(c.split(' ')[0] ?? '')),
      [],
    );
    assert.ok(
      heartbeats.some((h) => {
        const { job, detail } = (h ?? {}) as { job?: string; detail?: string };
        return job === 'computing statistics' && /^\d+ of \d+ statistics$/.test(detail ?? '');
      }),
      JSON.stringify(heartbeats),
    );
  });

  test('overall on the end date: the big true effects have the right sign', async () => {
    const window = { period: 'overall' as const, windowIndex: 1 };
    await activities.computeMetrics({ target, date: '2026-03-29', window });
    const summary = await activities.computeStatistics({ target, date: '2026-03-29', window });
    assert.equal(summary.table, 'statistics_contrail_demo_sidebar_overall_1');
    const rows = await warehouse.query<StatRow & Record<string, unknown>>(
      `SELECT * FROM "memory"."${DATASET}"."${summary.table}"
       WHERE statistic = 'mean_lm' AND comparison = 'relative_uplift' AND segment = 'all'
         AND analysis_basis = 'enrollments' AND comparison_to_branch = 'control'`,
    );
    const uplift = (metric: string, branch: string) => {
      const row = rows.find((r) => r.metric === metric && r.branch === branch);
      assert.ok(row && row.point !== null, `no relative uplift of ${metric} for ${branch}`);
      return row.point;
    };
    // Ground truth (src/sample/population.ts): treatment-a +15 % searches, +10 % active hours;
    // treatment-b −20 % ad clicks, −8 % active hours (on exposed clients).
    assert.ok(uplift('search_count', 'treatment-a') > 0);
    assert.ok(uplift('active_hours', 'treatment-a') > 0);
    assert.ok(uplift('ad_clicks', 'treatment-b') < 0);
    assert.ok(uplift('active_hours', 'treatment-b') < 0);
  });

  test('recordError adds to the logs table once per error; publish writes views and JSON exports under the dataset', async () => {
    const error = {
      slug: DEMO_SLUG,
      date: '2026-03-16',
      stage: 'computeMetrics',
      message: 'something went wrong',
      errorType: 'WarehouseQueryError',
    };
    await activities.recordError({ dataset: DATASET, error });
    await activities.recordError({ dataset: DATASET, error: { ...error, date: '2026-03-17' } });
    // The same error recorded again (a retried workflow task, a crashed run started over): one row.
    await activities.recordError({ dataset: DATASET, error });
    const logs = await warehouse.query<{ level: string; n: number }>(
      `SELECT log_level AS level, COUNT(*) AS n FROM "memory"."${DATASET}"."logs" WHERE experiment = '${DEMO_SLUG}' GROUP BY ALL`,
    );
    const byLevel = Object.fromEntries(logs.map((l) => [l.level, Number(l.n)]));
    assert.equal(byLevel.ERROR, 2);
    assert.ok((byLevel.WARNING ?? 0) > 0, 'statistics warnings are logged too');

    const published = await activities.publish({ target });
    assert.ok(published.views.includes('statistics_contrail_demo_sidebar_weekly'));
    assert.ok(published.views.includes('statistics_contrail_demo_sidebar_overall'));
    assert.ok(published.views.includes('contrail_demo_sidebar_enrollments_weekly'));
    assert.ok(published.views.includes('contrail_demo_sidebar_exposures_overall'));
    const counted = async (table: string) =>
      Number(
        (
          await warehouse.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "memory"."${DATASET}"."${table}"`)
        )[0]?.n,
      );
    assert.equal(
      await counted('statistics_contrail_demo_sidebar_weekly'),
      await counted('statistics_contrail_demo_sidebar_week_1'),
    );
    const metricsView = await warehouse.query<Record<string, unknown>>(
      `SELECT * FROM "memory"."${DATASET}"."contrail_demo_sidebar_enrollments_weekly" LIMIT 1`,
    );
    for (const column of ['analysis_id', 'branch', 'uri_count', 'search_count', 'window_index']) {
      assert.ok(column in (metricsView[0] ?? {}), `metrics view has ${column}`);
    }

    const statisticsFile = join(
      exportDir,
      DATASET,
      'statistics',
      'statistics_contrail_demo_sidebar_weekly.json',
    );
    const exported = JSON.parse(readFileSync(statisticsFile, 'utf8')) as StatRow[];
    assert.equal(exported.length, await counted('statistics_contrail_demo_sidebar_week_1'));
    assert.ok(published.exports.includes(statisticsFile));
    const metadata = JSON.parse(
      readFileSync(join(exportDir, DATASET, 'metadata', 'metadata_contrail_demo_sidebar.json'), 'utf8'),
    );
    assert.equal(metadata.schema_version, 4);
    assert.deepEqual(Object.keys(metadata.metrics.uri_count).sort(), [
      'analysis_bases',
      'bigger_is_better',
      'description',
      'friendly_name',
    ]);
    assert.equal(metadata.outcomes.demo_engagement.friendly_name, 'Demo engagement');
    assert.equal(metadata.analysis_start_time, NOW.toISOString());
    // The same provenance as the tables' labels: the build that published, and the configs.
    assert.equal(metadata.tool_version, deps.toolVersion.version);
    assert.equal(metadata.build_id, deps.toolVersion.buildId);
    assert.equal(metadata.config_commit, null);
    const exportedLogs = JSON.parse(
      readFileSync(join(exportDir, DATASET, 'errors', 'errors_contrail_demo_sidebar.json'), 'utf8'),
    ) as { log_level: string; exception_type: string; message: string }[];
    const errors = exportedLogs.filter((e) => e.log_level === 'ERROR');
    assert.equal(errors.length, 2);
    assert.ok(
      exportedLogs.some((e) => e.log_level === 'WARNING'),
      'warnings are exported with their level',
    );
    assert.equal(errors[0]?.exception_type, 'WarehouseQueryError');
    assert.equal(errors[0]?.message, 'something went wrong');

    // What Experimenter validates each file with before its results page shows anything
    // (mozilla-nimbus-schemas' Statistics, Metadata, AnalysisErrors).
    assert.deepEqual(schemaProblems(nimbusSchema('Statistics'), exported, { laxNumbers: true }), []);
    const identity = (r: StatRow) =>
      JSON.stringify([
        r.metric,
        r.statistic,
        r.branch,
        r.parameter,
        r.comparison,
        r.comparison_to_branch,
        r.segment,
        r.analysis_basis,
        r.window_index,
      ]);
    assert.equal(new Set(exported.map(identity)).size, exported.length, 'Statistics refuses duplicate rows');
    assert.deepEqual(schemaProblems(nimbusSchema('Metadata'), metadata), []);
    assert.deepEqual(schemaProblems(nimbusSchema('AnalysisErrors'), exportedLogs).slice(0, 5), []);
  });

  test('buildPopulationSample: a deterministic sample of clients in proportion to the branch ratios', async () => {
    const populationTarget = { ...target, dataset: 'contrail_population', sampleSize: 50 };
    const first = await activities.buildPopulationSample({ target: populationTarget, date: '2026-03-15' });
    assert.equal(first.table, 'enrollments_contrail_demo_sidebar');
    const byBranch = await warehouse.query<{ branch: string; n: number }>(
      `SELECT branch, COUNT(*) AS n FROM "memory"."contrail_population"."${first.table}" GROUP BY branch ORDER BY branch`,
    );
    const counts = Object.fromEntries(byBranch.map((r) => [r.branch, Number(r.n)]));
    const total = Object.values(counts).reduce((s, n) => s + n, 0);
    assert.equal(total, first.rows);
    // The sample has 3000 clients; half of them (sample_id < 50) are active in the range.
    assert.ok(total > 800 && total < 1600, `population ${total}`);
    assert.ok(Math.abs((counts.control ?? 0) / total - 0.5) < 0.06, JSON.stringify(counts));
    assert.ok(Math.abs((counts['treatment-a'] ?? 0) / total - 0.25) < 0.06, JSON.stringify(counts));
    const again = await activities.buildPopulationSample({ target: populationTarget, date: '2026-03-15' });
    // The same sample; only the query's time differs.
    assert.deepEqual({ ...again, queries: [] }, { ...first, queries: [] });
  });

  test('dropResults drops the experiment’s tables and views, keeping enrollments when asked', async () => {
    // What a rerun keeps once it has published: the tables and views named, and no others.
    const keep = ['statistics_contrail_demo_sidebar_week_1', 'statistics_contrail_demo_sidebar_weekly'];
    const some = await activities.dropResults({ target, keepEnrollments: true, keep });
    assert.ok(some.dropped.length > 0 && some.dropped.every((t) => !keep.includes(t)), some.dropped.join());
    // Those of periods the target does not name (the pre-enrollment covariates' windows) are
    // another run's results: a rerun of some periods leaves them as they were.
    const kept = (await warehouse.listTables(DATASET)).map((t) => t.ref.table).sort();
    assert.deepEqual(
      kept.filter((t) => !t.includes('preenrollment')),
      ['enrollments_contrail_demo_sidebar', 'logs', ...keep].sort(),
    );
    const { dropped } = await activities.dropResults({ target, keepEnrollments: true });
    assert.ok(dropped.includes('statistics_contrail_demo_sidebar_week_1'));
    assert.ok(dropped.includes('statistics_contrail_demo_sidebar_weekly'));
    assert.ok(!dropped.includes('enrollments_contrail_demo_sidebar'));
    assert.ok(!dropped.includes('logs'), 'the log is kept');
    const left = (await warehouse.listTables(DATASET)).map((t) => t.ref.table).sort();
    assert.deepEqual(left, ['enrollments_contrail_demo_sidebar', 'logs']);
    const all = await activities.dropResults({ target, keepEnrollments: false });
    assert.deepEqual(all.dropped, ['enrollments_contrail_demo_sidebar']);

    // A preview starting over forgets the experiment's warnings and query costs too, not another's.
    const cost = (experiment: string) => ({
      timestamp: NOW.toISOString(),
      experiment,
      analysis_date: '2026-03-15',
      destination: 'x',
      stage: 'metrics',
      estimate_method: 'column_sizes',
      estimated_bytes: 1,
      bytes_processed: null,
      elapsed_ms: 1,
      cost_usd: 0,
    });
    await recordQueryCosts(warehouse, DATASET, 'other-experiment', [cost('other-experiment')]);
    await warehouse.execute(
      `INSERT INTO ${DATASET}.query_costs SELECT * REPLACE ('${DEMO_SLUG}' AS experiment) FROM ${DATASET}.query_costs`,
    );
    await warehouse.execute(`INSERT INTO ${DATASET}.logs (experiment) VALUES ('other-experiment')`);
    const rowsOf = async (table: string) =>
      (
        await warehouse.query<{ experiment: string }>(
          `SELECT DISTINCT experiment FROM ${DATASET}.${table} ORDER BY 1`,
        )
      ).map((r) => r.experiment);
    assert.deepEqual(await rowsOf('logs'), [DEMO_SLUG, 'other-experiment']);
    assert.deepEqual(await rowsOf('query_costs'), [DEMO_SLUG, 'other-experiment']);
    await activities.dropResults({ target, keepEnrollments: false, forgetRows: true });
    assert.deepEqual(await rowsOf('logs'), ['other-experiment']);
    assert.deepEqual(await rowsOf('query_costs'), ['other-experiment']);
  });
});

describe('analysis activity failures', () => {
  let warehouse: Warehouse;
  const pin: Pin = {
    toolVersion: currentToolVersion().version,
    buildId: currentToolVersion().buildId,
    configCommit: null,
    anchor: null,
    reason: 'no-anchor',
    resolvedAt: NOW.toISOString(),
  };
  const targetFor = (slug: string, configOverride: string | null = null): AnalysisTarget => ({
    slug,
    dataset: 'contrail_failures',
    pin,
    configOverride,
    sampleSize: null,
    periods: null,
    lenient: false,
    run: null,
  });
  const depsWith = (configRepos: string[]): ActivityDeps => ({
    warehouse: async () => warehouse,
    warehouseName: 'DuckDB :memory:',
    toolVersion: currentToolVersion(),
    deployment: null,
    releaseManifest: () => loadReleaseManifest(),
    configRepos,
    experiments: localExperimentSource(defaultExperimentsFile({}), { now: () => NOW }),
    exportDir: null,
    now: () => NOW,
  });

  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
  });
  /** The demo telemetry in the warehouse, generated once for the tests that run queries. */
  let sampled: Promise<void> | null = null;
  const withSample = () => {
    sampled ??= generateSample(warehouse, {
      clients: 300,
      days: DEMO_DATA.days,
      startDate: DEMO_DATA.startDate,
      seed: 3,
    }).then(() => undefined);
    return sampled;
  };
  after(async () => {
    await warehouse.close();
  });

  test('a broken config is a non-retryable ConfigError naming the file and key', async () => {
    const repo = repoWith({
      [`jetstream/${DEMO_SLUG}.toml`]: DEMO_CONFIG.replace(
        '[metrics]\n',
        '[metrics]\nweekly_typo = ["uri_count"]\n',
      ),
    });
    const activities = createActivities(depsWith([repo]));
    const env = quietEnvironment();
    const failure = await failureOf(
      env.run(activities.planDay, { target: targetFor(DEMO_SLUG), date: '2026-03-15' }),
    );
    assert.equal(failure.type, 'ConfigError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /jetstream\/contrail-demo-sidebar\.toml:\d+: metrics\.weekly_typo/);
  });

  test('an unknown slug is a non-retryable UnknownExperimentError, with the slug it resembles', async () => {
    const activities = createActivities(depsWith([DEMO_CONFIG_REPO]));
    const failure = await failureOf(
      activities.planDay({ target: targetFor('no-such-experiment'), date: '2026-03-15' }),
    );
    assert.equal(failure.type, 'UnknownExperimentError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /no-such-experiment/);
    assert.doesNotMatch(failure.message, /did you mean/);
    // A misspelt slug is answered with the experiment it resembles.
    const typo = await failureOf(
      activities.planDay({ target: targetFor('contrail-demo-sidbar'), date: '2026-03-15' }),
    );
    assert.match(
      typo.message,
      /unknown experiment 'contrail-demo-sidbar' \(did you mean 'contrail-demo-sidebar'\?\)/,
    );
  });

  test('a metric whose SQL the warehouse rejects is a non-retryable PlannedQueryError naming the metric', async () => {
    await withSample();
    const activities = createActivities(depsWith([DEMO_CONFIG_REPO]));
    const config = `${DEMO_CONFIG}
[metrics.broken_metric]
select_expression = "SUM(no_such_column)"
data_source = "clients_daily"

[metrics.broken_metric.statistics.bootstrap_mean]
`.replace('weekly = ["uri_count_bootstrap"', 'weekly = ["broken_metric", "uri_count_bootstrap"');
    const target = { ...targetFor(DEMO_SLUG, config), periods: ['week' as const] };
    await activities.computeEnrollments({ target, date: '2026-03-15', recreate: false });
    const failure = await failureOf(
      activities.computeMetrics({ target, date: '2026-03-15', window: { period: 'week', windowIndex: 1 } }),
    );
    assert.equal(failure.type, 'PlannedQueryError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /broken_metric/);
    assert.match(failure.message, /no_such_column/);
    // Where the logs table says it was raised: where the rejected query was run, not where the
    // window's step added the scans that ran beside it.
    assert.deepEqual(raisedAtOf(failure), { filename: 'src/sql/run.ts', funcName: 'runPlannedQuery' });
  });

  test('every data source whose metrics scan fails is named, the other scans of the window still run', async () => {
    await withSample();
    const activities = createActivities(depsWith([DEMO_CONFIG_REPO]));
    const config = `${DEMO_CONFIG}
[metrics.first_missing]
select_expression = "COUNT(*)"
data_source = "first_missing"

[metrics.first_missing.statistics.bootstrap_mean]

[metrics.second_missing]
select_expression = "COUNT(*)"
data_source = "second_missing"

[metrics.second_missing.statistics.bootstrap_mean]

[data_sources.first_missing]
from_expression = "mozdata.telemetry.first_not_here"

[data_sources.second_missing]
from_expression = "mozdata.telemetry.second_not_here"
`.replace(
      'weekly = ["uri_count_bootstrap"',
      'weekly = ["first_missing", "second_missing", "uri_count_bootstrap"',
    );
    const target = { ...targetFor(DEMO_SLUG, config), periods: ['week' as const] };
    await activities.computeEnrollments({ target, date: '2026-03-15', recreate: false });
    const failure = await failureOf(
      activities.computeMetrics({ target, date: '2026-03-15', window: { period: 'week', windowIndex: 1 } }),
    );
    assert.equal(failure.type, 'StepsFailedError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /2 metrics scans failed/);
    assert.match(failure.message, /first_not_here[\s\S]*second_not_here/);
    const subjects = errorSubjects((failure.details?.[0] ?? {}) as Record<string, unknown>);
    assert.deepEqual(
      subjects.map((s) => s.key),
      ['data_sources.first_missing', 'data_sources.second_missing'],
    );
    // The scan of the data source that works ran although the first one had failed.
    assert.ok(
      await warehouse.tableExists({
        dataset: 'contrail_failures',
        table: metricsScanTableName(DEMO_SLUG, 'clients_daily', 'week', 1),
      }),
    );
    // The failure says so, with its time: a preview reports that scan as run, not as never run.
    const ran = (failure.details?.[0] as { queriesRun?: { table: string; elapsedMs: number }[] } | undefined)
      ?.queriesRun;
    assert.deepEqual(
      ran?.map((q) => q.table),
      ['clients_daily', 'nimbus_exposures'].map((source) =>
        metricsScanTableName(DEMO_SLUG, source, 'week', 1),
      ),
    );
    assert.ok((ran?.[0]?.elapsedMs ?? -1) >= 0);
  });

  test('a disk that is full or read-only fails the window once, at its first query, blaming no config line', async () => {
    await withSample();
    const target = { ...targetFor(DEMO_SLUG), periods: ['week' as const] };
    await createActivities(depsWith([DEMO_CONFIG_REPO])).computeEnrollments({
      target,
      date: '2026-03-15',
      recreate: false,
    });
    for (const [said, permanent] of [
      ['Read-only file system', true],
      ['No space left on device', false],
    ] as const) {
      // The warehouse's writes fail as DuckDB says it of its file system (raised by DuckDB itself).
      let scans = 0;
      const refusing = new WrappedWarehouse(
        warehouse.dialect,
        warehouse.sqlDialect,
        async (call, run) => {
          if (call.method !== 'runToTable') return run(warehouse);
          scans++;
          await warehouse.query(
            `SELECT error('IO Error: Could not write file "/data/warehouse.duckdb.wal": ${said}')`,
          );
          throw new Error('DuckDB raised no error');
        },
        async () => undefined,
      );
      const activities = createActivities({
        ...depsWith([DEMO_CONFIG_REPO]),
        warehouse: async () => refusing,
      });
      const failure = await failureOf(
        activities.computeMetrics({ target, date: '2026-03-15', window: { period: 'week', windowIndex: 1 } }),
      );
      assert.equal(failure.type, 'WarehouseUnavailableError');
      // Read-only stays so; space may be freed, so a full disk is retried (the activity's policy).
      assert.equal(failure.nonRetryable, permanent);
      assert.match(failure.message, new RegExp(`the file system said: ${said}\\)$`));
      // Not the config's fault: no metric, config file or line, and no other scan tried after it.
      assert.doesNotMatch(failure.message, /active_hours|\.toml|line \d+/);
      assert.deepEqual(errorSubjects((failure.details?.[0] ?? {}) as Record<string, unknown>), []);
      assert.equal(scans, 1);
    }
  });

  test('a preview of dates the telemetry does not reach says so, with the dates it does', async () => {
    await withSample();
    const activities = createActivities(depsWith([DEMO_CONFIG_REPO]));
    const estimate = (date: string) =>
      activities.estimatePreviewCost({
        target: targetFor('contrail-demo-pinned-tabs'),
        dates: [date],
        generatePopulation: false,
        sampleSize: 100,
        maxBytes: null,
        usdPerTib: 6.25,
      });
    const late = (await estimate('2026-11-25')).estimate.noTelemetry;
    assert.deepEqual(late?.dataSources, ['clients_daily']);
    assert.equal(late?.last, '2026-11-25');
    assert.deepEqual(late?.held, {
      first: DEMO_DATA.startDate,
      last: addDays(DEMO_DATA.startDate, DEMO_DATA.days - 1),
    });
    // Dates the sample covers: nothing to say.
    assert.equal((await estimate('2026-03-15')).estimate.noTelemetry, undefined);
  });

  test('a preview of a config that says skip = true estimates no query: none runs, a generated population neither', async () => {
    await withSample();
    const activities = createActivities(depsWith([DEMO_CONFIG_REPO]));
    const skipped = await activities.estimatePreviewCost({
      target: {
        ...targetFor(DEMO_SLUG, DEMO_CONFIG.replace('[experiment]\n', '[experiment]\nskip = true\n')),
        enrolledUntil: '2026-03-14',
      },
      dates: ['2026-03-14', '2026-03-15'],
      generatePopulation: true,
      sampleSize: 1,
      maxBytes: null,
      usdPerTib: 6.25,
    });
    // No query estimated: the preview keeps the earlier one's tables and builds no population.
    assert.deepEqual(skipped.estimate.queries, []);
    assert.equal(skipped.skip, true);
    const analysed = await activities.estimatePreviewCost({
      target: { ...targetFor(DEMO_SLUG, DEMO_CONFIG), enrolledUntil: '2026-03-14' },
      dates: ['2026-03-14', '2026-03-15'],
      generatePopulation: true,
      sampleSize: 1,
      maxBytes: null,
      usdPerTib: 6.25,
    });
    assert.ok(analysed.estimate.queries.some((q) => q.kind === 'enrollments'));
    assert.equal(analysed.skip, undefined);
  });

  test('a preview whose enrollments read a table the warehouse lacks is refused by its estimate at the config item that reads it; a metric over one is only noted', async () => {
    await withSample();
    const activities = createActivities(depsWith([DEMO_CONFIG_REPO]));
    const estimate = (config: string, generatePopulation = false) =>
      activities.estimatePreviewCost({
        target: { ...targetFor(DEMO_SLUG, config), enrolledUntil: '2026-03-14' },
        dates: ['2026-03-15'],
        generatePopulation,
        sampleSize: 100,
        maxBytes: null,
        usdPerTib: 6.25,
      });
    const enrollments = `${DEMO_CONFIG}`.replace(
      '[experiment]\n',
      `[experiment]
enrollment_query = "SELECT client_id AS analysis_id, 'control' AS branch, MIN(submission_date) AS enrollment_date, COUNT(*) AS num_enrollment_events FROM mozdata.telemetry.eventz GROUP BY ALL"
`,
    );
    // Refused as any SQL the warehouse rejects in the enrollments: at its file, key and line, with
    // the warehouse's words and what to do about a missing table.
    const refused = (await estimate(enrollments)).refusal;
    assert.equal(refused?.name, 'PreviewQueriesRejectedError');
    assert.equal(refused?.permanent, true);
    assert.match(refused?.message ?? '', /refused the preview's enrollments query/);
    assert.match(refused?.message ?? '', /\n {4}experiment\.enrollment_query \(line 6\)\n/);
    assert.match(
      refused?.message ?? '',
      /ERROR warehouse said: table mozdata\.telemetry\.eventz does not exist in the embedded warehouse.*check the table the config reads/,
    );
    // A segment's data source over a table the warehouse lacks: that data source is named, not
    // every segment of the experiment; so too on a generated population, which enrolls clients
    // from contrail's own query and then segments them with the config's.
    const segment = `${DEMO_CONFIG}
[segments.data_sources.elsewhere]
from_expression = "mozdata.telemetry.not_here"
window_start = 0
window_end = 0

[segments.elsewhere_users]
data_source = "elsewhere"
select_expression = "COUNT(*) > 0"
`.replace(
      'segments = ["us_clients", "heavy_users"]',
      'segments = ["us_clients", "heavy_users", "elsewhere_users"]',
    );
    for (const generatePopulation of [false, true]) {
      const { refusal, estimate: noted } = await estimate(segment, generatePopulation);
      assert.equal(refusal?.name, 'PreviewQueriesRejectedError', String(generatePopulation));
      const items = (refusal?.message ?? '').split('\n').filter((l) => /^ {4}\S/.test(l));
      assert.deepEqual(items, ['    segments.data_sources.elsewhere (line 35)'], refusal?.message);
      assert.match(refusal?.message ?? '', /table mozdata\.telemetry\.not_here does not exist/);
      // Each line of the estimate names the table, the remedies once, with the config item.
      const enrollmentsLine = noted.queries.find((q) => q.kind === 'enrollments');
      assert.equal(
        enrollmentsLine?.rejected,
        'warehouse query failed: table mozdata.telemetry.not_here not found',
      );
    }
    // A metric's table missing leaves the rest of the preview to run: its error is reported with the others.
    const metric = `${DEMO_CONFIG}
[metrics.elsewhere]
select_expression = "COUNT(*)"
data_source = "elsewhere"

[metrics.elsewhere.statistics.bootstrap_mean]

[data_sources.elsewhere]
from_expression = "mozdata.telemetry.not_here"
`.replace('weekly = ["uri_count_bootstrap"', 'weekly = ["elsewhere", "uri_count_bootstrap"');
    const { estimate: noted } = await estimate(metric);
    assert.ok(
      noted.queries.some((q) => q.rejected?.includes('mozdata.telemetry.not_here')),
      JSON.stringify(noted.queries),
    );
  });

  test('listEligibleExperiments: the daily-run rule, skip from a config that resolves, broken configs still listed', async () => {
    const repo = repoWith({
      'jetstream/contrail-demo-pinned-tabs.toml': '[experiment]\nskip = true\n',
      'jetstream/contrail-demo-search-bar.toml': '[experiment]\nno_such_key = 1\n',
    });
    const activities = createActivities(depsWith([repo]));
    const eligible = await activities.listEligibleExperiments({ date: '2026-03-20' });
    // The rollout and the draft never run; pinned-tabs is skipped by its config; search-bar's
    // config is broken, so it is listed and its analysis will report the error.
    assert.deepEqual(
      eligible.map((e) => [e.slug, e.status]),
      [
        [DEMO_SLUG, 'complete'],
        ['contrail-demo-search-bar', 'complete'],
      ],
    );
    const later = await activities.listEligibleExperiments({ date: '2026-06-20' });
    assert.deepEqual(
      later.map((e) => e.slug),
      [DEMO_SLUG],
      'search-bar ended 2026-03-08, more than 90 days before',
    );
  });
});
