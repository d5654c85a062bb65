import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ViewSelection } from '../../../src/dashboard/api.js';
import { SQL_PROVENANCE_FILE, type SqlProvenanceMap } from '../../../src/dashboard/schema.js';
import { sqlPanel } from '../../../src/dashboard/sql-files.js';

const selection: ViewSelection = {
  dataset: 'tmp',
  experiment: 'my_exp',
  period: 'week',
  basis: 'enrollments',
  segment: 'all',
  metric: 'search_count',
  statistic: 'mean',
};

const METRICS_SQL = [
  'SELECT',
  '  e.analysis_id,',
  '  SUM(active_hours_sum) AS active_hours,',
  '  COALESCE(SUM(search_count_all), 0)',
  '    AS search_count',
  'FROM enrollments e',
].join('\n');

/** A `--sql-output-dir` of two dates, as `contrail preview` writes it. */
function sqlDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-sql-'));
  mkdirSync(join(dir, '2026-03-15'));
  mkdirSync(join(dir, '2026-03-22'));
  writeFileSync(join(dir, '2026-03-15', 'enrollments_my_exp.sql'), 'SELECT 1 AS search_count');
  writeFileSync(join(dir, '2026-03-15', 'metrics_my_exp_clients_daily_week_1.sql'), METRICS_SQL);
  writeFileSync(join(dir, '2026-03-22', 'metrics_my_exp_clients_daily_week_2.sql'), METRICS_SQL);
  writeFileSync(join(dir, '2026-03-22', 'metrics_my_exp_clients_daily_overall_1.sql'), METRICS_SQL);
  writeFileSync(
    join(dir, '2026-03-15', 'statistic_inputs_my_exp_exposures_clients_daily_week_1.sql'),
    'SELECT search_count FROM x',
  );
  writeFileSync(
    join(dir, '2026-03-15', 'statistic_inputs_my_exp_enrollments_clients_daily_week_1.sql'),
    'SELECT search_count FROM x',
  );
  return dir;
}

const config = (key: string, line: number) => ({ file: 'definitions/firefox_desktop.toml', key, line });

describe('the SQL panel: queries that produced the selected metric', () => {
  test('without a directory it says how to get one', async () => {
    const panel = await sqlPanel([], selection);
    assert.deepEqual(panel.queries, []);
    assert.match(panel.note ?? '', /--sql-output-dir/);
  });

  test('without a provenance map: found by table name (experiment, period, basis), metric lines marked', async () => {
    const panel = await sqlPanel([sqlDir()], selection);
    assert.equal(panel.traced, false);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      [
        '2026-03-15/metrics_my_exp_clients_daily_week_1.sql',
        '2026-03-15/statistic_inputs_my_exp_enrollments_clients_daily_week_1.sql',
        '2026-03-22/metrics_my_exp_clients_daily_week_2.sql',
      ],
    );
    assert.deepEqual(panel.queries[0]?.highlight, [{ start: 5, end: 5 }]);
    assert.deepEqual(panel.queries[0]?.references, []);
    assert.match(panel.note ?? '', /no provenance\.json for this experiment/);
  });

  test('with a provenance map: its queries for the metric, period and basis, with the metric’s config references', async () => {
    const dir = sqlDir();
    const map: SqlProvenanceMap = {
      version: 1,
      experiment: 'my-exp',
      dataset: 'tmp',
      queries: [
        {
          file: '2026-03-22/metrics_my_exp_clients_daily_week_2.sql',
          destination: { dataset: 'tmp', table: 'metrics_my_exp_clients_daily_week_2' },
          analysisDate: '2026-03-22',
          period: 'week',
          windowIndex: 2,
          analysisBasis: null,
          metrics: ['active_hours', 'search_count'],
          references: [
            {
              column: 'active_hours',
              sqlLines: { start: 3, end: 3 },
              config: config('metrics.active_hours.select_expression', 12),
            },
            {
              column: 'search_count',
              sqlLines: { start: 4, end: 5 },
              config: config('metrics.search_count.select_expression', 28),
            },
            {
              column: null,
              sqlLines: { start: 6, end: 6 },
              config: config('data_sources.clients_daily.from_expression', 75),
            },
          ],
        },
        {
          file: '2026-03-15/metrics_my_exp_clients_daily_week_1.sql',
          destination: { dataset: 'tmp', table: 'metrics_my_exp_clients_daily_week_1' },
          analysisDate: '2026-03-15',
          period: 'week',
          windowIndex: 1,
          analysisBasis: null,
          metrics: ['active_hours', 'search_count'],
          references: [],
        },
        {
          file: '2026-03-22/metrics_my_exp_clients_daily_overall_1.sql',
          destination: { dataset: 'tmp', table: 'metrics_my_exp_clients_daily_overall_1' },
          analysisDate: '2026-03-22',
          period: 'overall',
          windowIndex: 1,
          analysisBasis: null,
          metrics: ['search_count'],
          references: [],
        },
        {
          file: '2026-03-15/statistic_inputs_my_exp_exposures_clients_daily_week_1.sql',
          destination: { dataset: 'tmp', table: 'statistic_inputs_my_exp_exposures_clients_daily_week_1' },
          analysisDate: '2026-03-15',
          period: 'week',
          windowIndex: 1,
          analysisBasis: 'exposures',
          metrics: ['search_count'],
          references: [],
        },
        {
          file: '2026-03-15/enrollments_my_exp.sql',
          destination: { dataset: 'tmp', table: 'enrollments_my_exp' },
          analysisDate: '2026-03-15',
          period: null,
          windowIndex: null,
          analysisBasis: null,
          metrics: [],
          references: [],
        },
        {
          file: '../../etc/passwd.sql',
          destination: { dataset: 'tmp', table: 'escape' },
          analysisDate: null,
          period: null,
          windowIndex: null,
          analysisBasis: null,
          metrics: ['search_count'],
          references: [],
        },
      ],
    };
    writeFileSync(join(dir, SQL_PROVENANCE_FILE), JSON.stringify(map));
    const panel = await sqlPanel([dir], selection);
    assert.equal(panel.traced, true);
    assert.deepEqual(
      panel.queries.map((q) => q.table),
      ['metrics_my_exp_clients_daily_week_1', 'metrics_my_exp_clients_daily_week_2'],
    );
    const week2 = panel.queries[1]!;
    assert.deepEqual(
      week2.references.map((r) => r.config.key),
      ['metrics.search_count.select_expression', 'data_sources.clients_daily.from_expression'],
    );
    assert.deepEqual(week2.highlight, [{ start: 4, end: 5 }]);
    assert.equal(week2.sql, METRICS_SQL);
    assert.match(panel.note ?? '', /file '\.\.\/\.\.\/etc\/passwd\.sql' is outside the map's directory/);
  });

  test('a malformed map is reported, and the files are still found by name', async () => {
    const dir = sqlDir();
    writeFileSync(join(dir, SQL_PROVENANCE_FILE), JSON.stringify({ version: 2, queries: [] }));
    const panel = await sqlPanel([dir], selection);
    assert.equal(panel.traced, false);
    assert.equal(panel.queries.length, 3);
    assert.match(panel.note ?? '', /provenance\.json: version: /);
  });
});
