import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { Experiment } from '../../../src/experiments/experiment.js';
import {
  generateSample,
  SAMPLE_SCHEMA,
  SAMPLE_TABLES,
  type SampleSummary,
} from '../../../src/sample/generate.js';
import {
  DEMO_SLUG,
  defaultSampleExperiments,
  sampleExperimentsJson,
} from '../../../src/sample/population.js';
import { translateBigQueryToDuckDb } from '../../../src/sql/render/duckdb.js';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';

const OPTIONS = { clients: 6000, days: 56, startDate: '2026-02-02', seed: 7 };

function open(): Promise<DuckDbWarehouse> {
  return openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
}

/** Order-independent checksum of every generated table. */
async function checksums(wh: DuckDbWarehouse): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ref of Object.values(SAMPLE_TABLES)) {
    const [row] = await wh.query<{ n: number; h: number | string }>(
      `SELECT count(*) AS n, sum(hash(t)::HUGEINT) AS h FROM ${ref.dataset}.${ref.table} t`,
    );
    out[`${ref.dataset}.${ref.table}`] = `${row?.n}:${row?.h}`;
  }
  return out;
}

describe('generateSample', () => {
  let wh: DuckDbWarehouse;
  let summary: SampleSummary;
  before(async () => {
    wh = await open();
    summary = await generateSample(wh, OPTIONS);
  });
  after(async () => {
    await wh.close();
  });

  test('summary names every table with its row count', async () => {
    assert.equal(summary.endDate, '2026-03-29');
    assert.deepEqual(
      summary.tables.map((t) => t.table),
      Object.values(SAMPLE_TABLES).map((r) => `${r.dataset}.${r.table}`),
    );
    const [clients] = summary.tables;
    assert.equal(clients?.rows, OPTIONS.clients);
    for (const t of summary.tables) assert.ok(t.rows > 0, `${t.table} has rows`);
  });

  test('tables have the documented schema', async () => {
    for (const [key, ref] of Object.entries(SAMPLE_TABLES)) {
      const columns = await wh.query<{ column_name: string; column_type: string }>(
        `DESCRIBE ${ref.dataset}.${ref.table}`,
      );
      assert.deepEqual(
        Object.fromEntries(columns.map((c) => [c.column_name, c.column_type])),
        SAMPLE_SCHEMA[key as keyof typeof SAMPLE_TABLES],
        key,
      );
    }
  });

  test('same seed → identical tables; another seed → different tables', async () => {
    const again = await open();
    const other = await open();
    try {
      await generateSample(again, OPTIONS);
      await generateSample(other, { ...OPTIONS, seed: 8 });
      const mine = await checksums(wh);
      assert.deepEqual(await checksums(again), mine);
      const theirs = await checksums(other);
      for (const table of Object.keys(mine)) assert.notEqual(theirs[table], mine[table], table);
    } finally {
      await again.close();
      await other.close();
    }
  });

  test('clients_daily: sample_id in 0–99, dates in range, one row per client-day', async () => {
    const [row] =
      await wh.query(`SELECT min(sample_id) AS lo, max(sample_id) AS hi, count(DISTINCT sample_id) AS ids,
      min(submission_date) AS first, max(submission_date) AS last,
      count(*) - count(DISTINCT (client_id, submission_date)) AS duplicates
      FROM mozdata.telemetry.clients_daily`);
    assert.deepEqual(row, {
      lo: 0,
      hi: 99,
      ids: 100,
      first: '2026-02-02',
      last: '2026-03-29',
      duplicates: 0,
    });
  });

  test('branch split follows the ratios (demo 2:1:1) and clients enroll in the enrollment period', async () => {
    const rows = await wh.query<{ branch: string; n: number; first: string; last: string }>(
      `SELECT branch, count(*) AS n, min(enrollment_date) AS first, max(enrollment_date) AS last
       FROM mozdata.contrail_sample.clients WHERE experiment = '${DEMO_SLUG}' GROUP BY branch ORDER BY branch`,
    );
    const total = rows.reduce((s, r) => s + r.n, 0);
    assert.ok(Math.abs(total / OPTIONS.clients - 0.7) < 0.03, `demo share ${total / OPTIONS.clients}`);
    const share = Object.fromEntries(rows.map((r) => [r.branch, r.n / total]));
    assert.ok(Math.abs((share.control ?? 0) - 0.5) < 0.03, `control ${share.control}`);
    assert.ok(Math.abs((share['treatment-a'] ?? 0) - 0.25) < 0.03, `treatment-a ${share['treatment-a']}`);
    assert.ok(Math.abs((share['treatment-b'] ?? 0) - 0.25) < 0.03, `treatment-b ${share['treatment-b']}`);
    for (const r of rows) assert.deepEqual([r.first, r.last], ['2026-03-02', '2026-03-08']);
  });

  test("events_stream's experiments JSON reads as BigQuery configs read it: experiments.`slug`.branch", async () => {
    // As a config writes it (contextual-chatbot experiments), through the DuckDB renderer.
    const branch = translateBigQueryToDuckDb(`JSON_VALUE(experiments.\`${DEMO_SLUG}\`.branch)`);
    const [row] = await wh.query(`SELECT count(*) AS events,
      count(*) FILTER (WHERE ${branch} IS DISTINCT FROM json_extract_string(event_extra, '$.branch')) AS mismatched,
      count(metrics) AS with_metrics
      FROM mozdata.firefox_desktop.events_stream WHERE json_extract_string(event_extra, '$.experiment') = '${DEMO_SLUG}'`);
    assert.ok(Number(row?.events) > 0, JSON.stringify(row));
    assert.equal(row?.mismatched, 0);
    assert.equal(row?.with_metrics, 0);
    // metrics.boolean.… (firefox-suggest configs) compiles: the column exists, as JSON.
    await wh.query(
      `SELECT ${translateBigQueryToDuckDb('LOGICAL_OR(COALESCE(CAST(JSON_VALUE(metrics.boolean.urlbar_pref_suggest_all) AS BOOL), FALSE))')} AS v FROM mozdata.firefox_desktop.events_stream`,
    );
  });

  test('enrollment and exposure events agree across legacy events, Glean events_stream and baseline', async () => {
    const [truth] = await wh.query(
      `SELECT count(*) AS enrolled, count(exposure_date) AS exposed FROM mozdata.contrail_sample.clients
       WHERE experiment = '${DEMO_SLUG}'`,
    );
    const [normandy] = await wh.query(`SELECT
      count(DISTINCT client_id) FILTER (WHERE event_method = 'enroll') AS enrolled,
      count(DISTINCT client_id) FILTER (WHERE event_method = 'expose') AS exposed
      FROM mozdata.telemetry.events WHERE event_category = 'normandy' AND event_string_value = '${DEMO_SLUG}'`);
    const [glean] = await wh.query(`SELECT
      count(DISTINCT legacy_telemetry_client_id) FILTER (WHERE event_name = 'enrollment') AS enrolled,
      count(DISTINCT legacy_telemetry_client_id) FILTER (WHERE event_name = 'exposure') AS exposed
      FROM mozdata.firefox_desktop.events_stream
      WHERE event_category = 'nimbus_events' AND json_value(event_extra, '$.experiment') = '"${DEMO_SLUG}"'`);
    assert.deepEqual(normandy, truth);
    assert.deepEqual(glean, truth);
    // What the normandy enrollment query reads: the branch from event_map_values.
    const [branches] = await wh.query(`SELECT count(*) AS mismatched FROM mozdata.telemetry.events e
      JOIN mozdata.contrail_sample.clients c USING (client_id)
      WHERE e.event_method = 'enroll' AND mozfun.map.get_key(e.event_map_values, 'branch') IS DISTINCT FROM c.branch`);
    assert.deepEqual(branches, { mismatched: 0 });
    // fenix-fallback style: first baseline ping carrying the experiment = enrollment date.
    const [baseline] = await wh.query(`SELECT count(*) AS clients,
      count(*) FILTER (WHERE first_seen = c.enrollment_date AND b.branch = c.branch) AS matching FROM (
        SELECT metrics.uuid.legacy_telemetry_client_id AS client_id,
          mozfun.map.get_key(ping_info.experiments, '${DEMO_SLUG}').branch AS branch,
          min(CAST(submission_timestamp AS DATE)) AS first_seen
        FROM mozdata.firefox_desktop.baseline
        WHERE mozfun.map.get_key(ping_info.experiments, '${DEMO_SLUG}').branch IS NOT NULL GROUP BY ALL) b
      JOIN mozdata.contrail_sample.clients c USING (client_id)`);
    assert.equal(baseline?.clients, truth?.enrolled);
    assert.equal(baseline?.matching, truth?.enrolled);
  });

  test('effects go the right direction for exposed clients, and pre-period activity predicts post-period', async () => {
    const rows = await wh.query<{
      branch: string;
      active_hours: number;
      ad_clicks: number;
      searches: number;
    }>(`
      SELECT c.branch, avg(d.active_hours_sum) AS active_hours, avg(d.ad_clicks_count_all) AS ad_clicks,
        avg(d.search_count_all) AS searches
      FROM mozdata.contrail_sample.clients c JOIN mozdata.telemetry.clients_daily d USING (client_id)
      WHERE c.experiment = '${DEMO_SLUG}' AND d.submission_date >= c.exposure_date
      GROUP BY c.branch`);
    const by = Object.fromEntries(rows.map((r) => [r.branch, r]));
    const control = by.control;
    assert.ok(control);
    assert.ok(
      (by['treatment-a']?.active_hours ?? 0) > control.active_hours,
      'treatment-a raises active hours',
    );
    assert.ok((by['treatment-a']?.searches ?? 0) > control.searches, 'treatment-a raises searches');
    assert.ok(
      (by['treatment-b']?.active_hours ?? Infinity) < control.active_hours,
      'treatment-b lowers active hours',
    );
    assert.ok((by['treatment-b']?.ad_clicks ?? Infinity) < control.ad_clicks, 'treatment-b lowers ad clicks');

    const [corr] = await wh.query<{ r: number }>(`
      WITH per_client AS (
        SELECT c.client_id,
          coalesce(sum(d.active_hours_sum) FILTER (WHERE d.submission_date BETWEEN c.enrollment_date - 7 AND c.enrollment_date - 1), 0) AS pre,
          coalesce(sum(d.active_hours_sum) FILTER (WHERE d.submission_date BETWEEN c.enrollment_date AND c.enrollment_date + 6), 0) AS post
        FROM mozdata.contrail_sample.clients c JOIN mozdata.telemetry.clients_daily d USING (client_id)
        WHERE c.experiment = '${DEMO_SLUG}' GROUP BY c.client_id)
      SELECT corr(pre, post) AS r FROM per_client`);
    assert.ok((corr?.r ?? 0) > 0.5, `pre/post correlation ${corr?.r}`);
  });

  test('rejects bad options naming the option', async () => {
    for (const clients of [0, 0.5])
      await assert.rejects(
        generateSample(wh, { ...OPTIONS, clients }),
        /^RangeError: sample option clients: must be a whole number above 0 and at most 100,000,000$/,
      );
    await assert.rejects(
      generateSample(wh, { ...OPTIONS, startDate: '2026-02-30' }),
      /sample option startDate/,
    );
    const plain = await openDuckDbWarehouse({ path: ':memory:' });
    try {
      await assert.rejects(generateSample(plain, OPTIONS), /no 'mozdata' catalog/);
    } finally {
      await plain.close();
    }
  });

  test('a sample stopped part way leaves the tables as they were and nothing staged', async () => {
    const small = { clients: 300, days: 10, startDate: '2026-02-02', seed: 3 };
    const before = await open();
    try {
      await generateSample(before, small);
      const kept = await checksums(before);
      // Another seed, stopped after two of its tables are written.
      const abort = new AbortController();
      await assert.rejects(
        generateSample(
          before,
          { ...small, seed: 4 },
          {
            signal: abort.signal,
            onStep: ({ index }) => {
              if (index === 2) abort.abort(new Error('stopped'));
            },
          },
        ),
      );
      assert.deepEqual(await checksums(before), kept);
      const staged = await before.query<{ name: string }>(
        "SELECT table_name AS name FROM duckdb_tables() WHERE table_name LIKE 'staging%'",
      );
      assert.deepEqual(staged, []);
    } finally {
      await before.close();
    }
  });
});

