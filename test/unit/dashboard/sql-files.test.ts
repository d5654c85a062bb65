import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ViewSelection } from '../../../src/dashboard/api.js';
import { SQL_PROVENANCE_FILE, type SqlProvenanceMap } from '../../../src/dashboard/schema.js';
import { sqlPanel, windowsShown } from '../../../src/dashboard/sql-files.js';
import { statisticRow } from '../../helpers/statistic-row.js';

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
    const panel = await sqlPanel([], selection, [1, 2]);
    assert.deepEqual(panel.queries, []);
    assert.match(panel.note ?? '', /--sql_output_dir/);
  });

  test('without a provenance map: found by table name (experiment, period, basis), metric lines marked', async () => {
    const panel = await sqlPanel([sqlDir()], selection, [1, 2]);
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
    const panel = await sqlPanel([dir], selection, [1, 2]);
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
    const panel = await sqlPanel([dir], selection, [1, 2]);
    assert.equal(panel.traced, false);
    assert.equal(panel.queries.length, 3);
    assert.match(panel.note ?? '', /provenance\.json: version: /);
  });
});

/** One windowed query of a preview's map, as planSql records it. */
function windowQuery(
  date: string,
  period: 'day' | 'week',
  windowIndex: number,
  kind: string,
  dataset = 'tmp',
): SqlProvenanceMap['queries'][number] {
  const table = `${kind}_my_exp_clients_daily_${period}_${windowIndex}`;
  return {
    file: `${date}/${table}.sql`,
    destination: { dataset, table },
    analysisDate: date,
    period,
    windowIndex,
    analysisBasis: kind === 'statistic_inputs' ? 'enrollments' : null,
    metrics: ['search_count'],
    references: [],
  };
}

/** A `--sql-output-dir` with its map: the queries' files and provenance.json, for `dataset`. */
function mappedDir(dataset: string, queries: SqlProvenanceMap['queries']): string {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-sql-'));
  for (const q of queries) {
    mkdirSync(join(dir, q.analysisDate ?? '.'), { recursive: true });
    writeFileSync(join(dir, q.file), `-- ${q.destination.table}\nSELECT 1 AS search_count`);
  }
  const map: SqlProvenanceMap = { version: 1, experiment: 'my-exp', dataset, queries };
  writeFileSync(join(dir, SQL_PROVENANCE_FILE), JSON.stringify(map));
  return dir;
}

/** Day windows `from`..`to` of a preview (one analysis date each): metrics scan, metrics, statistic inputs. */
function dayWindows(from: number, to: number): SqlProvenanceMap['queries'] {
  const queries: SqlProvenanceMap['queries'] = [];
  for (let w = from; w <= to; w++) {
    const date = `2026-03-${String(w + 1).padStart(2, '0')}`;
    for (const kind of ['metrics_scan', 'metrics', 'statistic_inputs'])
      queries.push(windowQuery(date, 'day', w, kind));
  }
  return queries;
}

const daySelection: ViewSelection = { ...selection, period: 'day' };

