import { z } from 'zod';
import { requirement } from '../config/describe.js';
import { addDays, IsoDate } from '../dates.js';
import { ContrailError } from '../errors.js';
import type { TableRef, Warehouse } from '../warehouse/warehouse.js';
import { FIRST_SAMPLE_DATE, MAX_SAMPLE_SEED } from './defaults.js';
import { defaultSampleExperiments, SAMPLE_METRICS, SampleExperiment } from './population.js';
import { geometricCount, normal, uniform } from './random-sql.js';

/** The warehouse cannot hold the synthetic sample (not DuckDB, or no `mozdata` catalog attached). */
export class SampleWarehouseError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'SampleWarehouseError';
  }
}

export const SampleOptions = z.object({
  clients: z.number().int().positive().max(100_000_000),
  days: z.number().int().positive().max(3660),
  startDate: IsoDate.refine((date) => date >= FIRST_SAMPLE_DATE, {
    message: `must be on or after ${FIRST_SAMPLE_DATE} (the sample's days are counted in epoch seconds)`,
  }),
  seed: z.number().int().min(0).max(MAX_SAMPLE_SEED),
  /** Experiments clients enroll in (default: the launched desktop ones of experiments.json). */
  experiments: z.array(SampleExperiment).optional(),
});
export type SampleOptions = z.input<typeof SampleOptions>;

export interface SampleSummary {
  clients: number;
  days: number;
  startDate: IsoDate;
  endDate: IsoDate;
  seed: number;
  experiments: string[];
  tables: { table: string; rows: number }[];
  seconds: number;
}

/** Where the generated tables go: the `mozdata` catalog, named as metric-hub SQL names them. */
export const SAMPLE_TABLES = {
  /** Ground truth per client (experiment, branch, enrollment/exposure dates, latent traits). */
  clients: { dataset: 'mozdata.contrail_sample', table: 'clients' },
  clientsDaily: { dataset: 'mozdata.telemetry', table: 'clients_daily' },
  events: { dataset: 'mozdata.telemetry', table: 'events' },
  eventsStream: { dataset: 'mozdata.firefox_desktop', table: 'events_stream' },
  baseline: { dataset: 'mozdata.firefox_desktop', table: 'baseline' },
} as const satisfies Record<string, TableRef>;

/**
 * Documented schema of each generated table (column → DuckDB type), checked by the tests.
 * Shapes follow the BigQuery tables: maps are LIST<STRUCT(key, value)>, Glean extras are JSON.
 */