describe('demo experiments and config repo', () => {
  test('experiments.json holds five experiments in Experimenter v8 shape; four are launched desktop ones', () => {
    const all = sampleExperimentsJson() as Record<string, unknown>[];
    assert.equal(all.length, 5);
    for (const e of all) {
      for (const key of [
        'slug',
        'appName',
        'appId',
        'branches',
        'startDate',
        'endDate',
        'enrollmentEndDate',
      ]) {
        assert.ok(key in e, `${String(e.slug)} has ${key}`);
      }
    }
    assert.deepEqual(
      defaultSampleExperiments().map((e) => e.slug),
      all.filter((e) => e.startDate !== null).map((e) => e.slug),
    );
  });

  test("every data source of the demo config reads columns the sample's tables have", async () => {
    const repo = fileURLToPath(new URL('../../../src/sample/metric-hub', import.meta.url));
    const collection = await loadConfigCollection({ repos: [repo] });
    // The column each experiments_column_type reads the experiment's branch from (mozanalysis).
    const needs: Record<string, string | null> = {
      none: null,
      simple: 'experiments',
      native: 'experiments',
      glean: 'ping_info',
      events_stream: 'event_extra',
    };
    const tables = new Map(
      Object.entries(SAMPLE_TABLES).map(([key, ref]) => [
        `${ref.dataset}.${ref.table}`,
        SAMPLE_SCHEMA[key as keyof typeof SAMPLE_TABLES],
      ]),
    );
    let checked = 0;
    for (const [name, { def }] of collection.platformDefinitions('firefox_desktop').dataSources) {
      const columns = tables.get(def.from_expression?.trim() ?? '');
      if (!columns) continue; // a query over several tables, checked by the analyses that use it
      const column = needs[def.experiments_column_type ?? 'simple'];
      if (column) assert.ok(column in columns, `data source ${name} reads ${def.from_expression}.${column}`);
      checked++;
    }
    assert.ok(checked >= 2, `${checked} data sources read one sample table`);
  });

  test('the demo config resolves: segments, exposure signal, all five statistics', async () => {
    const repo = fileURLToPath(new URL('../../../src/sample/metric-hub', import.meta.url));
    const collection = await loadConfigCollection({ repos: [repo] });
    const v8 = (sampleExperimentsJson() as { slug: string }[]).find((e) => e.slug === DEMO_SLUG) as Record<
      string,
      unknown
    >;
    const experiment = Experiment.parse({
      ...v8,
      appId: v8.appId,
      status: 'complete',
      outcomes: (v8.outcomes as { slug: string }[]).map((o) => o.slug),
    });
    const { spec } = resolveAnalysisSpec(collection, experiment);
    assert.equal(spec.enrollmentPeriod, 7);
    assert.deepEqual(
      spec.segments.map((s) => s.name),
      ['us_clients', 'heavy_users'],
    );
    assert.equal(spec.segmentDataSources.clients_daily_week_before?.windowStart, -7);
    assert.equal(spec.exposureSignal?.name, 'saw_new_sidebar');
    const statistics = new Set(
      Object.values(spec.metrics).flatMap((metrics) =>
        metrics.flatMap((m) => m.statistics.map((s) => s.name)),
      ),
    );
    for (const name of ['bootstrap_mean', 'binomial', 'deciles', 'linear_model_mean', 'count']) {
      assert.ok(statistics.has(name), `${name} is used`);
    }
    const lm = spec.metrics.week
      ?.find((m) => m.name === 'active_hours')
      ?.statistics.find((s) => s.name === 'linear_model_mean');
    assert.deepEqual(lm?.params.covariate_adjustment, { period: 'preenrollment_week' });
  });
});
