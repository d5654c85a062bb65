import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  belongsToExperiment,
  enrollmentsTableName,
  experimentSlugsIn,
  metricsScanTableName,
  metricsTableName,
  metricsViewName,
  statisticInputsTableName,
  statisticsTableName,
  statisticsViewName,
  supersededLegacyScans,
} from '../../../src/sql/names.js';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
import { duckdbDialect, translateBigQueryToDuckDb } from '../../../src/sql/render/duckdb.js';
import { assertPlainName } from '../../../src/warehouse/identifiers.js';

describe('table names', () => {
  it('follows jetstream with normalized slugs', () => {
    assert.equal(enrollmentsTableName('my-exp.v2'), 'enrollments_my_exp_v2');
    assert.equal(
      metricsTableName('my-exp', 'exposures', 'clients_daily', 'week', 3),
      'my_exp_exposures_clients_daily_week_3',
    );
    assert.equal(
      statisticsTableName('my-exp', 'preenrollment_days28', 1),
      'statistics_my_exp_preenrollment_days28_1',
    );
    assert.equal(metricsViewName('my-exp', 'enrollments', 'day'), 'my_exp_enrollments_daily');
    assert.equal(
      statisticsViewName('my-exp', 'preenrollment_week'),
      'statistics_my_exp_preenrollment_weekly',
    );
    assert.equal(
      statisticInputsTableName('e', 'enrollments', 'ds', 'overall', 1),
      'statistic_inputs_e_enrollments_ds_overall_1',
    );
  });

  it('a slug starting with a digit names tables starting with a digit, quoted in both dialects', () => {
    const table = metricsTableName('1-click-pin-experiment', 'enrollments', 'clients_daily', 'day', 1);
    assert.equal(table, '1_click_pin_experiment_enrollments_clients_daily_day_1');
    assert.equal(
      metricsViewName('3rd-party-cookie-deprecation', 'exposures', 'week'),
      '3rd_party_cookie_deprecation_exposures_weekly',
    );
    const ref = { dataset: 'contrail', table };
    assert.equal(duckdbDialect().table(ref), `"contrail"."${table}"`);
    assert.equal(bigqueryDialect({ project: 'my-project' }).table(ref), `\`my-project.contrail.${table}\``);
    assert.equal(duckdbDialect().sharedTable('telemetry', '1st_table'), 'mozdata.telemetry."1st_table"');
    assert.equal(belongsToExperiment(table, '1_click_pin_experiment', ['1_click_pin_experiment']), true);
    // Columns and struct fields are written unquoted in places: they still start with a letter or `_`.
    assert.throws(() => assertPlainName('1st_column'), /invalid column name "1st_column"/);
    assert.throws(() => bigqueryDialect().structField('s', '1x'), /invalid struct field "1x"/);
  });

  it('cannot carry SQL: hostile slugs become plain identifiers', () => {
    assert.equal(enrollmentsTableName('x"; DROP TABLE t; --'), 'enrollments_x___DROP_TABLE_t____');
  });
});

describe('belongsToExperiment', () => {
  const all = ['foo', 'foo_bar'];
  it("tells an experiment's tables and views from another's that shares its prefix", () => {
    const foo = [
      'enrollments_foo',
      'foo_enrollments_main_day_1',
      'foo_exposures_weekly',
      'metrics_3_foo_main_week_2',
      // The scan's name before the slug's length was in it.
      'metrics_foo_main_week_2',
      'statistic_inputs_foo_enrollments_main_day_1',
      'statistics_foo_day_1',
      'statistics_foo_daily',
    ];
    const fooBar = [
      'enrollments_foo_bar',
      'foo_bar_enrollments_main_day_1',
      'statistics_foo_bar_day_1',
      'metrics_7_foo_bar_main_week_2',
    ];
    for (const name of foo) assert.equal(belongsToExperiment(name, 'foo', all), true, name);
    for (const name of fooBar) {
      assert.equal(belongsToExperiment(name, 'foo', all), false, name);
      assert.equal(belongsToExperiment(name, 'foo_bar', all), true, name);
    }
    assert.equal(belongsToExperiment('logs', 'foo', all), false);
    assert.equal(belongsToExperiment('statistics_foo_day_x', 'foo', all), false);
    // foo scanning bar_main and foo_bar scanning main: the slug's length tells them apart.
    assert.equal(metricsScanTableName('foo', 'bar_main', 'week', 2), 'metrics_3_foo_bar_main_week_2');
    assert.equal(metricsScanTableName('foo-bar', 'main', 'week', 2), 'metrics_7_foo_bar_main_week_2');
    assert.equal(belongsToExperiment('metrics_3_foo_bar_main_week_2', 'foo', all), true);
    assert.equal(belongsToExperiment('metrics_3_foo_bar_main_week_2', 'foo_bar', all), false);
  });

  it("does not take another experiment's length-prefixed scan for its own scan of the older naming", () => {
    const slugs = ['10_shortcut', 'shortcut_x'];
    const theirs = metricsScanTableName('shortcut-x', 'main', 'week', 1);
    assert.equal(theirs, 'metrics_10_shortcut_x_main_week_1');
    assert.equal(belongsToExperiment(theirs, 'shortcut_x', slugs), true);
    assert.equal(belongsToExperiment(theirs, '10_shortcut', slugs), false);
    // Its own scans, of either naming, stay its own.
    assert.equal(belongsToExperiment('metrics_10_shortcut_main_week_1', '10_shortcut', slugs), true);
    assert.equal(
      belongsToExperiment(metricsScanTableName('10-shortcut', 'main', 'week', 1), '10_shortcut', slugs),
      true,
    );
  });
});

