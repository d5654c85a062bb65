import type { IsoDate } from '../../src/dates.js';
/**
 * The floor bench/sql.ts measures contrail's SQL against: for each data source and analysis
 * window, one query written by hand for DuckDB, as someone who knows the data would write it,
 * that computes the same per-client aggregates as the bench's metrics (sql-fixture.ts) for both
 * analysis bases: the enrollments joined to the data source over each client's own window, one
 * group per client, branch and basis, the result written to a table.
 *
 * It keeps jetstream's semantics, or its numbers would not be the same work: every enrolled
 * client of both bases (the exposures basis measures from the exposure date, so unexposed
 * clients have no data), the LEFT JOIN under every aggregate (so COUNT(*) is 1 for a client
 * without rows, as in mozanalysis), and data from the enrollment day only when the row already
 * carries the experiment. It leaves out what only contrail computes: the enrollment columns
 * beside the metrics, the sanity columns, one table per basis, the statistic inputs.
 * bench/sql.ts checks that its values equal contrail's for every client.
 */

export interface FloorWindow {
  /** Days after the anchor (enrollment or exposure date) the window starts and ends. */
  startOffset: number;
  endOffset: number;
  /** Data dates any client's window can cover. */
  first: IsoDate;
  last: IsoDate;
}

/** The floor's table: `floor_<data source>_<period>_<window>`. */
export type FloorDataSource = 'clients_daily' | 'baseline' | 'nimbus_events';

export const FLOOR_DATA_SOURCES: readonly FloorDataSource[] = ['clients_daily', 'baseline', 'nimbus_events'];

function enrollments(enrollmentsTable: string, w: FloorWindow): string {
  return `e AS (
  SELECT analysis_id, branch, enrollment_date, 'enrollments' AS analysis_basis,
    enrollment_date + ${w.startOffset} AS first_day, enrollment_date + ${w.endOffset} AS last_day
  FROM ${enrollmentsTable}
  UNION ALL
  SELECT analysis_id, branch, enrollment_date, 'exposures',
    exposure_date + ${w.startOffset}, exposure_date + ${w.endOffset}
  FROM ${enrollmentsTable}
)`;
}

const JOIN = `FROM e LEFT JOIN ds
  ON ds.client_id = e.analysis_id
  AND ds.submission_date BETWEEN e.first_day AND e.last_day
  AND ds.untagged_date IS DISTINCT FROM e.enrollment_date
GROUP BY e.analysis_basis, e.analysis_id, e.branch`;

/** The hand-written query of one data source and window (a SELECT; the bench writes it to a table). */
export function floorSql(
  dataSource: FloorDataSource,
  w: FloorWindow,
  options: { enrollmentsTable: string; slug: string },
): string {
  const slug = `'${options.slug.replace(/'/g, "''")}'`;
  const dates = `BETWEEN DATE '${w.first}' AND DATE '${w.last}'`;
  const e = enrollments(options.enrollmentsTable, w);
  switch (dataSource) {
    case 'clients_daily':
      return `WITH ${e},
ds AS (
  SELECT client_id, submission_date, active_hours_sum, search_count_all, ad_clicks_count_all, is_default_browser,
    scalar_parent_browser_engagement_total_uri_count_sum AS uri_count,
    scalar_parent_browser_engagement_total_uri_count_normal_and_private_mode_sum AS uri_count_all_modes,
    CASE WHEN list_filter(experiments, x -> x.key = ${slug})[1].value IS NULL THEN submission_date END AS untagged_date
  FROM mozdata.telemetry.clients_daily
  WHERE submission_date ${dates}
)
SELECT e.analysis_basis, e.analysis_id, e.branch,
  COALESCE(SUM(active_hours_sum), 0) AS active_hours,
  COUNT(submission_date) AS days_of_use,
  COALESCE(SUM(uri_count), 0)::BIGINT AS uri_count,
  COALESCE(SUM(uri_count_all_modes), 0)::BIGINT AS uri_count_all_modes,
  COALESCE(SUM(search_count_all), 0)::BIGINT AS search_count,
  COALESCE(SUM(ad_clicks_count_all), 0)::BIGINT AS ad_clicks,
  COALESCE(bool_or(search_count_all > 0), false) AS searched,
  count_if(is_default_browser)::BIGINT AS default_days,
  COALESCE(bool_or(is_default_browser), false) AS is_default_browser,
  SUM(active_hours_sum) / COUNT(*) AS hours_per_day,
  SUM(search_count_all) / NULLIF(SUM(active_hours_sum), 0) AS searches_per_hour
${JOIN}`;
    case 'baseline':
      return `WITH ${e},
ds AS (
  SELECT metrics.uuid.legacy_telemetry_client_id AS client_id,
    CAST(submission_timestamp AS DATE) AS submission_date,
    metrics.timespan.glean_baseline_duration.value AS duration,
    CASE WHEN list_filter(ping_info.experiments, x -> x.key = ${slug})[1].value.branch IS NULL
      THEN CAST(submission_timestamp AS DATE) END AS untagged_date
  FROM mozdata.firefox_desktop.baseline
  WHERE CAST(submission_timestamp AS DATE) ${dates}
)
SELECT e.analysis_basis, e.analysis_id, e.branch,
  COUNT(*) AS baseline_pings,
  COALESCE(SUM(duration), 0)::BIGINT AS baseline_seconds,
  COUNT(DISTINCT submission_date) AS baseline_days,
  count_if(duration > 3600)::BIGINT AS long_sessions,
  MAX(duration) AS max_session,
  SUM(duration) / COUNT(*) AS seconds_per_ping
${JOIN}`;
    case 'nimbus_events':
      return `WITH ${e},
ds AS (
  SELECT legacy_telemetry_client_id AS client_id,
    CAST(submission_timestamp AS DATE) AS submission_date,
    event_name,
    CASE WHEN json_extract_string(event_extra, '$.experiment') = ${slug}
      AND json_extract_string(event_extra, '$.branch') IS NOT NULL
      THEN NULL ELSE CAST(submission_timestamp AS DATE) END AS untagged_date
  FROM mozdata.firefox_desktop.events_stream
  WHERE event_category = 'nimbus_events' AND CAST(submission_timestamp AS DATE) ${dates}
)
SELECT e.analysis_basis, e.analysis_id, e.branch,
  count_if(event_name = 'exposure')::BIGINT AS exposure_events,
  count_if(event_name = 'enrollment')::BIGINT AS enrollment_events,
  COALESCE(bool_or(event_name = 'exposure'), false) AS was_exposed
${JOIN}`;
  }
}