export const SAMPLE_SCHEMA: Record<keyof typeof SAMPLE_TABLES, Record<string, string>> = {
  clients: {
    client_index: 'BIGINT',
    client_id: 'VARCHAR',
    glean_client_id: 'VARCHAR',
    sample_id: 'BIGINT',
    country: 'VARCHAR',
    is_default_browser: 'BOOLEAN',
    activity_level: 'DOUBLE',
    p_active: 'DOUBLE',
    experiment: 'VARCHAR',
    feature_id: 'VARCHAR',
    is_rollout: 'BOOLEAN',
    branch: 'VARCHAR',
    enrollment_id: 'VARCHAR',
    enrollment_date: 'DATE',
    exposure_date: 'DATE',
    ...Object.fromEntries(SAMPLE_METRICS.map((m) => [`effect_${m}`, 'DOUBLE'])),
  },
  clientsDaily: {
    client_id: 'VARCHAR',
    sample_id: 'BIGINT',
    submission_date: 'DATE',
    normalized_channel: 'VARCHAR',
    country: 'VARCHAR',
    os: 'VARCHAR',
    app_version: 'VARCHAR',
    is_default_browser: 'BOOLEAN',
    active_hours_sum: 'DOUBLE',
    scalar_parent_browser_engagement_total_uri_count_sum: 'BIGINT',
    scalar_parent_browser_engagement_total_uri_count_normal_and_private_mode_sum: 'BIGINT',
    search_count_all: 'BIGINT',
    ad_clicks_count_all: 'BIGINT',
    experiments: 'STRUCT("key" VARCHAR, "value" VARCHAR)[]',
  },
  events: {
    submission_date: 'DATE',
    timestamp: 'TIMESTAMP',
    client_id: 'VARCHAR',
    sample_id: 'BIGINT',
    normalized_channel: 'VARCHAR',
    event_timestamp: 'BIGINT',
    event_category: 'VARCHAR',
    event_method: 'VARCHAR',
    event_object: 'VARCHAR',
    event_string_value: 'VARCHAR',
    event_map_values: 'STRUCT("key" VARCHAR, "value" VARCHAR)[]',
    experiments:
      'STRUCT("key" VARCHAR, "value" STRUCT(branch VARCHAR, extra STRUCT("type" VARCHAR, enrollment_id VARCHAR)))[]',
  },
  eventsStream: {
    submission_timestamp: 'TIMESTAMP',
    client_id: 'VARCHAR',
    legacy_telemetry_client_id: 'VARCHAR',
    profile_group_id: 'VARCHAR',
    sample_id: 'BIGINT',
    normalized_channel: 'VARCHAR',
    event: 'VARCHAR',
    event_category: 'VARCHAR',
    event_name: 'VARCHAR',
    event_extra: 'JSON',
    // JSON as in BigQuery's events_stream, so configs reading `experiments.`slug`.branch` or
    // `metrics.boolean.…` compile here: the client's experiments, and no metrics.
    experiments: 'JSON',
    metrics: 'JSON',
  },
  baseline: {
    submission_timestamp: 'TIMESTAMP',
    sample_id: 'BIGINT',
    normalized_channel: 'VARCHAR',
    client_info: 'STRUCT(client_id VARCHAR, app_channel VARCHAR, app_display_version VARCHAR, os VARCHAR)',
    ping_info:
      'STRUCT(experiments STRUCT("key" VARCHAR, "value" STRUCT(branch VARCHAR, extra STRUCT("type" VARCHAR, enrollment_id VARCHAR)))[])',
    metrics:
      'STRUCT(uuid STRUCT(legacy_telemetry_client_id VARCHAR), timespan STRUCT(glean_baseline_duration STRUCT("value" BIGINT)))',
  },
};

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function fq(ref: TableRef): string {
  return `${ref.dataset}.${ref.table}`;
}

type SampleTables = Record<keyof typeof SAMPLE_TABLES, TableRef>;

/**
 * Where the sample's tables are written first: each in its own dataset under a name no config
 * reads. They replace the published ones together at the end, so a sample that fails or is
 * interrupted leaves the warehouse as it was, never some tables new and others old or missing.
 */
const STAGED_TABLES = Object.fromEntries(
  Object.entries(SAMPLE_TABLES).map(([key, ref]) => [
    key,
    { dataset: ref.dataset, table: `staging_sample_${ref.table}` },
  ]),
) as SampleTables;

