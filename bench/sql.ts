/**
 * SQL benchmark (issue 5): 1,000,000 clients × 28 days of synthetic telemetry, 20 metrics over
 * 3 data sources, periods day/week/overall, both analysis bases. Prints the time of the metrics
 * queries plus the statistic-input queries (target ≤ 60 s on the 2-core machine), the scans per
 * data source from EXPLAIN, the ratio to a bare scan of the same columns, and one statistic-input
 * query per metrics table against one per metric.
 * Run: node --import tsx bench/sql.ts [clients]
 *
 * The data is generated here in SQL (deterministic hashes of client and day) with the shape of
 * the sample generator's tables, so the bench does not depend on its speed.
 */
import { AnalysisSpec, type MetricSpec } from '../src/config/spec.js';
import { planAnalysis } from '../src/sql/plan/analysis.js';
import type { PlannedQuery } from '../src/sql/plan/types.js';
import { countTableScans, explainJsonSql } from '../src/sql/render/duckdb-explain.js';
import { runPlannedQuery } from '../src/sql/run.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb.js';

const CLIENTS = Number(process.argv[2] ?? 1_000_000);
const DAYS = 28;
const START = '2024-01-01';
const SLUG = 'bench-exp';

const warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
async function timed<T>(label: string, job: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await job();
  const ms = performance.now() - t0;
  if (label) console.log(`${label.padEnd(64)} ${seconds(ms)}`);
  return [result, ms];
}

// u(k): a deterministic uniform in [0, 1) per client, day and salt.
const u = (salt: number) => `(hash(c.i, d.d, ${salt}) % 1000000) / 1000000.0`;
await timed(`generate ${CLIENTS.toLocaleString()} clients × ${DAYS} days`, async () => {
  await warehouse.execute(`
    CREATE SCHEMA mozdata.telemetry; CREATE SCHEMA mozdata.search;
    CREATE TABLE mozdata.telemetry.clients_daily AS
      SELECT 'c' || c.i AS client_id, DATE '${START}' + CAST(d.d AS INTEGER) AS submission_date,
        CAST(floor(${u(1)} * 4) AS BIGINT) + 1 AS pings_aggregated_by_this_row,
        round(${u(2)} * 8, 2) AS active_hours_sum,
        CAST(floor(${u(3)} * 300) AS BIGINT) AS uri_count,
        CAST(floor(${u(4)} * 40) AS BIGINT) AS tab_count,
        ${u(5)} < 0.6 AS is_default_browser,
        CAST(floor(${u(6)} * 12) AS BIGINT) AS bookmarks,
        [{'key': '${SLUG}', 'value': CASE WHEN c.i % 2 = 0 THEN 'control' ELSE 'treatment' END}] AS experiments
      FROM range(${CLIENTS}) c(i), range(${DAYS}) d(d)
      WHERE ${u(0)} < 0.7
      ORDER BY submission_date;
    CREATE TABLE mozdata.search.search_daily AS
      SELECT 'c' || c.i AS client_id, DATE '${START}' + CAST(d.d AS INTEGER) AS submission_date,
        CAST(floor(${u(11)} * 10) AS BIGINT) AS sap, CAST(floor(${u(12)} * 3) AS BIGINT) AS ad_click,
        CAST(floor(${u(13)} * 5) AS BIGINT) AS organic, CAST(floor(${u(14)} * 4) AS BIGINT) AS tagged_sap
      FROM range(${CLIENTS}) c(i), range(${DAYS}) d(d)
      WHERE ${u(10)} < 0.3
      ORDER BY submission_date;
    CREATE TABLE mozdata.telemetry.active_users AS
      SELECT 'c' || c.i AS client_id, DATE '${START}' + CAST(d.d AS INTEGER) AS submission_date,
        ${u(21)} < 0.8 AS is_dau, ${u(22)} < 0.5 AS is_wau, CAST(floor(${u(23)} * 60) AS BIGINT) AS minutes
      FROM range(${CLIENTS}) c(i), range(${DAYS}) d(d)
      WHERE ${u(20)} < 0.75
      ORDER BY submission_date;
    CREATE TABLE mozdata.telemetry.events AS
      SELECT 'c' || c.i AS client_id, DATE '${START}' + CAST(c.i % 8 AS INTEGER) AS submission_date, CAST(c.i % 100 AS INTEGER) AS sample_id,
        'normandy' AS event_category, 'enroll' AS event_method, '${SLUG}' AS event_string_value,
        [{'key': 'branch', 'value': CASE WHEN c.i % 2 = 0 THEN 'control' ELSE 'treatment' END}] AS event_map_values
      FROM range(${CLIENTS}) c(i)
      UNION ALL
      SELECT 'c' || c.i, DATE '${START}' + CAST(c.i % 8 AS INTEGER) + CAST(c.i % 3 AS INTEGER), CAST(c.i % 100 AS INTEGER),
        'normandy', 'expose', '${SLUG}', [{'key': 'branchSlug', 'value': CASE WHEN c.i % 2 = 0 THEN 'control' ELSE 'treatment' END}]
      FROM range(${CLIENTS}) c(i) WHERE c.i % 5 < 3;`);
});
const [[rowCount]] = await timed('', () =>
  warehouse.query<{ rows: number }>(
    `SELECT (SELECT count(*) FROM mozdata.telemetry.clients_daily) + (SELECT count(*) FROM mozdata.search.search_daily) + (SELECT count(*) FROM mozdata.telemetry.active_users) AS rows`,
  ),
);
const rows = rowCount!.rows;
console.log(`data source rows: ${rows.toLocaleString()}`);

