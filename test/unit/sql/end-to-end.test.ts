import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AnalysisBasis, AnalysisSpec } from '../../../src/config/spec.js';
import { addDays } from '../../../src/dates.js';
import { metricsTableName, statisticInputsTableName } from '../../../src/sql/names.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { runPlannedQuery } from '../../../src/sql/run.js';
import type { AnalysisWindow } from '../../../src/sql/windows.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';

/**
 * Small hand-built telemetry; the enrollments, metrics and statistic-input tables contrail writes
 * must equal what this file computes from the same rows in TypeScript, for every period and both bases.
 */
const SLUG = 'e2e-exp';
const START = '2024-03-01';
const DATASET = 'contrail';

// Deterministic pseudo-random numbers (mulberry32), so failures reproduce.
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface EventRow {
  client_id: string;
  submission_date: string;
  sample_id: number;
  event_method: string;
  slug: string;
  key: string;
  branch: string;
}
interface DailyRow {
  client_id: string;
  submission_date: string;
  active_hours_sum: number;
  is_default_browser: boolean;
  exp_branch: string | null;
}
interface SearchRow {
  client_id: string;
  submission_date: string;
  sap: number;
}

const random = rng(42);
const events: EventRow[] = [];
const daily: DailyRow[] = [];
const search: SearchRow[] = [];
const BRANCHES = ['control', 'treatment'];
for (let i = 0; i < 40; i++) {
  const client = `c${String(i).padStart(2, '0')}`;
  const branch = BRANCHES[i % 2]!;
  const sampleId = (i * 7) % 100;
  // Enrollment events from a day before the start to a day after enrollment ends (both outside count).
  const enrollDay = Math.floor(random() * 6) - 1;
  events.push({
    client_id: client,
    submission_date: addDays(START, enrollDay),
    sample_id: sampleId,
    event_method: 'enroll',
    slug: SLUG,
    key: 'branch',
    branch,
  });
  if (random() < 0.3)
    events.push({
      client_id: client,
      submission_date: addDays(START, enrollDay + 1),
      sample_id: sampleId,
      event_method: 'enroll',
      slug: SLUG,
      key: 'branch',
      branch,
    });
  if (random() < 0.1)
    events.push({
      client_id: client,
      submission_date: addDays(START, enrollDay),
      sample_id: sampleId,
      event_method: 'enroll',
      slug: 'other-exp',
      key: 'branch',
      branch,
    });
  // Exposure events, some before enrollment (ignored), some after enrollment ends (ignored by the date range).
  for (let k = 0; k < 3; k++) {
    if (random() < 0.4) {
      events.push({
        client_id: client,
        submission_date: addDays(START, Math.floor(random() * 7) - 1),
        sample_id: sampleId,
        event_method: random() < 0.5 ? 'expose' : 'exposure',
        slug: SLUG,
        key: 'branchSlug',
        branch,
      });
    }
  }
  for (let day = -30; day < 25; day++) {
    const date = addDays(START, day);
    if (random() < 0.6) {
      daily.push({
        client_id: client,
        submission_date: date,
        active_hours_sum: Math.round(random() * 20) / 4,
        is_default_browser: random() < 0.3,
        exp_branch: day >= enrollDay && random() < 0.9 ? (random() < 0.05 ? 'wrong' : branch) : null,
      });
    }
    if (random() < 0.3)
      search.push({ client_id: client, submission_date: date, sap: Math.floor(random() * 4) });
  }
}

