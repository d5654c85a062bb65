import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import type { AnalysisPeriod } from '../../../src/config/periods.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisBasis, AnalysisSpec, MetricSpec, WindowBound } from '../../../src/config/spec.js';
import { addDays } from '../../../src/dates.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { enrollmentsTableName, metricsTableName, statisticInputsTableName } from '../../../src/sql/names.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { runPlannedQuery } from '../../../src/sql/run.js';
import type { AnalysisWindow } from '../../../src/sql/windows.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE, sampleWarehouse } from '../../helpers/sample.js';

/**
 * The SQL of an analysis against jetstream's rules, on the demo experiment: a small synthetic
 * sample (`generateSample`), the demo's spec resolved from the demo config repo and experiments
 * file, every period it configures planned and run for both bases; the enrollments, metrics and
 * statistic-input tables must equal what this file computes from the generated raw rows in
 * TypeScript (jetstream's rules, written out again here). The demo has an
 * `[experiment.exposure_signal]`, so exposures come from it.
 */
const DATASET = 'contrail';
// After the demo's end date, so it is complete and `overall` is due.
const NOW = new Date('2026-06-01T00:00:00Z');
// The demo's exposure signal, a row condition as in jetstream (mozanalysis puts it in a WHERE);
// the recomputation below implements exactly this condition.
const SIGNAL_CONDITION = `experiment = '${DEMO_SLUG}'`;
// Dates on which the demo's periods are due: pre-enrollment + day 2; day 7 + week 1; day 21 + week 3 + overall.
const DATES = ['2026-03-10', '2026-03-15', '2026-03-29'];

// ---- raw rows, read back from the generated tables ----
type EventRow = {
  client_id: string;
  submission_date: string;
  sample_id: number;
  event_category: string;
  event_method: string;
  event_string_value: string | null;
  map: string;
};
type DailyRow = {
  client_id: string;
  submission_date: string;
  country: string;
  is_default_browser: boolean;
  active_hours_sum: number;
  uri: number;
  search_count_all: number;
  ad_clicks_count_all: number;
  experiments: string;
};
type StreamRow = {
  client_id: string | null;
  submission_date: string;
  event_category: string;
  event_name: string;
  extra: string;
};

type Value = string | number | boolean | null;
type Row = Record<string, Value>;

let warehouse: Warehouse;
let spec: AnalysisSpec;
let events: EventRow[];
let dailyByClient: Map<string, (DailyRow & { rowBranch: string | null })[]>;
let exposuresByClient: Map<string, { submission_date: string; experiment: string | null }[]>;

before(async () => {
  warehouse = await sampleWarehouse();
  await warehouse.createDataset(DATASET);
  const experiment = await localExperimentSource(DEMO_EXPERIMENTS_FILE, { now: () => NOW }).get(DEMO_SLUG);
  assert.ok(experiment);
  spec = resolveAnalysisSpec(await loadConfigCollection({ repos: [DEMO_CONFIG_REPO] }), experiment).spec;
  assert.equal(spec.exposureSignal?.selectExpression, SIGNAL_CONDITION);

  events = await warehouse.query<EventRow>(
    `SELECT client_id, CAST(submission_date AS VARCHAR) AS submission_date, sample_id, event_category, event_method,
       event_string_value, CAST(to_json(event_map_values) AS VARCHAR) AS map FROM mozdata.telemetry.events`,
  );
  const daily = await warehouse.query<DailyRow>(
    `SELECT client_id, CAST(submission_date AS VARCHAR) AS submission_date, country, is_default_browser, active_hours_sum,
       scalar_parent_browser_engagement_total_uri_count_sum AS uri, search_count_all, ad_clicks_count_all,
       CAST(to_json(experiments) AS VARCHAR) AS experiments FROM mozdata.telemetry.clients_daily`,
  );
  dailyByClient = new Map();
  for (const r of daily) {
    const entry = (JSON.parse(r.experiments) as { key: string; value: string }[]).find(
      (e) => e.key === DEMO_SLUG,
    );
    const list = dailyByClient.get(r.client_id) ?? [];
    list.push({ ...r, rowBranch: entry?.value ?? null });
    dailyByClient.set(r.client_id, list);
  }
  const stream = await warehouse.query<StreamRow>(
    `SELECT legacy_telemetry_client_id AS client_id, CAST(CAST(submission_timestamp AS DATE) AS VARCHAR) AS submission_date,
       event_category, event_name, CAST(event_extra AS VARCHAR) AS extra FROM mozdata.firefox_desktop.events_stream`,
  );
  exposuresByClient = new Map();
  for (const r of stream) {
    if (r.client_id === null || r.event_category !== 'nimbus_events' || r.event_name !== 'exposure') continue;
    const list = exposuresByClient.get(r.client_id) ?? [];
    list.push({
      submission_date: r.submission_date,
      experiment: (JSON.parse(r.extra) as { experiment?: string }).experiment ?? null,
    });
    exposuresByClient.set(r.client_id, list);
  }
});

