import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import type { PlannedQuery } from '../../../src/sql/plan/types.js';
import { countTableScans, explainJsonSql } from '../../../src/sql/render/duckdb-explain.js';
import { PlannedQueryError, runPlannedQuery } from '../../../src/sql/run.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';

/**
 * Every metric and data source of metric-hub's firefox_desktop defaults renders, and DuckDB
 * accepts and runs the SQL against empty tables of the columns the configs use — except the
 * fragments listed in UNSUPPORTED, which must fail with a message naming the metric.
 */
const MAP = 'STRUCT(key VARCHAR, value VARCHAR)[]';
const SCHEMA = [
  'CREATE SCHEMA mozdata.telemetry',
  'CREATE SCHEMA mozdata.search',
  `CREATE TABLE mozdata.telemetry.events (client_id VARCHAR, profile_group_id VARCHAR, submission_date DATE, sample_id INTEGER,
     event_category VARCHAR, event_method VARCHAR, event_object VARCHAR, event_string_value VARCHAR,
     event_map_values ${MAP}, experiments STRUCT(key VARCHAR, value STRUCT(branch VARCHAR))[])`,
  `CREATE TABLE mozdata.telemetry.clients_daily (client_id VARCHAR, submission_date DATE, sample_id INTEGER,
     pings_aggregated_by_this_row BIGINT, active_hours_sum DOUBLE, scalar_parent_browser_engagement_total_uri_count_sum BIGINT,
     scalar_parent_browser_engagement_total_uri_count_normal_and_private_mode_sum BIGINT, is_default_browser BOOLEAN,
     experiments ${MAP})`,
  `CREATE TABLE mozdata.telemetry.desktop_active_users (client_id VARCHAR, submission_date DATE, is_dau BOOLEAN,
     is_desktop BOOLEAN, days_active_bits BIGINT)`,
  `CREATE TABLE mozdata.search.search_clients_engines_sources_daily (client_id VARCHAR, submission_date DATE, sap BIGINT,
     ad_click BIGINT, organic BIGINT, search_with_ads BIGINT, tagged_sap BIGINT, tagged_follow_on BIGINT)`,
];

/** Config fragments DuckDB cannot run, and why (reported in the notes). */
const UNSUPPORTED: Record<string, string> = {
  active_in_last_3_days_legacy: 'mozfun.bits28.days_since_seen is a BigQuery UDF with no DuckDB macro',
};

let warehouse: Warehouse;
let spec: AnalysisSpec;

before(async () => {
  warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
  for (const sql of SCHEMA) await warehouse.execute(sql);
  await warehouse.createDataset('contrail');
  const collection = await loadConfigCollection({ repos: ['/work/shared/fixtures/metric-hub'] });
  spec = resolveAnalysisSpec(collection, {
    slug: 'desktop-defaults',
    appName: 'firefox_desktop',
    appId: 'firefox-desktop',
    channel: 'release',
    status: 'complete',
    branches: [
      { slug: 'control', ratio: 1 },
      { slug: 'treatment', ratio: 1 },
    ],
    referenceBranch: 'control',
    startDate: '2024-01-01',
    endDate: '2024-02-15',
    enrollmentEndDate: null,
    proposedEnrollment: 7,
    proposedDuration: 45,
    isRollout: false,
    isEnrollmentPaused: false,
    isHighPopulation: false,
    outcomes: [],
    segments: [],
    featureIds: [],
  }).spec;
});

after(async () => {
  await warehouse.close();
});

async function runAll(queries: PlannedQuery[], failures: Map<string, PlannedQueryError>): Promise<void> {
  for (const q of queries) {
    try {
      await runPlannedQuery(warehouse, q);
    } catch (error) {
      assert.ok(error instanceof PlannedQueryError, String(error));
      failures.set(q.destination.table, error);
    }
  }
}