const provenance = (key: string) => ({ file: 'test.toml', key, line: null });
const stats = [{ name: 'bootstrap_mean' }];
const covariate = [
  { name: 'linear_model_mean', params: { covariate_adjustment: { period: 'preenrollment_week' } } },
];
const metric = (name: string, dataSource: string, selectExpression: string, statistics: unknown[]) => ({
  name,
  dataSource,
  selectExpression,
  statistics,
  provenance: provenance(`metrics.${name}.select_expression`),
});
const activeHours = metric('active_hours', 'clients_daily', 'COALESCE(SUM(active_hours_sum), 0)', [
  ...stats,
  ...covariate,
]);
const daysOfUse = metric('days_of_use', 'clients_daily', 'COUNT(submission_date)', stats);
const searchCount = metric('search_count', 'search', 'COALESCE(SUM(sap), 0)', [{ name: 'deciles' }]);
const spec = AnalysisSpec.parse({
  experiment: {
    slug: SLUG,
    appName: 'firefox_desktop',
    appId: 'firefox-desktop',
    status: 'complete',
    branches: BRANCHES.map((slug) => ({ slug })),
    startDate: START,
    endDate: '2024-03-20',
  },
  enrollmentPeriod: 3,
  enrollmentsQueryType: 'normandy',
  segments: [
    {
      name: 'default_browser',
      selectExpression: 'COALESCE(LOGICAL_OR(is_default_browser), FALSE)',
      dataSource: 'daily_segment',
      provenance: provenance('segments.default_browser'),
    },
  ],
  segmentDataSources: {
    daily_segment: {
      name: 'daily_segment',
      fromExpression: 'mozdata.telemetry.clients_daily',
      windowStart: 0,
      windowEnd: 0,
      provenance: provenance('segments.data_sources.daily_segment'),
    },
  },
  dataSources: {
    clients_daily: {
      name: 'clients_daily',
      fromExpression: 'mozdata.telemetry.clients_daily',
      experimentsColumnType: 'simple',
      provenance: provenance('data_sources.clients_daily'),
    },
    search: {
      name: 'search',
      fromExpression: '(SELECT * FROM `moz-fx-data-shared-prod.search.daily`)',
      experimentsColumnType: 'none',
      provenance: provenance('data_sources.search'),
    },
  },
  metrics: {
    day: [activeHours, searchCount],
    week: [activeHours, daysOfUse, searchCount],
    days28: [],
    overall: [activeHours, daysOfUse, searchCount],
    preenrollment_week: [activeHours, daysOfUse],
    preenrollment_days28: [],
  },
});

// ---- The same analysis in TypeScript ----
const FIRST = START;
const LAST = addDays(START, 3);
interface Enrollment {
  analysis_id: string;
  branch: string;
  enrollment_date: string;
  num_enrollment_events: number;
  default_browser: boolean;
  exposure_date: string | null;
  num_exposure_events: number | null;
}

function expectedEnrollments(): Enrollment[] {
  const byKey = new Map<string, Enrollment>();
  for (const e of events) {
    if (
      e.event_method !== 'enroll' ||
      e.slug !== SLUG ||
      e.submission_date < FIRST ||
      e.submission_date > LAST
    )
      continue;
    const key = `${e.client_id}|${e.branch}`;
    const row = byKey.get(key) ?? {
      analysis_id: e.client_id,
      branch: e.branch,
      enrollment_date: e.submission_date,
      num_enrollment_events: 0,
      default_browser: false,
      exposure_date: null,
      num_exposure_events: null,
    };
    row.num_enrollment_events++;
    if (e.submission_date < row.enrollment_date) row.enrollment_date = e.submission_date;
    byKey.set(key, row);
  }
  for (const row of byKey.values()) {
    row.default_browser = daily.some(
      (d) =>
        d.client_id === row.analysis_id && d.submission_date === row.enrollment_date && d.is_default_browser,
    );
    const exposures = events.filter(
      (e) =>
        e.client_id === row.analysis_id &&
        (e.event_method === 'expose' || e.event_method === 'exposure') &&
        e.slug === SLUG &&
        e.branch === row.branch &&
        e.submission_date >= FIRST &&
        e.submission_date <= LAST &&
        e.submission_date >= row.enrollment_date,
    );
    if (exposures.length > 0) {
      row.exposure_date = exposures.map((e) => e.submission_date).sort()[0]!;
      row.num_exposure_events = exposures.length;
    }
  }
  return [...byKey.values()].sort((a, b) => a.analysis_id.localeCompare(b.analysis_id));
}