after(async () => {
  await warehouse.close();
});

// ---- the analysis, recomputed ----
const between = (d: string, first: string, last: string) => d >= first && d <= last;

function demoDates(): { start: string; last: string } {
  const start = spec.experiment.startDate!;
  return { start, last: addDays(start, spec.enrollmentPeriod) };
}

/** jetstream's exposure-signal date range for a window (bounds in days after the first enrollment date). */
function signalRange(window: { startOffset: number; endOffset: number }): { first: string; last: string } {
  const { start, last } = demoDates();
  const days = (b: WindowBound | null): number => {
    if (b === null) return 0;
    if (typeof b === 'number') return b;
    return {
      enrollment_start: 0,
      enrollment_end: spec.enrollmentPeriod,
      analysis_window_start: window.startOffset + spec.enrollmentPeriod,
      analysis_window_end: window.endOffset + spec.enrollmentPeriod,
    }[b];
  };
  const signal = spec.exposureSignal!;
  const end = days(signal.windowEnd);
  return { first: addDays(start, days(signal.windowStart)), last: addDays(end === 0 ? last : start, end) };
}

/** First signal day on or after enrollment and the number of signal days (0 when none), in the window's signal range. */
function signalExposure(client: string, enrollmentDate: string, range: { first: string; last: string }) {
  const dates = (exposuresByClient.get(client) ?? [])
    .filter((x) => x.experiment === DEMO_SLUG && between(x.submission_date, range.first, range.last))
    .map((x) => x.submission_date)
    .filter((d) => d >= enrollmentDate)
    .sort();
  return { exposure_date: dates[0] ?? null, num_exposure_events: dates.length };
}

function expectedEnrollments(): Row[] {
  const { start, last } = demoDates();
  const range = signalRange({ startOffset: 0, endOffset: 0 });
  const byKey = new Map<string, Row>();
  for (const e of events) {
    if (e.event_category !== 'normandy' || e.event_method !== 'enroll' || e.event_string_value !== DEMO_SLUG)
      continue;
    if (!between(e.submission_date, start, last)) continue;
    const branch = (JSON.parse(e.map) as { key: string; value: string }[]).find(
      (m) => m.key === 'branch',
    )!.value;
    const key = `${e.client_id}|${branch}`;
    const row = byKey.get(key) ?? {
      analysis_id: e.client_id,
      branch,
      enrollment_date: e.submission_date,
      num_enrollment_events: 0,
    };
    row.num_enrollment_events = Number(row.num_enrollment_events) + 1;
    if (e.submission_date < String(row.enrollment_date)) row.enrollment_date = e.submission_date;
    byKey.set(key, row);
  }
  return [...byKey.values()].map((row) => {
    const id = String(row.analysis_id);
    const enrolled = String(row.enrollment_date);
    const rows = dailyByClient.get(id) ?? [];
    const inSegmentWindow = (from: number, to: number) => {
      const [first, lastDay] = [addDays(start, from), addDays(last, to)];
      const [fromEnrolled, toEnrolled] = [addDays(enrolled, from), addDays(enrolled, to)];
      return rows.filter(
        (r) =>
          between(r.submission_date, first, lastDay) && between(r.submission_date, fromEnrolled, toEnrolled),
      );
    };
    // Hours are multiples of 1/720 (the generator's grain): sum them exactly.
    const weekBeforeHours = inSegmentWindow(-7, -1).reduce(
      (s, r) => s + Math.round(r.active_hours_sum * 720),
      0,
    );
    const exposure = signalExposure(id, enrolled, range);
    return {
      ...row,
      us_clients: inSegmentWindow(0, 0).some((r) => r.country === 'US'),
      heavy_users: weekBeforeHours >= 5 * 720,
      exposure_date: exposure.exposure_date,
      num_exposure_events: exposure.num_exposure_events,
    };
  });
}

/** The demo's metrics, as the config repo defines them, over one client's rows of the window. */
const METRICS: Record<string, (rows: (DailyRow & { rowBranch: string | null })[]) => Value> = {
  active_hours: (rows) => rows.reduce((s, r) => s + r.active_hours_sum, 0),
  uri_count: (rows) => rows.reduce((s, r) => s + r.uri, 0),
  uri_count_bootstrap: (rows) => rows.reduce((s, r) => s + r.uri, 0),
  search_count: (rows) => rows.reduce((s, r) => s + r.search_count_all, 0),
  ad_clicks: (rows) => rows.reduce((s, r) => s + r.ad_clicks_count_all, 0),
  days_of_use: (rows) => rows.length,
  is_default_browser: (rows) => rows.some((r) => r.is_default_browser),
  searched: (rows) => rows.some((r) => r.search_count_all > 0),
  search_count_per_active_day: (rows) =>
    rows.length === 0 ? null : rows.reduce((s, r) => s + r.search_count_all, 0) / rows.length,
};