describe('firefox_desktop defaults on DuckDB', () => {
  it('every period renders and runs; only the unsupported fragments fail, naming metric, file and warehouse message', async () => {
    const failures = new Map<string, PlannedQueryError>();
    const rendered = new Set<string>();
    // Enrollment end (day + pre-enrollment), week 1, overall.
    for (const date of ['2024-01-09', '2024-01-14', '2024-02-15']) {
      const plan = planAnalysis(spec, date, { dataset: 'contrail' });
      assert.ok(plan.enrollments);
      if (date === '2024-01-09') await runAll([plan.enrollments], failures);
      await runAll(plan.metrics, failures);
      await runAll(plan.statisticInputs, failures);
      for (const q of plan.metrics) for (const m of q.metrics ?? []) rendered.add(`${q.period}:${m.name}`);
    }
    // Every configured metric with SQL was rendered for every period it is listed in.
    for (const period of ['day', 'week', 'overall', 'preenrollment_week', 'preenrollment_days28'] as const) {
      for (const m of spec.metrics[period])
        assert.ok(rendered.has(`${period}:${m.name}`), `${period}:${m.name} not rendered`);
    }
    const failedMetricsTables = [...failures.entries()].filter(([, e]) => e.planned.kind === 'metrics');
    assert.ok(failedMetricsTables.length > 0);
    for (const [table, error] of failedMetricsTables) {
      const culprits = (error.planned.metrics ?? []).filter((m) => m.name in UNSUPPORTED);
      assert.ok(culprits.length > 0, `${table} failed unexpectedly: ${error.message}`);
      assert.match(
        error.message,
        /active_in_last_3_days_legacy \(\/work\/shared\/fixtures\/metric-hub\/[^)]*firefox_desktop\.toml/,
      );
      assert.match(error.message, /bits28/);
      assert.equal(await warehouse.tableExists(error.planned.destination), false, `${table} left behind`);
    }
    // Statistic inputs fail only where their metrics table could not be written.
    for (const [table, error] of failures) {
      if (error.planned.kind !== 'statistic_inputs') continue;
      const source = table.replace(/^statistic_inputs_/, '');
      assert.ok(failures.has(source), `${table} failed although ${source} exists: ${error.message}`);
    }
  });

  it('names the config file and key of each metric in the SQL', () => {
    const plan = planAnalysis(spec, '2024-01-14', { dataset: 'contrail' });
    const week = plan.metrics.find((q) => q.period === 'week' && q.dataSource === 'clients_daily');
    assert.ok(week);
    assert.match(week.sql, /^-- contrail: metrics per client/);
    assert.match(week.sql, /-- period: week, window: 1 \(days 0\.\.6\)/);
    assert.match(
      week.sql,
      /-- data source: clients_daily \(.*definitions\/firefox_desktop\.toml: data_sources\.clients_daily/,
    );
    assert.match(week.sql, /-- {3}active_hours: .*firefox_desktop\.toml: metrics\.active_hours/);
  });

  it('reads each data source once per metrics query (EXPLAIN)', async () => {
    const plan = planAnalysis(spec, '2024-01-14', { dataset: 'contrail' });
    const q = plan.metrics.find(
      (x) => x.period === 'week' && x.dataSource === 'search_clients_engines_sources_daily',
    );
    assert.ok(q);
    assert.ok(plan.enrollments);
    await runPlannedQuery(warehouse, plan.enrollments);
    // One row each, so DuckDB cannot optimise the scans away as empty.
    await warehouse.execute(
      `INSERT INTO mozdata.search.search_clients_engines_sources_daily (client_id, submission_date, sap) VALUES ('a', DATE '2024-01-04', 1)`,
    );
    await warehouse.execute(
      `INSERT INTO contrail.enrollments_desktop_defaults VALUES ('a', 'control', DATE '2024-01-02', 1, NULL, NULL)`,
    );
    const explained = await warehouse.query(explainJsonSql(q.sql));
    const scans = countTableScans(explained);
    assert.deepEqual(Object.fromEntries(scans), {
      'mozdata."search".search_clients_engines_sources_daily': 1,
      'memory.contrail.enrollments_desktop_defaults': 1,
    });
  });
});