const provenance = (key: string) => ({ file: 'bench', key, line: null });
const metric = (name: string, dataSource: string, selectExpression: string): MetricSpec =>
  ({
    name,
    dataSource,
    selectExpression,
    statistics: [{ name: 'bootstrap_mean' }, { name: 'deciles' }],
    provenance: provenance(`metrics.${name}`),
  }) as MetricSpec;
const metrics = [
  metric('retained', 'clients_daily', 'COALESCE(SUM(pings_aggregated_by_this_row), 0) > 0'),
  metric('active_hours', 'clients_daily', 'COALESCE(SUM(active_hours_sum), 0)'),
  metric('days_of_use', 'clients_daily', 'COUNT(submission_date)'),
  metric('uri_count', 'clients_daily', 'COALESCE(SUM(uri_count), 0)'),
  metric('max_tabs', 'clients_daily', 'MAX(tab_count)'),
  metric('default_days', 'clients_daily', 'COUNTIF(is_default_browser)'),
  metric('is_default', 'clients_daily', 'COALESCE(LOGICAL_OR(is_default_browser), FALSE)'),
  metric('bookmarks', 'clients_daily', 'COALESCE(SUM(bookmarks), 0)'),
  metric('hours_per_day', 'clients_daily', 'SAFE_DIVIDE(SUM(active_hours_sum), COUNT(*))'),
  metric('uri_per_hour', 'clients_daily', 'SAFE_DIVIDE(SUM(uri_count), SUM(active_hours_sum))'),
  metric('search_count', 'search', 'COALESCE(SUM(sap), 0)'),
  metric('ad_clicks', 'search', 'COALESCE(SUM(ad_click), 0)'),
  metric('organic', 'search', 'COALESCE(SUM(organic), 0)'),
  metric('tagged_sap', 'search', 'COALESCE(SUM(tagged_sap), 0)'),
  metric('search_days', 'search', 'COUNT(submission_date)'),
  metric('searched_with_ads', 'search', 'COALESCE(LOGICAL_OR(ad_click > 0), FALSE)'),
  metric('dau_days', 'active_users', 'COUNTIF(is_dau)'),
  metric('wau_days', 'active_users', 'COUNTIF(is_wau)'),
  metric('minutes', 'active_users', 'COALESCE(SUM(minutes), 0)'),
  metric('active_any', 'active_users', 'COALESCE(LOGICAL_OR(is_dau), FALSE)'),
];
const spec = AnalysisSpec.parse({
  experiment: {
    slug: SLUG,
    appName: 'firefox_desktop',
    status: 'complete',
    branches: [{ slug: 'control' }, { slug: 'treatment' }],
    startDate: START,
    endDate: '2024-01-29',
  },
  enrollmentPeriod: 7,
  enrollmentsQueryType: 'normandy',
  dataSources: {
    clients_daily: {
      name: 'clients_daily',
      fromExpression: 'mozdata.telemetry.clients_daily',
      experimentsColumnType: 'simple',
      provenance: provenance('clients_daily'),
    },
    search: {
      name: 'search',
      fromExpression: '`moz-fx-data-shared-prod.search.search_daily`',
      experimentsColumnType: 'none',
      provenance: provenance('search'),
    },
    active_users: {
      name: 'active_users',
      fromExpression: '(SELECT * FROM mozdata.telemetry.active_users)',
      experimentsColumnType: 'none',
      provenance: provenance('active_users'),
    },
  },
  metrics: {
    day: metrics,
    week: metrics,
    days28: [],
    overall: metrics,
    preenrollment_week: [],
    preenrollment_days28: [],
  },
});

await warehouse.createDataset('contrail');
const dayWeek = planAnalysis(spec, '2024-01-28', { dataset: 'contrail', periods: ['day', 'week'] });
const overall = planAnalysis(spec, '2024-01-29', { dataset: 'contrail', periods: ['overall'] });
console.log(
  `windows: ${[...dayWeek.windows, ...overall.windows].map((w) => `${w.window.period}_${w.window.windowIndex}`).join(', ')}`,
);
await timed('enrollments (normandy events, 1.6 × clients rows)', () =>
  runPlannedQuery(warehouse, dayWeek.enrollments!),
);