/** The population: one row per client with its traits and (at most one) enrollment. */
function clientsSql(seed: number, clients: number, experiments: SampleExperiment[]): string {
  // Experiments take consecutive slices of [0, 1) by share; clients outside every slice stay unenrolled.
  let lo = 0;
  const experimentRows: string[] = [];
  const branchRows: string[] = [];
  for (const experiment of experiments) {
    const hi = lo + experiment.share;
    experimentRows.push(
      `(${sqlString(experiment.slug)}, CAST(${lo} AS DOUBLE), CAST(${hi} AS DOUBLE), DATE ${sqlString(experiment.enrollmentStart)}, ${experiment.enrollmentDays}, CAST(${experiment.exposeFraction} AS DOUBLE), ${sqlString(experiment.featureId)}, ${experiment.isRollout})`,
    );
    const total = experiment.branches.reduce((sum, b) => sum + b.ratio, 0);
    let blo = 0;
    for (const branch of experiment.branches) {
      const bhi = blo + branch.ratio / total;
      const effects = experiment.effects[branch.slug] ?? {};
      const multipliers = SAMPLE_METRICS.map((m) => `CAST(${1 + (effects[m] ?? 0)} AS DOUBLE)`);
      branchRows.push(
        `(${sqlString(experiment.slug)}, ${sqlString(branch.slug)}, CAST(${blo} AS DOUBLE), CAST(${bhi} AS DOUBLE), ${multipliers.join(', ')})`,
      );
      blo = bhi;
    }
    lo = hi;
  }
  if (lo > 1 + 1e-9) throw new RangeError(`sample experiments' shares add up to ${lo}; at most 1`);
  const i = 'r.i';
  const effectColumns = SAMPLE_METRICS.map((m) => `COALESCE(b.m_${m}, 1.0) AS effect_${m}`).join(',\n      ');
  const experimentValues =
    experimentRows.length > 0
      ? `VALUES ${experimentRows.join(', ')}`
      : "SELECT NULL::VARCHAR, 0.0, 0.0, DATE '1970-01-01', 1, 0.0, NULL::VARCHAR, false WHERE false";
  const branchValues =
    branchRows.length > 0
      ? `VALUES ${branchRows.join(', ')}`
      : `SELECT NULL::VARCHAR, NULL::VARCHAR, 0.0, 0.0, ${SAMPLE_METRICS.map(() => '1.0').join(', ')} WHERE false`;
  return `
    WITH experiments(slug, lo, hi, start_date, enrollment_days, expose_fraction, feature_id, is_rollout) AS (${experimentValues}),
    branches(experiment, branch, lo, hi, ${SAMPLE_METRICS.map((m) => `m_${m}`).join(', ')}) AS (${branchValues}),
    base AS (
      SELECT ${i} AS client_index, md5(${seed} || '/client/' || ${i}) AS h, md5(${seed} || '/glean/' || ${i}) AS g,
        ${uniform(seed, 1, i)} AS u_experiment, ${uniform(seed, 2, i)} AS u_branch,
        ${uniform(seed, 3, i)} AS u_day, ${uniform(seed, 4, i)} AS u_exposed, ${uniform(seed, 5, i)} AS u_exposure_lag,
        ${uniform(seed, 6, i)} AS u_country, ${uniform(seed, 7, i)} AS u_default,
        exp(0.6 * ${normal(seed, 8, i)}) AS activity_level, 0.15 + 0.8 * ${uniform(seed, 10, i)} AS p_active
      FROM range(${clients}) r(i)
    )
    SELECT
      client_index,
      substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a' || substr(h, 18, 3) || '-' || substr(h, 21, 12) AS client_id,
      substr(g, 1, 8) || '-' || substr(g, 9, 4) || '-4' || substr(g, 14, 3) || '-b' || substr(g, 18, 3) || '-' || substr(g, 21, 12) AS glean_client_id,
      CAST(hash(h) % 100 AS BIGINT) AS sample_id,
      CASE WHEN u_country < 0.4 THEN 'US' WHEN u_country < 0.6 THEN 'DE' WHEN u_country < 0.75 THEN 'FR'
           WHEN u_country < 0.85 THEN 'GB' ELSE 'IN' END AS country,
      -- Heavier users more often keep Firefox as their default browser.
      u_default < 0.15 + 0.5 * p_active AS is_default_browser,
      activity_level, p_active,
      e.slug AS experiment, e.feature_id, e.is_rollout, b.branch,
      CASE WHEN e.slug IS NOT NULL THEN md5(h || e.slug) END AS enrollment_id,
      CAST(e.start_date + CAST(floor(u_day * e.enrollment_days) AS INTEGER) AS DATE) AS enrollment_date,
      CASE WHEN u_exposed < e.expose_fraction
        THEN CAST(e.start_date + CAST(floor(u_day * e.enrollment_days) AS INTEGER) + CAST(floor(u_exposure_lag * 3) AS INTEGER) AS DATE)
      END AS exposure_date,
      ${effectColumns}
    FROM base
    LEFT JOIN experiments e ON u_experiment >= e.lo AND u_experiment < e.hi
    LEFT JOIN branches b ON b.experiment = e.slug AND u_branch >= b.lo AND u_branch < b.hi`;
}