describe('the scans of the older naming a run supersedes', () => {
  // foo's run of week 1 publishes its scans of clients_daily and search_clients_daily and the
  // per-basis tables of both.
  const published = [
    'metrics_3_foo_clients_daily_week_1',
    'metrics_3_foo_search_clients_daily_week_1',
    'foo_enrollments_clients_daily_week_1',
    'foo_enrollments_search_clients_daily_week_1',
    'statistics_foo_week_1',
  ];
  const older = ['metrics_foo_clients_daily_week_1', 'metrics_foo_search_clients_daily_week_1'];

  it('are its older scans of the windows it wrote again', () => {
    const existing = new Set(['enrollments_foo', ...older, 'metrics_foo_clients_daily_week_2']);
    assert.deepEqual(supersededLegacyScans('foo', published, existing), older);
    // Only those that are there, and none of a window it did not write.
    assert.deepEqual(supersededLegacyScans('foo', published, new Set(['enrollments_foo'])), []);
  });

  it("are never a name another experiment's scan may have", () => {
    // foo-search scanning clients_daily wrote metrics_foo_search_clients_daily_week_1 too.
    const existing = new Set(['enrollments_foo', 'enrollments_foo_search', ...older]);
    assert.deepEqual(supersededLegacyScans('foo', published, existing), ['metrics_foo_clients_daily_week_1']);
    // The other way round: foo-search's run leaves the name foo's older scan had.
    const theirs = [
      'metrics_10_foo_search_clients_daily_week_1',
      'foo_search_enrollments_clients_daily_week_1',
    ];
    assert.deepEqual(supersededLegacyScans('foo-search', theirs, existing), []);
    assert.deepEqual(
      supersededLegacyScans('foo-search', theirs, new Set(['enrollments_foo_search', ...older])),
      ['metrics_foo_search_clients_daily_week_1'],
    );
    // A slug beginning with digits: its older scan's name is another's scan of the newer naming.
    const shortcut = metricsScanTableName('10-shortcut', 'x_main', 'week', 1);
    const live = metricsScanTableName('shortcut-x', 'main', 'week', 1);
    assert.equal(live, 'metrics_10_shortcut_x_main_week_1');
    assert.deepEqual(experimentSlugsIn([live]), ['shortcut_x']);
    assert.deepEqual(
      supersededLegacyScans('10-shortcut', [shortcut], new Set(['enrollments_10_shortcut', live])),
      [],
    );
  });

  it('are never read by a per-basis table the run does not replace (a view over the scan on DuckDB)', () => {
    const existing = new Set(['enrollments_foo', ...older, 'foo_exposures_clients_daily_week_1']);
    assert.deepEqual(supersededLegacyScans('foo', published, existing), [
      'metrics_foo_search_clients_daily_week_1',
    ]);
  });
});