function metricsOf(period: AnalysisPeriod, basis: AnalysisBasis, dataSource: string): MetricSpec[] {
  return spec.metrics[period].filter(
    (m) => m.dataSource === dataSource && m.selectExpression !== null && m.analysisBases.includes(basis),
  );
}

function expectedMetrics(
  enrollments: Row[],
  window: AnalysisWindow,
  basis: AnalysisBasis,
  dataSource: string,
): Row[] {
  const { start, last } = demoDates();
  const first = addDays(start, window.startOffset);
  const lastData = addDays(last, window.endOffset);
  const metrics = metricsOf(window.period, basis, dataSource);
  const range = signalRange(window);
  return enrollments.map((e) => {
    const id = String(e.analysis_id);
    const enrolled = String(e.enrollment_date);
    // With an exposure signal both bases measure from enrollment; the exposures basis takes its
    // exposure from the signal over this window (clients without one keep NULLs).
    const signal = signalExposure(id, enrolled, range);
    const exposure =
      basis === 'enrollments'
        ? { exposure_date: e.exposure_date ?? null, num_exposure_events: e.num_exposure_events ?? null }
        : signal.num_exposure_events > 0
          ? signal
          : { exposure_date: null, num_exposure_events: null };
    const [fromEnrolled, toEnrolled] = [
      addDays(enrolled, window.startOffset),
      addDays(enrolled, window.endOffset),
    ];
    const inWindow = (d: string) => between(d, first, lastData) && between(d, fromEnrolled, toEnrolled);
    const row: Row = {
      ...e,
      analysis_window_start: window.startOffset,
      analysis_window_end: window.endOffset,
      ...exposure,
    };
    if (dataSource === 'nimbus_exposures') {
      const n = (exposuresByClient.get(id) ?? []).filter((x) => inWindow(x.submission_date)).length;
      // COUNT(*) over the LEFT JOIN: a client without rows still has its one all-NULL row.
      for (const m of metrics) row[m.name] = Math.max(n, 1);
      return row;
    }
    // Rows of the enrollment day count only when they already carry the experiment.
    const rows = (dailyByClient.get(id) ?? []).filter(
      (r) => inWindow(r.submission_date) && (r.submission_date !== enrolled || r.rowBranch !== null),
    );
    for (const m of metrics) {
      const compute = METRICS[m.name];
      assert.ok(compute, `no TypeScript definition of demo metric ${m.name}`);
      row[m.name] = compute(rows);
    }
    row.clients_daily_has_contradictory_branch = rows.some(
      (r) => r.rowBranch !== null && r.rowBranch !== e.branch,
    );
    row.clients_daily_has_non_enrolled_data = rows.length === 0 || rows.some((r) => r.rowBranch === null);
    return row;
  });
}

const PREENROLLMENT: AnalysisPeriod[] = ['preenrollment_week', 'preenrollment_days28'];

/** Value histograms of one metrics table: [metric, kind, covariate_period, segment, branch, y, x] → count. */
function expectedBins(
  rows: Row[],
  window: AnalysisWindow,
  basis: AnalysisBasis,
  dataSource: string,
  covariates: Map<string, Map<string, Row>>,
): Map<string, number> {
  const bins = new Map<string, number>();
  const inputs = new Map<string, { metric: string; covariate: AnalysisPeriod | null }>();
  for (const m of metricsOf(window.period, basis, dataSource)) {
    for (const s of m.statistics) {
      const adjustment = s.params.covariate_adjustment as { period?: AnalysisPeriod } | undefined;
      const period = adjustment?.period ?? null;
      const adjusted =
        period !== null &&
        !PREENROLLMENT.includes(window.period) &&
        spec.metrics[period].some((p) => p.name === m.name && p.analysisBases.includes('enrollments'));
      const covariate = adjusted ? period : null;
      inputs.set(`${m.name}|${covariate}`, { metric: m.name, covariate });
    }
  }
  const number = (v: Value | undefined) => (v === null || v === undefined ? null : round(Number(v)));
  for (const { metric, covariate } of inputs.values()) {
    const pre = covariate === null ? null : covariates.get(covariate)!;
    for (const r of rows) {
      if (basis === 'exposures' && r.exposure_date === null) continue;
      const x = pre === null ? null : number(pre.get(`${r.analysis_id}|${r.branch}`)?.[metric]);
      for (const segment of ['all', ...spec.segments.map((s) => s.name)]) {
        if (segment !== 'all' && r[segment] !== true) continue;
        const key = JSON.stringify([
          metric,
          covariate === null ? 'values' : 'covariate',
          covariate,
          segment,
          r.branch,
          number(r[metric]),
          x,
        ]);
        bins.set(key, (bins.get(key) ?? 0) + 1);
      }
    }
  }
  return bins;
}