/**
 * clients_daily: a row per client per active day. Activity and values depend on persistent
 * client traits (so pre-enrollment values predict post-enrollment ones, which is what makes
 * covariate adjustment pay off) and, from the exposure date on, on the branch's effects.
 * Clients are always active on their enrollment and exposure days (the browser ran).
 */
function clientsDailySql(tables: SampleTables, seed: number, days: number, startDate: string): string {
  const treated = (metric: string) => `CASE WHEN exposure_date <= day THEN effect_${metric} ELSE 1.0 END`;
  return `
    WITH days AS (
      SELECT c.*, CAST(DATE ${sqlString(startDate)} + CAST(t.d AS INTEGER) AS DATE) AS day, t.d AS d
      FROM ${fq(tables.clients)} c, range(${days}) t(d)
    )
    SELECT
      client_id, sample_id, day AS submission_date, 'release' AS normalized_channel, country,
      'Windows_NT' AS os, '124.0' AS app_version, is_default_browser,
      round(activity_level * 0.9 * exp(0.5 * ${normal(seed, 40, 'client_index', 'd')} - 0.125) * ${treated('active_hours')} * 720) / 720 AS active_hours_sum,
      ${geometricCount(`40 * activity_level * ${treated('uri_count')}`, seed, 42, 'client_index', 'd')} AS scalar_parent_browser_engagement_total_uri_count_sum,
      ${geometricCount(`44 * activity_level * ${treated('uri_count')}`, seed, 42, 'client_index', 'd')} AS scalar_parent_browser_engagement_total_uri_count_normal_and_private_mode_sum,
      ${geometricCount(`2.5 * activity_level * ${treated('search_count')}`, seed, 43, 'client_index', 'd')} AS search_count_all,
      ${geometricCount(`0.3 * activity_level * ${treated('ad_clicks')}`, seed, 44, 'client_index', 'd')} AS ad_clicks_count_all,
      CASE WHEN experiment IS NOT NULL AND day >= enrollment_date
        THEN [{'key': experiment, 'value': branch}] ELSE [] END::STRUCT("key" VARCHAR, "value" VARCHAR)[] AS experiments
    FROM days
    WHERE day = enrollment_date OR day = exposure_date
       OR ${uniform(seed, 30, 'client_index', 'd')} < LEAST(1.0, p_active * ${treated('days_of_use')})`;
}

/** A timestamp within the day, seeded per client, day and event stream. */
function timeOfDay(seed: number, stream: number, day: string): string {
  return `(${day}::TIMESTAMP + to_microseconds(CAST(floor(${uniform(seed, stream, 'client_index', `epoch(${day})`)} * 86400000000) AS BIGINT)))`;
}

function dataRange(startDate: string, days: number): string {
  return `BETWEEN DATE ${sqlString(startDate)} AND DATE ${sqlString(addDays(startDate, days - 1))}`;
}

/**
 * Legacy telemetry `events`: normandy `enroll` and `expose` events, shaped as the real table,
 * with its `experiments` annotation (the "native" experiments column a data source on it reads).
 */
