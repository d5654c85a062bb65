/**
 * What bench/sql.ts measures, shared with the scripts that inspect its queries: the synthetic
 * sample (every client enrolls over days 0–7, 60 % are exposed, the treatment moves every
 * generated metric) and the analysis spec (20 metrics over 3 data sources, periods day, week and
 * overall, both analysis bases).
 */
import { AnalysisSpec, type MetricSpec } from '../../src/config/spec.js';
import type { SampleOptions } from '../../src/sample/generate.js';

export const DAYS = 28;
export const START = '2024-01-01';
export const SLUG = 'bench-exp';

export function benchSampleOptions(clients: number): SampleOptions {
  return {
    clients,
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
  };
}

const provenance = (key: string) => ({ file: 'bench', key, line: null });
const metric = (name: string, dataSource: string, selectExpression: string): MetricSpec =>
  ({
    name,
    dataSource,
    selectExpression,
    statistics: [{ name: 'bootstrap_mean' }, { name: 'deciles' }],
    provenance: provenance(`metrics.${name}`),
  }) as MetricSpec;
export const BENCH_METRICS: MetricSpec[] = [
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
export const benchSpec: AnalysisSpec = AnalysisSpec.parse({
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
    day: BENCH_METRICS,
    week: BENCH_METRICS,
    days28: [],
    overall: BENCH_METRICS,
    preenrollment_week: [],
    preenrollment_days28: [],
  },
});
