import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import type { PlannedQuery } from '../../../src/sql/plan/types.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { countTableScans, explainJsonSql } from '../../../src/sql/render/duckdb-explain.js';
import { PlannedQueryError, runPlannedQuery } from '../../../src/sql/run.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { testExperiment } from '../../helpers/experiment.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';

/**
 * Every metric and data source of metric-hub's firefox_desktop defaults renders, and DuckDB
 * accepts and runs the SQL against empty tables of the columns the configs use (including
 * `mozfun.bits28.days_since_seen`, rendered inline). A metric whose SQL fails is named, with its
 * config file and the warehouse's message, and leaves no table behind.
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

let warehouse: Warehouse;
let spec: AnalysisSpec;

before(async () => {
  warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
  for (const sql of SCHEMA) await warehouse.execute(sql);
  await warehouse.createDataset('contrail');
  const collection = await loadConfigCollection({ repos: [metricHubFixtures()] });
  spec = resolveAnalysisSpec(
    collection,
    testExperiment({
      slug: 'desktop-defaults',
      appId: 'firefox-desktop',
      channel: 'release',
      status: 'complete',
      endDate: '2024-02-15',
      proposedDuration: 45,
    }),
  ).spec;
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
  it('every period renders and runs', async () => {
    const failures = new Map<string, PlannedQueryError>();
    const rendered = new Set<string>();
    // Enrollment end (day + pre-enrollment), week 1, overall.
    for (const date of ['2024-01-09', '2024-01-14', '2024-02-15']) {
      const plan = planAnalysis(spec, date, { dataset: 'contrail', dialect: duckdbDialect() });
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
    assert.deepEqual(
      [...failures.values()].map((e) => e.message),
      [],
    );
  });

  it('a metric whose SQL fails names the metric, its config file and the warehouse message, and leaves no table', async () => {
    const broken: AnalysisSpec = {
      ...spec,
      metrics: {
        ...spec.metrics,
        week: spec.metrics.week.map((m) =>
          m.name === 'active_hours' ? { ...m, selectExpression: 'SUM(no_such_column)' } : m,
        ),
      },
    };
    const plan = planAnalysis(broken, '2024-01-14', { dataset: 'contrail', dialect: duckdbDialect() });
    const scan = plan.windows
      .find((w) => w.window.period === 'week')
      ?.metricsScans.find((q) => q.dataSource === 'clients_daily');
    assert.ok(scan);
    await warehouse.dropTable(scan.destination);
    const error = await runPlannedQuery(warehouse, scan).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof PlannedQueryError, String(error));
    const configFile = join(metricHubFixtures(), 'definitions', 'firefox_desktop.toml');
    assert.ok(
      error.message.includes(`active_hours (${configFile}: metrics.active_hours`),
      `expected the metric, ${configFile} and its key in: ${error.message}`,
    );
    assert.match(error.message, /warehouse said: .*no_such_column/);
    // Only the metric on the line DuckDB points at, not every metric the scan computes.
    const others = (scan.metrics ?? []).map((m) => m.name).filter((name) => name !== 'active_hours');
    assert.ok(others.length > 0, 'the scan computes other metrics');
    assert.deepEqual(
      others.filter((name) => error.message.includes(`${name} (`)),
      [],
      error.message,
    );
    assert.match(error.message, /; the metric the warehouse points at: active_hours \(/);
    assert.equal(error.permanent, true);
    assert.equal(await warehouse.tableExists(scan.destination), false);
  });

  it('names the config file and key of each metric in the SQL', () => {
    const plan = planAnalysis(spec, '2024-01-14', { dataset: 'contrail', dialect: duckdbDialect() });
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

  it('reads each data source once per period: only the scans read data sources (EXPLAIN)', async () => {
    const plan = planAnalysis(spec, '2024-01-14', { dataset: 'contrail', dialect: duckdbDialect() });
    assert.ok(plan.enrollments);
    // A row a day, so DuckDB cannot optimise a scan away as empty (its min/max statistics see every date).
    for (const [table, extra] of [
      ['telemetry.clients_daily', ''],
      ['telemetry.desktop_active_users', ''],
      ['telemetry.events', 'event_category'],
      ['search.search_clients_engines_sources_daily', ''],
    ]) {
      await warehouse.execute(
        `INSERT INTO mozdata.${table} (client_id, submission_date${extra ? `, ${extra}` : ''})
         SELECT 'a', DATE '2023-12-01' + CAST(i AS INTEGER)${extra ? `, 'normandy'` : ''} FROM range(90) r(i)`,
      );
    }
    await runPlannedQuery(warehouse, plan.enrollments);
    await warehouse.execute(
      `INSERT INTO contrail.enrollments_desktop_defaults VALUES ('a', 'control', DATE '2024-01-02', 1, DATE '2024-01-03', 1)`,
    );
    assert.deepEqual(
      plan.windows.map((w) => `${w.window.period}_${w.window.windowIndex}`),
      ['day_7', 'week_1'],
    );
    for (const w of plan.windows) {
      for (const q of [...w.metricsScans, ...w.metrics, ...w.statisticInputs])
        await runPlannedQuery(warehouse, q);
      // Both bases of every data source come from one scan.
      assert.deepEqual(
        w.metrics.map((q) => `${q.analysisBasis}:${q.dataSource}`).sort(),
        w.metricsScans.flatMap((q) => [`enrollments:${q.dataSource}`, `exposures:${q.dataSource}`]).sort(),
      );
      const sourceScans = new Map<string, number>();
      for (const q of [...w.metricsScans, ...w.metrics, ...w.statisticInputs]) {
        const scans = countTableScans(await warehouse.query(explainJsonSql(q.sql)));
        for (const [table, n] of scans) {
          if (!table.startsWith('mozdata.')) continue;
          assert.equal(q.kind, 'metrics_scan', `${q.destination.table} reads ${table}`);
          assert.equal(n, 1, `${q.destination.table} reads ${table} ${n} times`);
          sourceScans.set(q.dataSource!, (sourceScans.get(q.dataSource!) ?? 0) + n);
        }
      }
      assert.deepEqual(
        Object.fromEntries(sourceScans),
        Object.fromEntries(w.metricsScans.map((q) => [q.dataSource!, 1])),
      );
    }
  });
});