describe('BigQuery fragments for DuckDB', () => {
  const cases: [string, string][] = [
    ['`moz-fx-data-shared-prod.telemetry.events`', 'mozdata.telemetry.events'],
    ['`my-project.ds.t`', '"my-project".ds.t'],
    // BigQuery reads a dashed project unquoted where a table is named (metric-hub's
    // `from_expression = "moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6"`).
    [
      'moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6',
      'mozdata.telemetry_derived.clients_daily_v6',
    ],
    [
      '(SELECT client_id FROM moz-fx-data-shared-prod.fenix.firefox_android_clients WHERE x)',
      '(SELECT client_id FROM mozdata.fenix.firefox_android_clients WHERE x)',
    ],
    ['FROM t JOIN my-project-2.ds.t2 u USING (id)', 'FROM t JOIN "my-project-2".ds.t2 u USING (id)'],
    // Elsewhere a dash is a minus.
    ['SUM(a-b.c.d)', 'SUM(a-b.c.d)'],
    ['a - b.c.d', 'a - b.c.d'],
    ['SUM(x) - moz.a.b', 'SUM(x) - moz.a.b'],
    ['FROM t WHERE a-b.c.d > 0', 'FROM t WHERE a-b.c.d > 0'],
    ['x = "a\'b"', "x = 'a''b'"],
    ["r'\\d+'", "'\\d+'"],
    ['DATE_DIFF(a, DATE(b), DAY)', "bq_date_diff(a, DATE(b), 'DAY')"],
    ['timestamp_diff(a, b, hour)', "bq_timestamp_diff(a, b, 'HOUR')"],
    ['SAFE_CAST(x AS INT64)', 'bq_safe_cast_int64(x)'],
    ['CAST(f(a, b) as int)', 'bq_cast_int64(f(a, b))'],
    ['SAFE_CAST(x AS STRING)', 'TRY_CAST(x AS STRING)'],
    ["CAST(x AS DATE FORMAT 'YYYY')", "CAST(x AS DATE FORMAT 'YYYY')"],
    ["x LIKE r'MOZ\\_CRASH%' AND y", "x LIKE 'MOZ\\_CRASH%' ESCAPE '\\' AND y"],
    ["x LIKE 'MOZ%'", "x LIKE 'MOZ%'"],
    ["x NOT LIKE r'%a\\_b' || 'c'", "x NOT LIKE '%a\\_b' || 'c'"],
    ['SELECT * EXCEPT (a, b) FROM t', 'SELECT * EXCLUDE (a, b) FROM t'],
    [
      "CAST(d AS STRING FORMAT 'YYYY') || FORMAT('%d', n)",
      "CAST(d AS STRING FORMAT 'YYYY') || printf('%d', n)",
    ],
    ["REGEXP_EXTRACT(v, r'[(]x(?P<n>\\d)')", "bq_regexp_extract(v, '[(]x(?P<n>\\d)', 1)"],
    ["REGEXP_EXTRACT(v, r'\\(x[(](?:y)')", "bq_regexp_extract(v, '\\(x[(](?:y)', 0)"],
    ['REGEXP_EXTRACT(v, pattern)', 'REGEXP_EXTRACT(v, pattern)'],
    ['DATE_TRUNC(submission_date, week)', "bq_date_trunc(submission_date, 'WEEK')"],
    ['EXTRACT(WEEK FROM d) = 0', 'bq_week(d) = 0'],
    ['EXTRACT(DAYOFWEEK FROM d) IN (1, 7)', '(EXTRACT(DAYOFWEEK FROM d) + 1) IN (1, 7)'],
    ['LEAST(COUNT(DISTINCT e), 95)', 'bq_least(COUNT(DISTINCT e), 95)'],
    ['x.concat(a, b)', 'x.concat(a, b)'],
    [
      'FROM t, UNNEST(t.arr) AS x WITH OFFSET AS off WHERE off = 0',
      'FROM t, (SELECT UNNEST(t.arr) AS x, UNNEST(range(len(t.arr))) AS off) AS x WHERE off = 0',
    ],
    ['SELECT `offset` FROM `p.d.order`', 'SELECT "offset" FROM p.d."order"'],
    ['SELECT a EXCEPT DISTINCT SELECT b', 'SELECT a EXCEPT DISTINCT SELECT b'],
    ["JSON_VALUE(extra, '$.branch')", "bq_json_value(extra, '$.branch')"],
    ['json_extract_scalar(s)', "bq_json_value(s, '$')"],
    [
      '-- DATE_DIFF(a, b, DAY) "x"\n\'DATE_DIFF(a, b, DAY)\'',
      '-- DATE_DIFF(a, b, DAY) "x"\n\'DATE_DIFF(a, b, DAY)\'',
    ],
  ];
  for (const [bigquery, duckdb] of cases) {
    it(bigquery, () => assert.equal(translateBigQueryToDuckDb(bigquery), duckdb));
  }
});