function eventsSql(tables: SampleTables, seed: number, days: number, startDate: string): string {
  const range = dataRange(startDate, days);
  const experiments = `[{'key': experiment, 'value': {'branch': branch, 'extra': {'type': CASE WHEN is_rollout THEN 'nimbus-rollout' ELSE 'nimbus-nimbus' END, 'enrollment_id': enrollment_id}}}]
        ::STRUCT("key" VARCHAR, "value" STRUCT(branch VARCHAR, extra STRUCT("type" VARCHAR, enrollment_id VARCHAR)))[]`;
  return `
    SELECT enrollment_date AS submission_date, ${timeOfDay(seed, 60, 'enrollment_date')} AS timestamp,
      client_id, sample_id, 'release' AS normalized_channel, CAST(1000 + client_index % 5000 AS BIGINT) AS event_timestamp,
      'normandy' AS event_category, 'enroll' AS event_method, 'nimbus_experiment' AS event_object,
      experiment AS event_string_value,
      [{'key': 'branch', 'value': branch}, {'key': 'enrollmentId', 'value': enrollment_id},
       {'key': 'experimentType', 'value': CASE WHEN is_rollout THEN 'rollout' ELSE 'nimbus' END}]
        ::STRUCT("key" VARCHAR, "value" VARCHAR)[] AS event_map_values,
      ${experiments} AS experiments
    FROM ${fq(tables.clients)} WHERE experiment IS NOT NULL AND enrollment_date ${range}
    UNION ALL
    SELECT exposure_date, ${timeOfDay(seed, 61, 'exposure_date')}, client_id, sample_id, 'release',
      CAST(2000 + client_index % 5000 AS BIGINT), 'normandy', 'expose', 'nimbus_experiment', experiment,
      [{'key': 'branchSlug', 'value': branch}, {'key': 'featureId', 'value': feature_id}]::STRUCT("key" VARCHAR, "value" VARCHAR)[],
      ${experiments}
    FROM ${fq(tables.clients)} WHERE exposure_date ${range}`;
}

/** Glean `events_stream`: nimbus `enrollment` / `exposure` events, experiment and branch in the JSON extras. */
function eventsStreamSql(tables: SampleTables, seed: number, days: number, startDate: string): string {
  const range = dataRange(startDate, days);
  // Glean's experiments JSON: {"<slug>": {"branch": …, "extra": {"type": …, "enrollment_id": …}}}.
  const experiments = `json_object(experiment, json_object('branch', branch, 'extra', json_object(
        'type', CASE WHEN is_rollout THEN 'nimbus-rollout' ELSE 'nimbus-nimbus' END, 'enrollment_id', enrollment_id)))`;
  return `
    SELECT ${timeOfDay(seed, 60, 'enrollment_date')} AS submission_timestamp, glean_client_id AS client_id,
      client_id AS legacy_telemetry_client_id, glean_client_id AS profile_group_id, sample_id, 'release' AS normalized_channel,
      'nimbus_events.enrollment' AS event, 'nimbus_events' AS event_category, 'enrollment' AS event_name,
      json_object('experiment', experiment, 'branch', branch, 'enrollment_id', enrollment_id,
        'experiment_type', CASE WHEN is_rollout THEN 'rollout' ELSE 'nimbus' END) AS event_extra,
      ${experiments} AS experiments, CAST(NULL AS JSON) AS metrics
    FROM ${fq(tables.clients)} WHERE experiment IS NOT NULL AND enrollment_date ${range}
    UNION ALL
    SELECT ${timeOfDay(seed, 61, 'exposure_date')}, glean_client_id, client_id, glean_client_id, sample_id, 'release',
      'nimbus_events.exposure', 'nimbus_events', 'exposure',
      json_object('experiment', experiment, 'branch', branch, 'feature_id', feature_id),
      ${experiments}, CAST(NULL AS JSON)
    FROM ${fq(tables.clients)} WHERE exposure_date ${range}`;
}

/**
 * Glean `baseline` pings: one per active client-day, with the client's active experiments in
 * `ping_info.experiments` from its enrollment date on (what the fenix-fallback query reads).
 */