describe('the SQL panel shows only the SQL of the dataset and windows on screen', () => {
  test('a map of another dataset is not shown: the note says the directory has none for this dataset, and how to get it', async () => {
    const dir = mappedDir('tmp', dayWindows(1, 4));
    const panel = await sqlPanel([dir], { ...daySelection, dataset: 'other' }, [1, 2, 3, 4]);
    assert.deepEqual(panel.queries, []);
    assert.equal(panel.traced, false);
    assert.match(panel.note ?? '', /has no SQL of my_exp for dataset 'other' \(only for dataset 'tmp'\)/);
    assert.match(panel.note ?? '', /--sql_output_dir of the preview or plan that wrote them/);
    assert.match(panel.note ?? '', /--dataset_id other/);
    // The same directory shows its SQL for the dataset it was written for.
    const own = await sqlPanel([dir], daySelection, [1, 2, 3, 4]);
    assert.equal(own.traced, true);
    assert.equal(own.queries.length, 12);
  });

  test('of two maps, the one of the dataset shown', async () => {
    const tmp = mappedDir('tmp', [windowQuery('2026-03-15', 'week', 1, 'metrics')]);
    const other = mappedDir('other', [windowQuery('2026-03-22', 'week', 1, 'metrics', 'other')]);
    const panel = await sqlPanel([tmp, other], { ...selection, dataset: 'other' }, [1]);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      ['2026-03-22/metrics_my_exp_clients_daily_week_1.sql'],
    );
    assert.equal(panel.note, null);
  });

  test('windows not shown are left out; none of the windows shown is a note naming the windows', async () => {
    const dir = mappedDir('tmp', [
      ...dayWindows(17, 21),
      {
        file: '2026-03-22/enrollments_my_exp.sql',
        destination: { dataset: 'tmp', table: 'enrollments_my_exp' },
        analysisDate: '2026-03-22',
        period: null,
        windowIndex: null,
        analysisBasis: null,
        metrics: ['search_count'],
        references: [],
      },
    ]);
    const panel = await sqlPanel([dir], daySelection, [1, 2, 3, 4]);
    assert.deepEqual(panel.queries, []);
    assert.match(
      panel.note ?? '',
      /has no SQL of my_exp for day windows 1-4 of dataset 'tmp' \(its SQL for the dataset has only day windows 17-21\)/,
    );
    assert.match(panel.note ?? '', /--sql_output_dir/);

    const two = await sqlPanel([dir], daySelection, [18, 20]);
    assert.deepEqual(
      two.queries.map((q) => q.table),
      [
        'metrics_my_exp_clients_daily_day_18',
        'metrics_scan_my_exp_clients_daily_day_18',
        'statistic_inputs_my_exp_clients_daily_day_18',
        'metrics_my_exp_clients_daily_day_20',
        'metrics_scan_my_exp_clients_daily_day_20',
        'statistic_inputs_my_exp_clients_daily_day_20',
      ],
      'the enrollments query of another date (that of window 21) is not the SQL of these windows',
    );
    assert.equal(two.note, null);
    const newest = await sqlPanel([dir], daySelection, [21]);
    assert.ok(
      newest.queries.some((q) => q.table === 'enrollments_my_exp'),
      'the enrollments query of the date that computed the window shown',
    );
  });

  test('a list longer than the panel keeps the newest windows and says how many were left out', async () => {
    const dir = mappedDir('tmp', dayWindows(17, 21));
    const panel = await sqlPanel([dir], daySelection, [17, 18, 19, 20, 21]);
    assert.equal(panel.queries.length, 12);
    assert.deepEqual(
      [...new Set(panel.queries.map((q) => q.table.replace(/.*_day_/, '')))],
      ['18', '19', '20', '21'],
    );
    assert.match(
      panel.note ?? '',
      /^3 more queries of older windows not listed \(day windows 17\): the panel lists at most 12/,
    );
  });

  test('without a map, files of windows not shown are left out by their table name', async () => {
    const panel = await sqlPanel([sqlDir()], selection, [2]);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      ['2026-03-22/metrics_my_exp_clients_daily_week_2.sql'],
    );
    assert.match(panel.note ?? '', /without config references or the dataset they were written for/);
  });

  test('the windows shown are those of the rows on screen, else the period’s', () => {
    const row = (window_index: string) =>
      statisticRow({ metric: 'search_count', lower: 0, upper: 2, window_index });
    const choices = {
      datasets: [],
      experiments: [],
      periods: [
        { period: 'day' as const, windows: [1, 2, 3, 4] },
        { period: 'week' as const, windows: [1] },
      ],
      bases: [],
      segments: [],
      metrics: [],
      statistics: [],
    };
    assert.deepEqual(
      windowsShown({ selection: daySelection, rows: [row('3'), row('1'), row('3')], choices }),
      [1, 3],
    );
    assert.deepEqual(windowsShown({ selection: daySelection, rows: [], choices }), [1, 2, 3, 4]);
  });
});

describe("the SQL panel of metric 'identity', the enrolment count", () => {
  const identity: ViewSelection = { ...selection, metric: 'identity', statistic: 'count' };

  test('with a map: the enrollments query of the windows shown, saying it counts the clients and has no query of its own', async () => {
    const enrollments = (date: string): SqlProvenanceMap['queries'][number] => ({
      file: `${date}/enrollments_my_exp.sql`,
      destination: { dataset: 'tmp', table: 'enrollments_my_exp' },
      analysisDate: date,
      period: null,
      windowIndex: null,
      analysisBasis: null,
      metrics: [],
      references: [],
    });
    const dir = mappedDir('tmp', [
      windowQuery('2026-03-15', 'week', 1, 'metrics'),
      windowQuery('2026-03-22', 'week', 2, 'metrics'),
      enrollments('2026-03-15'),
      enrollments('2026-03-22'),
    ]);
    const panel = await sqlPanel([dir], identity, [2]);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      ['2026-03-22/enrollments_my_exp.sql'],
    );
    assert.equal(
      panel.note,
      "metric 'identity' is the enrolment count (statistic count: the clients of each branch), computed from the enrollments table enrollments_my_exp, with no query of its own; listed is the query that writes that table",
    );
  });

  test('without a map: the enrollments file of the dates of the windows shown', async () => {
    const panel = await sqlPanel([sqlDir()], identity, [1]);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      ['2026-03-15/enrollments_my_exp.sql'],
    );
    assert.match(
      panel.note ?? '',
      /^metric 'identity' is the enrolment count .* with no query of its own; listed is/,
    );
  });

  test('with no enrollments query there, the note still says what the metric is', async () => {
    const dir = mappedDir('tmp', [windowQuery('2026-03-15', 'week', 1, 'metrics')]);
    const panel = await sqlPanel([dir], identity, [1]);
    assert.deepEqual(panel.queries, []);
    assert.equal(
      panel.note,
      `metric 'identity' is the enrolment count (statistic count: the clients of each branch), computed from the enrollments table enrollments_my_exp, with no query of its own; ${dir} has no query writing it for these windows`,
    );
    assert.doesNotMatch(panel.note ?? '', /no query for metric/);
  });
});

