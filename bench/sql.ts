/**
 * SQL benchmark (issue 5): 1,000,000 clients × 28 days of synthetic telemetry from the sample
 * generator (`generateSample`), 20 metrics over 3 data sources (clients_daily, Glean baseline,
 * Glean events_stream), periods day/week/overall, both analysis bases. Prints the time of the
 * metrics queries (one scan per data source and period, then jetstream's per-basis tables split
 * from it) plus the statistic-input queries (target ≤ 60 s on the 2-core machine), the scans of
 * each data source per period from EXPLAIN, the ratio to a bare scan of the same columns, and one
 * statistic-input query per metrics table against one per metric.
 * Run: node --import tsx bench/sql.ts [clients]
 */
import { AnalysisSpec, type MetricSpec } from '../src/config/spec.js';
import { generateSample } from '../src/sample/generate.js';
import { planAnalysis, type WindowPlan } from '../src/sql/plan/analysis.js';
import type { PlannedQuery } from '../src/sql/plan/types.js';
import { duckdbDialect } from '../src/sql/render/duckdb.js';
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
  if (label) console.log(`${label.padEnd(72)} ${seconds(ms)}`);
  return [result, ms];
}

// Every client enrolls (days 0–7), 60 % are exposed; the treatment moves every generated metric.
const [summary] = await timed(`generateSample: ${CLIENTS.toLocaleString()} clients × ${DAYS} days`, () =>
  generateSample(warehouse, {
    clients: CLIENTS,
    days: DAYS,
    startDate: START,
    seed: 1,
    experiments: [
      {
        slug: SLUG,
        featureId: 'bench',
        isRollout: false,
        branches: [
          { slug: 'control', ratio: 1 },
          { slug: 'treatment', ratio: 1 },
        ],
        enrollmentStart: START,
        enrollmentDays: 8,
        share: 1,
        exposeFraction: 0.6,
        effects: {
          treatment: {
            active_hours: 0.05,
            uri_count: 0.03,
            search_count: -0.02,
            ad_clicks: 0.1,
            days_of_use: 0.02,
          },
        },
      },
    ],
  }),
);
for (const t of summary.tables) console.log(`  ${t.table}: ${t.rows.toLocaleString()} rows`);

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
  metric('active_hours', 'clients_daily', 'COALESCE(SUM(active_hours_sum), 0)'),
  metric('days_of_use', 'clients_daily', 'COUNT(submission_date)'),
  metric(
    'uri_count',
    'clients_daily',
    'COALESCE(SUM(scalar_parent_browser_engagement_total_uri_count_sum), 0)',
  ),
  metric(
    'uri_count_all_modes',
    'clients_daily',
    'COALESCE(SUM(scalar_parent_browser_engagement_total_uri_count_normal_and_private_mode_sum), 0)',
  ),
  metric('search_count', 'clients_daily', 'COALESCE(SUM(search_count_all), 0)'),
  metric('ad_clicks', 'clients_daily', 'COALESCE(SUM(ad_clicks_count_all), 0)'),
  metric('searched', 'clients_daily', 'COALESCE(LOGICAL_OR(search_count_all > 0), FALSE)'),
  metric('default_days', 'clients_daily', 'COUNTIF(is_default_browser)'),
  metric('is_default_browser', 'clients_daily', 'COALESCE(LOGICAL_OR(is_default_browser), FALSE)'),
  metric('hours_per_day', 'clients_daily', 'SAFE_DIVIDE(SUM(active_hours_sum), COUNT(*))'),
  metric('searches_per_hour', 'clients_daily', 'SAFE_DIVIDE(SUM(search_count_all), SUM(active_hours_sum))'),
  metric('baseline_pings', 'baseline', 'COUNT(*)'),
  metric('baseline_seconds', 'baseline', 'COALESCE(SUM(duration), 0)'),
  metric('baseline_days', 'baseline', 'COUNT(DISTINCT submission_date)'),
  metric('long_sessions', 'baseline', 'COUNTIF(duration > 3600)'),
  metric('max_session', 'baseline', 'MAX(duration)'),
  metric('seconds_per_ping', 'baseline', 'SAFE_DIVIDE(SUM(duration), COUNT(*))'),
  metric('exposure_events', 'nimbus_events', "COUNTIF(event_name = 'exposure')"),
  metric('enrollment_events', 'nimbus_events', "COUNTIF(event_name = 'enrollment')"),
  metric('was_exposed', 'nimbus_events', "COALESCE(LOGICAL_OR(event_name = 'exposure'), FALSE)"),
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
    // Glean tables key clients by their Glean id; the legacy id joins them to normandy enrollments.
    baseline: {
      name: 'baseline',
      fromExpression: `(SELECT metrics.uuid.legacy_telemetry_client_id AS client_id, DATE(submission_timestamp) AS submission_date,
        metrics.timespan.glean_baseline_duration.value AS duration, ping_info
        FROM \`moz-fx-data-shared-prod.firefox_desktop.baseline\`)`,
      experimentsColumnType: 'glean',
      provenance: provenance('baseline'),
    },
    nimbus_events: {
      name: 'nimbus_events',
      fromExpression: `(SELECT legacy_telemetry_client_id AS client_id, DATE(submission_timestamp) AS submission_date, event_name, event_extra
        FROM mozdata.firefox_desktop.events_stream WHERE event_category = 'nimbus_events')`,
      experimentsColumnType: 'events_stream',
      provenance: provenance('nimbus_events'),
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
const dayWeek = planAnalysis(spec, '2024-01-28', {
  dataset: 'contrail',
  dialect: duckdbDialect(),
  periods: ['day', 'week'],
});
const overall = planAnalysis(spec, '2024-01-29', {
  dataset: 'contrail',
  dialect: duckdbDialect(),
  periods: ['overall'],
});
const windows: WindowPlan[] = [...dayWeek.windows, ...overall.windows];
const windowName = (w: WindowPlan) => `${w.window.period}_${w.window.windowIndex}`;
console.log(`windows: ${windows.map(windowName).join(', ')}`);
await timed('enrollments (normandy events)', () => runPlannedQuery(warehouse, dayWeek.enrollments!));

const scans = windows.flatMap((w) => w.metricsScans);
const splits = windows.flatMap((w) => w.metrics);
const inputQueries = windows.flatMap((w) => w.statisticInputs);
async function runAll(queries: PlannedQuery[], label: (q: PlannedQuery) => string): Promise<number> {
  let total = 0;
  for (const q of queries) total += (await timed(label(q), () => runPlannedQuery(warehouse, q)))[1];
  return total;
}
const scanMs = await runAll(scans, (q) => `metrics scan ${q.period} ${q.dataSource} (both bases)`);
const splitMs = await runAll(splits, (q) => `metrics split ${q.period} ${q.analysisBasis} ${q.dataSource}`);
const inputsMs = await runAll(
  inputQueries,
  (q) => `statistic inputs ${q.period} ${q.analysisBasis} ${q.dataSource}`,
);
const metricsMs = scanMs + splitMs;
const [[binCount]] = await timed('', () =>
  warehouse.query<{ bins: number }>(
    `SELECT sum(bins) AS bins FROM (${inputQueries.map((q) => `SELECT count(*) AS bins FROM contrail.${q.destination.table}`).join(' UNION ALL ')})`,
  ),
);

// Bare scans: the columns each scan reads, over its date range, aggregated trivially; one per scan.
const bareSources: Record<string, { from: string; date: string; columns: string[] }> = {
  clients_daily: {
    from: 'mozdata.telemetry.clients_daily',
    date: 'submission_date',
    columns: [
      'client_id',
      'submission_date',
      'active_hours_sum',
      'scalar_parent_browser_engagement_total_uri_count_sum',
      'scalar_parent_browser_engagement_total_uri_count_normal_and_private_mode_sum',
      'search_count_all',
      'ad_clicks_count_all',
      'is_default_browser',
      'experiments',
    ],
  },
  baseline: {
    from: 'mozdata.firefox_desktop.baseline',
    date: 'CAST(submission_timestamp AS DATE)',
    columns: [
      'metrics.uuid.legacy_telemetry_client_id',
      'metrics.timespan.glean_baseline_duration.value',
      'ping_info',
    ],
  },
  nimbus_events: {
    from: 'mozdata.firefox_desktop.events_stream',
    date: 'CAST(submission_timestamp AS DATE)',
    columns: ['legacy_telemetry_client_id', 'event_name', 'event_extra', 'event_category'],
  },
};
let bareMs = 0;
for (const q of scans) {
  const source = bareSources[q.dataSource!]!;
  const range = /BETWEEN (DATE '[^']+') AND (DATE '[^']+')/.exec(q.sql)!;
  const sql = `SELECT ${source.columns.map((c, i) => `count(${c}) AS c${i}`).join(', ')} FROM ${source.from} WHERE ${source.date} BETWEEN ${range[1]} AND ${range[2]}`;
  bareMs += (await timed('', () => warehouse.query(sql)))[1];
}

// EXPLAIN every query of each window: how often each data-source table is scanned per period.
const scanLines: string[] = [];
for (const w of windows) {
  const perTable = new Map<string, number>();
  for (const q of [...w.metricsScans, ...w.metrics, ...w.statisticInputs]) {
    for (const [table, n] of countTableScans(await warehouse.query(explainJsonSql(q.sql)))) {
      if (table.startsWith('mozdata.')) perTable.set(table, (perTable.get(table) ?? 0) + n);
    }
  }
  scanLines.push(
    `EXPLAIN ${windowName(w)} (all ${w.metricsScans.length + w.metrics.length + w.statisticInputs.length} queries): ${[...perTable].map(([t, n]) => `${t} ×${n}`).join(', ')}`,
  );
}

// One statistic-input query per metrics table vs one per metric (same window, basis and data source).
const sample = dayWeek.statisticInputs.find(
  (q) => q.period === 'week' && q.dataSource === 'clients_daily' && q.analysisBasis === 'enrollments',
)!;
const [, combinedMs] = await timed('statistic inputs week/enrollments/clients_daily: one query', () =>
  runPlannedQuery(warehouse, sample),
);
const dailyMetrics = metrics.filter((x) => x.dataSource === 'clients_daily');
let perMetricMs = 0;
for (const m of dailyMetrics) {
  const single = AnalysisSpec.parse({
    ...spec,
    metrics: {
      ...spec.metrics,
      week: [m, ...metrics.filter((x) => x !== m).map((x) => ({ ...x, statistics: [] }))],
    },
  });
  const q = planAnalysis(single, '2024-01-28', {
    dataset: 'contrail',
    dialect: duckdbDialect(),
    periods: ['week'],
  }).statisticInputs.find(
    (x: PlannedQuery) => x.dataSource === 'clients_daily' && x.analysisBasis === 'enrollments',
  )!;
  perMetricMs += (await timed('', () => runPlannedQuery(warehouse, q)))[1];
}

const sourceRows = summary.tables
  .filter((t) => /clients_daily|baseline|events_stream/.test(t.table))
  .reduce((s, t) => s + t.rows, 0);
console.log('\n== figures ==');
console.log(
  `clients ${CLIENTS.toLocaleString()}, days ${DAYS}, data source rows ${sourceRows.toLocaleString()}, metrics ${metrics.length} over 3 data sources`,
);
console.log(
  `metrics: ${scans.length} scans (3 periods × 3 data sources, both bases each) ${seconds(scanMs)} + ${splits.length} per-basis tables ${seconds(splitMs)} = ${seconds(metricsMs)}`,
);
console.log(
  `statistic-input queries: ${inputQueries.length} ${seconds(inputsMs)} → ${Number(binCount!.bins).toLocaleString()} bins`,
);
console.log(`metrics + statistic inputs: ${seconds(metricsMs + inputsMs)} (target ≤ 60 s)`);
console.log(
  `bare scans of the same columns and dates (one per data source and period): ${seconds(bareMs)}; ratio ${((metricsMs + inputsMs) / bareMs).toFixed(1)}× (metrics alone ${(metricsMs / bareMs).toFixed(1)}×)`,
);
for (const line of scanLines) console.log(line);
console.log(
  `statistic inputs for ${dailyMetrics.length} clients_daily metrics: one query ${seconds(combinedMs)}, one query per metric ${seconds(perMetricMs)}`,
);
await warehouse.close();