function baselineSql(tables: SampleTables, seed: number): string {
  return `
    SELECT ${timeOfDay(seed, 70, 'd.submission_date')} AS submission_timestamp, d.sample_id, d.normalized_channel,
      {'client_id': c.glean_client_id, 'app_channel': 'release', 'app_display_version': d.app_version, 'os': d.os} AS client_info,
      {'experiments': CASE WHEN c.experiment IS NOT NULL AND d.submission_date >= c.enrollment_date
        THEN [{'key': c.experiment, 'value': {'branch': c.branch, 'extra': {'type': CASE WHEN c.is_rollout THEN 'nimbus-rollout' ELSE 'nimbus-nimbus' END, 'enrollment_id': c.enrollment_id}}}]
        ELSE [] END::STRUCT("key" VARCHAR, "value" STRUCT(branch VARCHAR, extra STRUCT("type" VARCHAR, enrollment_id VARCHAR)))[]} AS ping_info,
      {'uuid': {'legacy_telemetry_client_id': c.client_id},
       'timespan': {'glean_baseline_duration': {'value': CAST(round(d.active_hours_sum * 3600) AS BIGINT)}}} AS metrics
    FROM ${fq(tables.clientsDaily)} d
    JOIN ${fq(tables.clients)} c ON c.client_id = d.client_id`;
}

/**
 * Writes Mozilla-shaped synthetic telemetry into the `mozdata` catalog of a DuckDB warehouse:
 * everything is computed inside DuckDB from range() and seeded hashes, so 1M clients × 28 days
 * takes seconds, and the same options give identical tables.
 */
export async function generateSample(
  warehouse: Warehouse,
  options: SampleOptions,
  progress: {
    onStep?: (step: { table: string; index: number; total: number }) => void;
    signal?: AbortSignal;
  } = {},
): Promise<SampleSummary> {
  const parsed = SampleOptions.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const why = issue ? (requirement(issue, SampleOptions) ?? issue.message) : 'invalid';
    throw new RangeError(`sample option ${issue?.path.join('.') || '(options)'}: ${why}`);
  }
  const { clients, days, startDate, seed } = parsed.data;
  const experiments = parsed.data.experiments ?? defaultSampleExperiments();
  if (warehouse.dialect !== 'duckdb')
    throw new SampleWarehouseError('generateSample writes DuckDB SQL; use the embedded warehouse');
  const catalogs = await warehouse.query<{ n: number }>(
    "SELECT count(*) AS n FROM duckdb_databases() WHERE database_name = 'mozdata'",
  );
  if (catalogs[0]?.n !== 1) {
    throw new SampleWarehouseError(
      "the warehouse has no 'mozdata' catalog: open it with attach: { mozdata: <file or ':memory:'> }",
    );
  }
  const started = Date.now();
  const steps: [keyof typeof SAMPLE_TABLES, string][] = [
    ['clients', clientsSql(seed, clients, experiments)],
    ['clientsDaily', clientsDailySql(STAGED_TABLES, seed, days, startDate)],
    ['events', eventsSql(STAGED_TABLES, seed, days, startDate)],
    ['eventsStream', eventsStreamSql(STAGED_TABLES, seed, days, startDate)],
    ['baseline', baselineSql(STAGED_TABLES, seed)],
  ];
  const labels = { generator: 'contrail-sample', seed: String(seed) };
  const tables: SampleSummary['tables'] = [];
  const signal = progress.signal ? { signal: progress.signal } : {};
  try {
    for (const [index, [key, sql]] of steps.entries()) {
      progress.onStep?.({ table: fq(SAMPLE_TABLES[key]), index, total: steps.length });
      const result = await warehouse.runToTable({ sql, destination: STAGED_TABLES[key], labels, ...signal });
      tables.push({ table: fq(SAMPLE_TABLES[key]), rows: result.rows });
    }
    await warehouse.swapTables(
      steps.map(([key]) => ({ from: STAGED_TABLES[key], to: SAMPLE_TABLES[key] })),
      signal,
    );
  } catch (error) {
    // What was staged goes; the published tables were never touched.
    await warehouse.swapTables([], { drop: Object.values(STAGED_TABLES) }).catch(() => undefined);
    throw error;
  }
  return {
    clients,
    days,
    startDate,
    endDate: addDays(startDate, days - 1),
    seed,
    experiments: experiments.map((e) => e.slug),
    tables,
    seconds: (Date.now() - started) / 1000,
  };
}