describe('the SQL panel of a segment or of the exposures basis: the enrollments query beside the metric’s', () => {
  /** A preview's enrollments query: written on its first date only, every later date reads its table. */
  const enrollments = (date: string): SqlProvenanceMap['queries'][number] => ({
    file: `${date}/enrollments_my_exp.sql`,
    destination: { dataset: 'tmp', table: 'enrollments_my_exp' },
    analysisDate: date,
    period: null,
    windowIndex: null,
    analysisBasis: null,
    metrics: ['windows_users', 'heavy_users', 'exposure_date'],
    references: [
      {
        column: 'windows_users',
        sqlLines: { start: 10, end: 10 },
        config: config('segments.windows_users', 44),
      },
      {
        column: 'heavy_users',
        sqlLines: { start: 11, end: 11 },
        config: config('segments.heavy_users', 110),
      },
      {
        column: null,
        sqlLines: { start: 13, end: 13 },
        config: config('segments.data_sources.clients_daily_on_enrollment', 124),
      },
      {
        column: 'exposure_date',
        sqlLines: { start: 20, end: 27 },
        config: config('experiment.exposure_signal', 8),
      },
    ],
  });
  /** Three days of a preview, as it writes them: the enrollments query on the first date only. */
  const preview = () =>
    mappedDir('tmp', [
      enrollments('2026-03-27'),
      windowQuery('2026-03-27', 'day', 19, 'metrics'),
      windowQuery('2026-03-28', 'day', 20, 'metrics'),
      windowQuery('2026-03-29', 'day', 21, 'metrics'),
      windowQuery('2026-03-29', 'week', 3, 'metrics'),
    ]);

  test('a segment: the enrollments query that wrote the table the window read, its segment’s lines marked', async () => {
    const panel = await sqlPanel([preview()], { ...selection, segment: 'windows_users' }, [3]);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      ['2026-03-27/enrollments_my_exp.sql', '2026-03-29/metrics_my_exp_clients_daily_week_3.sql'],
    );
    const query = panel.queries[0]!;
    assert.deepEqual(
      query.references.map((r) => r.config.key),
      ['segments.windows_users', 'segments.data_sources.clients_daily_on_enrollment'],
    );
    assert.deepEqual(query.highlight, [{ start: 10, end: 10 }]);
    assert.equal(panel.note, null);
  });

  test('the exposures basis: the enrollments query, the exposure signal’s lines marked', async () => {
    const panel = await sqlPanel([preview()], { ...selection, basis: 'exposures' }, [3]);
    const query = panel.queries.find((q) => q.table === 'enrollments_my_exp');
    assert.ok(query, JSON.stringify(panel.queries.map((q) => q.file)));
    assert.deepEqual(query.highlight, [{ start: 20, end: 27 }]);
  });

  test('all clients on the enrollments basis: only the metric’s queries', async () => {
    const panel = await sqlPanel([preview()], selection, [3]);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      ['2026-03-29/metrics_my_exp_clients_daily_week_3.sql'],
    );
  });

  test('identity at a later date of a preview: the enrollments query of its first date', async () => {
    const identity: ViewSelection = { ...selection, metric: 'identity', statistic: 'count' };
    const panel = await sqlPanel([preview()], identity, [3]);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      ['2026-03-27/enrollments_my_exp.sql'],
    );
    assert.match(panel.note ?? '', /listed is the query that writes that table/);
  });

  test('an enrollments query written after the windows shown is not theirs', async () => {
    const dir = mappedDir('tmp', [
      windowQuery('2026-03-20', 'day', 19, 'metrics'),
      enrollments('2026-03-22'),
      windowQuery('2026-03-22', 'day', 21, 'metrics'),
    ]);
    const panel = await sqlPanel([dir], { ...daySelection, segment: 'windows_users' }, [19]);
    assert.deepEqual(
      panel.queries.map((q) => q.file),
      ['2026-03-20/metrics_my_exp_clients_daily_day_19.sql'],
    );
  });
});