const metricsQueries = [...dayWeek.metrics, ...overall.metrics];
const inputQueries = [...dayWeek.statisticInputs, ...overall.statisticInputs];
let metricsMs = 0;
for (const q of metricsQueries) {
  const [, ms] = await timed(`metrics ${q.period} ${q.analysisBasis} ${q.dataSource}`, () =>
    runPlannedQuery(warehouse, q),
  );
  metricsMs += ms;
}
let inputsMs = 0;
for (const q of inputQueries) {
  const [, ms] = await timed(`statistic inputs ${q.period} ${q.analysisBasis} ${q.dataSource}`, () =>
    runPlannedQuery(warehouse, q),
  );
  inputsMs += ms;
}
const [[binCount]] = await timed('', () =>
  warehouse.query<{ bins: number }>(
    `SELECT sum(bins) AS bins FROM (${inputQueries.map((q) => `SELECT count(*) AS bins FROM contrail.${q.destination.table}`).join(' UNION ALL ')})`,
  ),
);

const bins = binCount!.bins;

// Bare scans: the same columns and date range as each metrics query, aggregated trivially.
const columnsOf: Record<string, [string, string]> = {
  clients_daily: [
    'mozdata.telemetry.clients_daily',
    'client_id, submission_date, pings_aggregated_by_this_row, active_hours_sum, uri_count, tab_count, is_default_browser, bookmarks, experiments',
  ],
  search: ['mozdata.search.search_daily', 'client_id, submission_date, sap, ad_click, organic, tagged_sap'],
  active_users: ['mozdata.telemetry.active_users', 'client_id, submission_date, is_dau, is_wau, minutes'],
};
let bareMs = 0;
for (const q of metricsQueries) {
  const [table, columns] = columnsOf[q.dataSource!]!;
  const range = /submission_date BETWEEN (DATE '[^']+') AND (DATE '[^']+')/.exec(q.sql)!;
  const list = columns.split(', ');
  const sql = `SELECT ${list.map((c, i) => `count(${c}) AS c${i}`).join(', ')} FROM ${table} WHERE submission_date BETWEEN ${range[1]} AND ${range[2]}`;
  const [, ms] = await timed('', () => warehouse.query(sql));
  bareMs += ms;
}

// EXPLAIN: scans per table in every metrics query.
const scanSummary = new Map<string, number[]>();
for (const q of metricsQueries) {
  const scans = countTableScans(await warehouse.query(explainJsonSql(q.sql)));
  for (const [table, n] of scans) scanSummary.set(table, [...(scanSummary.get(table) ?? []), n]);
}

// One statistic-input query per metrics table vs one per metric (same window, basis and data source).
const sample = dayWeek.statisticInputs.find(
  (q) => q.period === 'week' && q.dataSource === 'clients_daily' && q.analysisBasis === 'enrollments',
)!;
const [, combinedMs] = await timed('statistic inputs week/enrollments/clients_daily: one query', () =>
  runPlannedQuery(warehouse, sample),
);
let perMetricMs = 0;
for (const m of metrics.filter((x) => x.dataSource === 'clients_daily')) {
  const single = AnalysisSpec.parse({
    ...spec,
    metrics: {
      ...spec.metrics,
      week: [m, ...metrics.filter((x) => x !== m).map((x) => ({ ...x, statistics: [] }))],
    },
  });
  const q = planAnalysis(single, '2024-01-28', {
    dataset: 'contrail',
    periods: ['week'],
  }).statisticInputs.find(
    (x: PlannedQuery) => x.dataSource === 'clients_daily' && x.analysisBasis === 'enrollments',
  )!;
  const [, ms] = await timed('', () => runPlannedQuery(warehouse, q));
  perMetricMs += ms;
}

console.log('\n== figures ==');
console.log(
  `clients ${CLIENTS.toLocaleString()}, days ${DAYS}, data source rows ${rows.toLocaleString()}, metrics ${metrics.length} over 3 data sources`,
);
console.log(
  `metrics queries: ${metricsQueries.length} (3 periods × 2 bases × 3 data sources) ${seconds(metricsMs)}`,
);
console.log(
  `statistic-input queries: ${inputQueries.length} ${seconds(inputsMs)} → ${bins.toLocaleString()} bins`,
);
console.log(`metrics + statistic inputs: ${seconds(metricsMs + inputsMs)} (target ≤ 60 s)`);
console.log(
  `bare scans of the same columns and dates: ${seconds(bareMs)}; ratio ${((metricsMs + inputsMs) / bareMs).toFixed(1)}× (metrics alone ${(metricsMs / bareMs).toFixed(1)}×)`,
);
for (const [table, counts] of scanSummary)
  console.log(`EXPLAIN scans of ${table} per metrics query: ${counts.join(',')}`);
console.log(
  `statistic inputs for 10 clients_daily metrics: one query ${seconds(combinedMs)}, one query per metric ${seconds(perMetricMs)}`,
);
await warehouse.close();