// Sums of doubles differ in the last bits with summation order; 9 significant digits are exact here.
const round = (v: number) => (Number.isInteger(v) ? v : Number(v.toPrecision(9)));
/** Rows with their numbers rounded, ordered by client and branch (a plain string order: both sides sort alike). */
function normalize(rows: Row[]): Row[] {
  return rows
    .map((r) => ({
      key: `${r.analysis_id}|${r.branch}`,
      row: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ row }) => row);
}

describe('demo experiment on a generated sample equals an independent computation', () => {
  let enrollments: Row[];
  const covariates = new Map<string, Map<string, Row>>();

  it('enrollments: branch, dates, segments and signal exposure per client', async () => {
    const plan = planAnalysis(spec, DATES[0]!, { dataset: DATASET, dialect: duckdbDialect() });
    assert.ok(plan.enrollments);
    await runPlannedQuery(warehouse, plan.enrollments);
    enrollments = expectedEnrollments();
    // The sample exercises what matters: several hundred clients, segments and exposures both ways.
    assert.ok(enrollments.length > 500, `${enrollments.length} enrolled`);
    for (const column of ['us_clients', 'heavy_users']) {
      assert.ok(
        enrollments.some((e) => e[column] === true) && enrollments.some((e) => e[column] === false),
        column,
      );
    }
    assert.ok(
      enrollments.some((e) => e.exposure_date !== null) && enrollments.some((e) => e.exposure_date === null),
    );
    const actual = await warehouse.query<Row>(`SELECT * FROM ${DATASET}.${enrollmentsTableName(DEMO_SLUG)}`);
    assert.deepEqual(normalize(actual), normalize(enrollments));
  });

  const seen = new Set<AnalysisPeriod>();
  for (const date of DATES) {
    it(`on ${date}: metrics and statistic inputs of every due period, both bases`, async () => {
      const plan = planAnalysis(spec, date, { dataset: DATASET, dialect: duckdbDialect() });
      assert.ok(plan.windows.length >= 2);
      for (const w of plan.windows) {
        seen.add(w.window.period);
        for (const q of [...w.metricsScans, ...w.metrics]) await runPlannedQuery(warehouse, q);
        for (const q of w.statisticInputs)
          assert.equal((await runPlannedQuery(warehouse, q)).usedFallback, false);
        const tables = w.metrics.map((q) => ({ basis: q.analysisBasis!, dataSource: q.dataSource! }));
        const configured = (['enrollments', 'exposures'] as const).flatMap((b) =>
          ['clients_daily', 'nimbus_exposures']
            .filter((ds) => metricsOf(w.window.period, b, ds).length > 0)
            .map((ds) => `${b}:${ds}`),
        );
        assert.deepEqual(tables.map((t) => `${t.basis}:${t.dataSource}`).sort(), configured.sort());
        for (const { basis, dataSource } of tables) {
          const table = metricsTableName(DEMO_SLUG, basis, dataSource, w.window.period, w.window.windowIndex);
          const expected = expectedMetrics(enrollments, w.window, basis, dataSource);
          const actual = await warehouse.query<Row>(`SELECT * FROM ${DATASET}.${table}`);
          assert.deepEqual(normalize(actual), normalize(expected), table);
          if (PREENROLLMENT.includes(w.window.period) && basis === 'enrollments')
            covariates.set(
              w.window.period,
              new Map(expected.map((r) => [`${r.analysis_id}|${r.branch}`, r])),
            );

          const inputs = statisticInputsTableName(
            DEMO_SLUG,
            basis,
            dataSource,
            w.window.period,
            w.window.windowIndex,
          );
          const binRows = await warehouse.query<Row & { count: number }>(
            `SELECT * FROM ${DATASET}.${inputs}`,
          );
          // Bins merge after rounding: a value summed in two orders can differ in its last bits.
          const actualBins = new Map<string, number>();
          for (const r of binRows) {
            const key = JSON.stringify([
              r.metric,
              r.kind,
              r.covariate_period,
              r.segment,
              r.branch,
              r.y === null ? null : round(Number(r.y)),
              r.x === null ? null : round(Number(r.x)),
            ]);
            actualBins.set(key, (actualBins.get(key) ?? 0) + Number(r.count));
          }
          assert.deepEqual(
            actualBins,
            expectedBins(expected, w.window, basis, dataSource, covariates),
            inputs,
          );
        }
      }
    });
  }

  it('covered every period the demo configures', () => {
    const configured = (Object.keys(spec.metrics) as AnalysisPeriod[]).filter(
      (p) => spec.metrics[p].length > 0,
    );
    assert.deepEqual([...seen].sort(), configured.sort());
  });
});