type MetricRow = Record<string, string | number | boolean | null>;
function expectedMetrics(
  enrollments: Enrollment[],
  window: AnalysisWindow,
  basis: AnalysisBasis,
  ds: 'clients_daily' | 'search',
): MetricRow[] {
  const first = addDays(FIRST, window.startOffset);
  const last = addDays(LAST, window.endOffset);
  return enrollments.map((e) => {
    const anchor = basis === 'exposures' ? e.exposure_date : e.enrollment_date;
    const inWindow = (r: { client_id: string; submission_date: string }) =>
      anchor !== null &&
      r.client_id === e.analysis_id &&
      r.submission_date >= first &&
      r.submission_date <= last &&
      r.submission_date >= addDays(anchor, window.startOffset) &&
      r.submission_date <= addDays(anchor, window.endOffset);
    const row: MetricRow = {
      ...e,
      analysis_window_start: window.startOffset,
      analysis_window_end: window.endOffset,
    };
    if (ds === 'search') {
      const rows = search.filter(inWindow);
      row.search_count = rows.reduce((s, r) => s + r.sap, 0);
      return row;
    }
    const rows = daily.filter(
      (r) => inWindow(r) && (r.submission_date !== e.enrollment_date || r.exp_branch !== null),
    );
    row.active_hours = rows.reduce((s, r) => s + r.active_hours_sum, 0);
    if (window.period !== 'day') row.days_of_use = rows.length;
    row.clients_daily_has_contradictory_branch = rows.some(
      (r) => r.exp_branch !== null && r.exp_branch !== e.branch,
    );
    // A client without rows still meets the LEFT JOIN's all-NULL row, whose experiments map is NULL (as in jetstream).
    row.clients_daily_has_non_enrolled_data = rows.length === 0 || rows.some((r) => r.exp_branch === null);
    return row;
  });
}

type Bin = string;
function binsOf(
  rows: MetricRow[],
  pre: MetricRow[] | null,
  metricName: string,
  basis: AnalysisBasis,
  covariateOf: string | null,
): Map<Bin, number> {
  const out = new Map<Bin, number>();
  for (const r of rows) {
    if (basis === 'exposures' && r.exposure_date === null) continue;
    const x =
      covariateOf === null
        ? null
        : (pre!.find((p) => p.analysis_id === r.analysis_id && p.branch === r.branch)?.[covariateOf] ?? null);
    for (const segment of ['all', 'default_browser']) {
      if (segment !== 'all' && !r[segment]) continue;
      const key = JSON.stringify([
        metricName,
        covariateOf === null ? 'values' : 'covariate',
        segment,
        r.branch,
        Number(r[metricName]),
        x === null ? null : Number(x),
      ]);
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

// ---- Warehouse ----
let warehouse: Warehouse;
const sqlString = (s: string | null) => (s === null ? 'NULL' : `'${s}'`);

before(async () => {
  warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
  await warehouse.execute(`CREATE SCHEMA mozdata.telemetry; CREATE SCHEMA mozdata.search;
    CREATE TABLE mozdata.telemetry.events (client_id VARCHAR, submission_date DATE, sample_id INTEGER, event_category VARCHAR, event_method VARCHAR, event_string_value VARCHAR, event_map_values STRUCT(key VARCHAR, value VARCHAR)[]);
    CREATE TABLE mozdata.telemetry.clients_daily (client_id VARCHAR, submission_date DATE, active_hours_sum DOUBLE, is_default_browser BOOLEAN, experiments STRUCT(key VARCHAR, value VARCHAR)[]);
    CREATE TABLE mozdata.search.daily (client_id VARCHAR, submission_date DATE, sap BIGINT);`);
  await warehouse.execute(
    `INSERT INTO mozdata.telemetry.events VALUES ${events.map((e) => `('${e.client_id}', DATE '${e.submission_date}', ${e.sample_id}, 'normandy', '${e.event_method}', '${e.slug}', [{'key': '${e.key}', 'value': '${e.branch}'}])`).join(',')}`,
  );
  await warehouse.execute(
    `INSERT INTO mozdata.telemetry.clients_daily VALUES ${daily.map((d) => `('${d.client_id}', DATE '${d.submission_date}', ${d.active_hours_sum}, ${d.is_default_browser}, ${d.exp_branch === null ? "[{'key': 'other', 'value': 'x'}]" : `[{'key': '${SLUG}', 'value': ${sqlString(d.exp_branch)}}]`})`).join(',')}`,
  );
  await warehouse.execute(
    `INSERT INTO mozdata.search.daily VALUES ${search.map((s) => `('${s.client_id}', DATE '${s.submission_date}', ${s.sap})`).join(',')}`,
  );
  await warehouse.createDataset(DATASET);
});

after(async () => {
  await warehouse.close();
});

function sortRows(rows: MetricRow[]): MetricRow[] {
  return [...rows].sort((a, b) => String(a.analysis_id).localeCompare(String(b.analysis_id)));
}

describe('enrollments, metrics and statistic inputs equal an independent computation', () => {
  const enrollments = expectedEnrollments();
  const metricsByWindow = new Map<string, MetricRow[]>();

  it('writes the enrollments table', async () => {
    const plan = planAnalysis(spec, LAST, { dataset: DATASET, dialect: duckdbDialect() });
    assert.ok(plan.enrollments);
    await runPlannedQuery(warehouse, plan.enrollments);
    const rows = await warehouse.query(`SELECT * FROM contrail.enrollments_e2e_exp ORDER BY analysis_id`);
    assert.ok(
      enrollments.length > 20 &&
        enrollments.some((e) => e.exposure_date !== null) &&
        enrollments.some((e) => e.default_browser),
    );
    assert.deepEqual(rows, enrollments);
  });

  // Pre-enrollment first: the covariate joins read its table.
  for (const [date, periods] of [
    ['2024-03-05', ['day', 'preenrollment_week']],
    ['2024-03-10', ['day', 'week']],
    ['2024-03-20', ['day', 'overall']],
  ] as const) {
    it(`on ${date}: ${periods.join(', ')} for both bases`, async () => {
      const plan = planAnalysis(spec, date, { dataset: DATASET, dialect: duckdbDialect() });
      assert.deepEqual(new Set(plan.windows.map((w) => w.window.period)), new Set(periods));
      for (const w of plan.windows) {
        for (const q of [...w.metricsScans, ...w.metrics]) await runPlannedQuery(warehouse, q);
        for (const basis of ['enrollments', 'exposures'] as const) {
          for (const ds of ['clients_daily', 'search'] as const) {
            if (ds === 'search' && w.window.period === 'preenrollment_week') continue;
            const table = metricsTableName(SLUG, basis, ds, w.window.period, w.window.windowIndex);
            const expected = expectedMetrics(enrollments, w.window, basis, ds);
            const actual = await warehouse.query(`SELECT * FROM contrail.${table}`);
            assert.deepEqual(sortRows(actual as MetricRow[]), sortRows(expected), table);
            metricsByWindow.set(table, expected);
          }
        }
        for (const q of w.statisticInputs) {
          const result = await runPlannedQuery(warehouse, q);
          assert.equal(result.usedFallback, false);
        }
        for (const basis of ['enrollments', 'exposures'] as const) {
          for (const ds of ['clients_daily', 'search'] as const) {
            if (ds === 'search' && w.window.period === 'preenrollment_week') continue;
            const rows = metricsByWindow.get(
              metricsTableName(SLUG, basis, ds, w.window.period, w.window.windowIndex),
            )!;
            const pre =
              metricsByWindow.get(
                metricsTableName(SLUG, 'enrollments', 'clients_daily', 'preenrollment_week', 1),
              ) ?? null;
            const expected = new Map<Bin, number>();
            const add = (m: Map<Bin, number>) => {
              for (const [k, v] of m) expected.set(k, v);
            };
            const names =
              ds === 'search'
                ? ['search_count']
                : w.window.period === 'day'
                  ? ['active_hours']
                  : ['active_hours', 'days_of_use'];
            for (const name of names) {
              add(binsOf(rows, null, name, basis, null));
              if (name === 'active_hours' && !w.window.period.startsWith('pre'))
                add(binsOf(rows, pre, name, basis, 'active_hours'));
            }
            const table = statisticInputsTableName(SLUG, basis, ds, w.window.period, w.window.windowIndex);
            const actualRows = await warehouse.query<{
              metric: string;
              kind: string;
              segment: string;
              branch: string;
              y: number | null;
              x: number | null;
              count: number;
            }>(`SELECT * FROM contrail.${table}`);
            const actual = new Map(
              actualRows.map((r) => [
                JSON.stringify([r.metric, r.kind, r.segment, r.branch, r.y, r.x]),
                r.count,
              ]),
            );
            assert.deepEqual(actual, expected, table);
          }
        }
      }
    });
  }

  it('falls back to unadjusted inputs when the covariate table is missing', async () => {
    const plan = planAnalysis(spec, '2024-03-10', {
      dataset: DATASET,
      dialect: duckdbDialect(),
      periods: ['week'],
    });
    const q = plan.statisticInputs.find(
      (x) => x.dataSource === 'clients_daily' && x.analysisBasis === 'enrollments',
    );
    assert.ok(q?.fallback);
    await warehouse.dropTable({
      dataset: DATASET,
      table: metricsTableName(SLUG, 'enrollments', 'clients_daily', 'preenrollment_week', 1),
    });
    const result = await runPlannedQuery(warehouse, q);
    assert.equal(result.usedFallback, true);
    const kinds = await warehouse.query(`SELECT DISTINCT kind FROM contrail.${q.destination.table}`);
    assert.deepEqual(kinds, [{ kind: 'values' }]);
  });
});
