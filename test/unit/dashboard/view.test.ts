import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { costFigures } from '../../../src/analysis/cost-figures.js';
import { resultLabels } from '../../../src/analysis/labels.js';
import { LOG_COLUMNS, LOGS_TABLE } from '../../../src/analysis/logs.js';
import {
  QUERY_COST_COLUMNS,
  QUERY_COSTS_TABLE,
  queryCostRows,
  recordQueryCosts,
} from '../../../src/analysis/query-costs.js';
import { STATISTICS_COLUMNS } from '../../../src/analysis/statistics.js';
import type { QueryCostRow } from '../../../src/analysis/table-rows.js';
import {
  billedCell,
  costTotals,
  scannedCell,
  totalCells,
  unfinishedCell,
  usdCell,
} from '../../../src/dashboard/cost-labels.js';
import { embeddedContrailDatasets } from '../../../src/dashboard/embedded.js';
import { DashboardRequestError } from '../../../src/dashboard/errors.js';
import { readView } from '../../../src/dashboard/view.js';
import { readCostRows } from '../../../src/dashboard/view-logs.js';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import type { StatisticResultRow } from '../../../src/statistics/results.js';
import { onDemandCostUsd } from '../../../src/warehouse/cost.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { WrappedWarehouse } from '../../../src/warehouse/wrapped.js';
import { statisticRow } from '../../helpers/statistic-row.js';

const DATASET = 'dash';
const dialect = duckdbDialect();

const row = statisticRow;

/** A cost row as the costs table shows it: billed, scanned, cost. */
function shownCosts(r: QueryCostRow): string[] {
  const figures = costFigures(r);
  return [billedCell(figures), scannedCell(figures), usdCell(figures)];
}

/** Two weekly windows and an overall window of `my-exp`, with a few metrics, statistics, segments and bases. */
function windowRows(window: string): StatisticResultRow[] {
  const rows: StatisticResultRow[] = [];
  for (const basis of ['enrollments', 'exposures'] as const) {
    for (const segment of ['all', 'us']) {
      for (const metric of ['active_hours', 'identity', 'search_count']) {
        for (const branch of ['control', 'treatment']) {
          const base = Number(window) + (branch === 'treatment' ? 0.25 : 0);
          const ctx = { metric, segment, analysis_basis: basis, window_index: window, branch };
          rows.push(row({ ...ctx, statistic: 'mean', point: base, lower: base - 0.1, upper: base + 0.1 }));
          for (const p of ['0.1', '0.5', '0.9']) {
            rows.push(row({ ...ctx, statistic: 'deciles', parameter: p, point: base * Number(p) }));
          }
          if (branch === 'treatment') {
            rows.push(
              row({
                ...ctx,
                statistic: 'mean',
                comparison: 'difference',
                comparison_to_branch: 'control',
                point: 0.25,
              }),
              row({
                ...ctx,
                statistic: 'mean',
                comparison: 'relative_uplift',
                comparison_to_branch: 'control',
                point: 0.1,
              }),
            );
          }
        }
      }
    }
  }
  return rows;
}

describe('readView: what the page shows, from the result tables', () => {
  let warehouse: Warehouse;

  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    const write = (table: string, rows: StatisticResultRow[]) =>
      warehouse.writeRows({ destination: { dataset: DATASET, table }, columns: STATISTICS_COLUMNS, rows });
    await write('statistics_my_exp_week_2', windowRows('2'));
    await write('statistics_my_exp_week_1', windowRows('1'));
    await write('statistics_my_exp_overall_1', windowRows('1'));
    await write('statistics_zz_other_day_1', [row({ metric: 'uri_count' })]);
    await warehouse.execute(
      `CREATE VIEW ${DATASET}.statistics_my_exp_weekly AS SELECT * FROM ${DATASET}.statistics_my_exp_week_1`,
    );
    await warehouse.writeRows({
      destination: { dataset: DATASET, table: LOGS_TABLE },
      columns: LOG_COLUMNS,
      rows: [
        {
          timestamp: '2026-03-15T06:00:00Z',
          source: 'contrail',
          experiment: 'my-exp',
          analysis_date: '2026-03-15',
          stage: 'statistics week 1',
          log_level: 'WARNING',
          exception_type: 'StatisticWarning',
          message: 'a warning',
          tool_version: '0.1.0',
          config_commit: null,
        },
        {
          timestamp: '2026-03-16T06:00:00Z',
          source: 'contrail',
          experiment: 'someone-else',
          analysis_date: '2026-03-16',
          stage: 'computeMetrics',
          log_level: 'ERROR',
          exception_type: 'WarehouseQueryError',
          message: 'not mine',
          tool_version: '0.1.0',
          config_commit: null,
        },
      ],
    });
  });
  after(async () => {
    await warehouse.close();
  });

  test('defaults: first experiment, weekly, enrollments, all, a metric other than identity, a one-value statistic', async () => {
    const view = await readView(warehouse, dialect, { dataset: DATASET }, { knownDatasets: ['contrail'] });
    assert.deepEqual(view.selection, {
      dataset: DATASET,
      experiment: 'my_exp',
      period: 'week',
      basis: 'enrollments',
      segment: 'all',
      metric: 'active_hours',
      statistic: 'mean',
    });
    assert.deepEqual(view.notices, []);
    assert.deepEqual(view.choices.datasets, [{ name: 'contrail' }, { name: DATASET }]);
    assert.deepEqual(view.choices.experiments, [
      { slug: 'my_exp', name: 'my-exp' },
      { slug: 'zz_other', name: 'zz_other' },
    ]);
    assert.deepEqual(view.choices.periods, [
      { period: 'week', windows: [1, 2] },
      { period: 'overall', windows: [1] },
    ]);
    assert.deepEqual(view.choices.bases, ['enrollments', 'exposures']);
    assert.deepEqual(view.choices.segments, ['all', 'us']);
    assert.deepEqual(view.choices.metrics, ['active_hours', 'identity', 'search_count']);
    assert.deepEqual(view.choices.statistics, ['deciles', 'mean']);
    // Both windows, both branches, both comparisons of the treatment; sorted by window first.
    assert.equal(view.rows.length, 8);
    assert.deepEqual(
      view.rows.map((r) => [r.window_index, r.branch, r.comparison]),
      [
        ['1', 'control', null],
        ['1', 'treatment', null],
        ['1', 'treatment', 'difference'],
        ['1', 'treatment', 'relative_uplift'],
        ['2', 'control', null],
        ['2', 'treatment', null],
        ['2', 'treatment', 'difference'],
        ['2', 'treatment', 'relative_uplift'],
      ],
    );
    assert.equal(view.rows[5]?.point, 2.25);
    assert.equal(view.rows[5]?.lower, 2.15);
  });

  test('reads that do not depend on each other go to the warehouse together: four rounds for a view of seven reads', async () => {
    let inFlight = 0;
    let rounds = 0;
    let calls = 0;
    const watched = new WrappedWarehouse(
      warehouse.dialect,
      warehouse.sqlDialect,
      async (_call, run) => {
        if (inFlight++ === 0) rounds++;
        calls++;
        try {
          // Long enough that reads started together overlap, as on BigQuery, where each takes a request.
          await new Promise((resolve) => setTimeout(resolve, 20));
          return await run(warehouse);
        } finally {
          inFlight--;
        }
      },
      async () => undefined,
    );
    const view = await readView(watched, dialect, { dataset: DATASET, experiment: 'my-exp' });
    assert.equal(view.selection.experiment, 'my_exp');
    assert.ok(view.errors.present);
    // The dataset's tables; the experiments' names in the logs (with the costs, when there are
    // any); the filter choices; the rows, the overview's rows, error dates and errors.
    assert.deepEqual({ calls, rounds }, { calls: 7, rounds: 4 });
  });

  test('the URL chooses; a value that is not there falls back with a notice', async () => {
    const view = await readView(warehouse, dialect, {
      dataset: DATASET,
      experiment: 'my-exp',
      period: 'overall',
      basis: 'exposures',
      segment: 'us',
      metric: 'search_count',
      statistic: 'median',
    });
    assert.deepEqual(
      { ...view.selection },
      {
        dataset: DATASET,
        experiment: 'my_exp',
        period: 'overall',
        basis: 'exposures',
        segment: 'us',
        metric: 'search_count',
        statistic: 'mean',
      },
    );
    assert.deepEqual(view.notices, [
      "statistic 'median' is not available here; showing 'mean' (available: deciles, mean)",
    ]);
    assert.ok(
      view.rows.every(
        (r) => r.analysis_basis === 'exposures' && r.segment === 'us' && r.window_index === '1',
      ),
    );
    const deciles = await readView(warehouse, dialect, { dataset: DATASET, statistic: 'deciles' });
    assert.deepEqual([...new Set(deciles.rows.map((r) => r.parameter))].sort(), ['0.1', '0.5', '0.9']);
  });

  test('logged errors of the experiment only, newest first, with the columns that have values', async () => {
    const view = await readView(warehouse, dialect, { dataset: DATASET, experiment: 'my_exp' });
    assert.equal(view.errors.present, true);
    assert.deepEqual(
      view.errors.rows.map((r) => r.message),
      ['a warning'],
    );
    // What went wrong first, the run's bookkeeping last.
    assert.deepEqual(view.errors.columns, [
      'log_level',
      'occurred',
      'message',
      'exception_type',
      'stage',
      'experiment',
      'timestamp',
      'tool_version',
    ]);
    assert.deepEqual(view.errors.rows[0]?.occurred, ['2026-03-15']);
    const other = await readView(warehouse, dialect, { dataset: DATASET, experiment: 'zz_other' });
    assert.deepEqual(other.errors, { present: true, columns: [], rows: [], entries: 0, truncated: false });
  });

  test('per-query costs: absent table, rows of the experiment, unreadable rows said in words', async () => {
    const before = await readView(warehouse, dialect, { dataset: DATASET });
    assert.deepEqual(before.costs, { present: false, rows: [], problems: [] });
    await warehouse.execute(`CREATE TABLE ${DATASET}.${QUERY_COSTS_TABLE} AS
      SELECT * FROM (VALUES
        ('my-exp', DATE '2026-03-15', 'metrics_my_exp_clients_daily_week_1', 'metrics', 'column_sizes', 1048576, 1000000, 120, 0.000006),
        ('my-exp', DATE '2026-03-15', NULL, 'statistics', NULL, NULL, NULL, 5, NULL),
        ('other', DATE '2026-03-15', 'enrollments_other', 'enrollments', 'column_sizes', 1, 1, 1, 0.0)
      ) AS t(experiment, analysis_date, destination, stage, estimate_method, estimated_bytes, bytes_processed, elapsed_ms, cost_usd)`);
    try {
      const view = await readView(warehouse, dialect, { dataset: DATASET });
      assert.equal(view.costs.present, true);
      assert.deepEqual(
        view.costs.rows.map((r) => [r.destination, r.estimated_bytes, r.elapsed_ms, r.analysis_date]),
        [['metrics_my_exp_clients_daily_week_1', 1048576, 120, '2026-03-15']],
      );
      assert.equal(view.costs.problems.length, 1);
      assert.match(view.costs.problems[0] ?? '', /query_costs row 1: column destination/);
    } finally {
      await warehouse.dropTable({ dataset: DATASET, table: QUERY_COSTS_TABLE });
    }
  });

  test("per-query costs: a table an older version wrote, then a preview's rows with their bills and outcomes appended, both shown", async () => {
    // Written before bills and outcomes were kept: no billed columns, no outcome.
    await warehouse.execute(`CREATE TABLE ${DATASET}.${QUERY_COSTS_TABLE} AS
      SELECT * FROM (VALUES
        ('my-exp', DATE '2026-03-14', 'metrics_my_exp_clients_daily_week_1', 'metrics_scan', 'column_sizes', 1048576, NULL, 120, 0.000006),
        ('my-exp', DATE '2026-03-14', 'metrics_my_exp_events_week_1', 'metrics_scan', 'column_sizes', 1048576, NULL, NULL, 0.000006)
      ) AS t(experiment, analysis_date, destination, stage, estimate_method, estimated_bytes, bytes_processed, elapsed_ms, cost_usd)`);
    try {
      const before = await readView(warehouse, dialect, { dataset: DATASET });
      assert.deepEqual(before.costs.rows.map(shownCosts), [
        ['', '~1.00 MiB (estimate)', '~< $0.0001'],
        ['', '~1.00 MiB (estimate)', '~< $0.0001'],
      ]);
      // Whether the older row without a time failed or never ran, its table does not say.
      assert.deepEqual(before.costs.rows.map(unfinishedCell), [null, 'failed or not run']);
      // A preview of this version appends its rows (another date's), adding the billed columns.
      await warehouse.writeRows({
        destination: { dataset: DATASET, table: QUERY_COSTS_TABLE },
        columns: QUERY_COST_COLUMNS,
        rows: [
          {
            timestamp: '2026-03-16T00:00:00Z',
            experiment: 'my-exp',
            analysis_date: '2026-03-15',
            destination: 'metrics_my_exp_clients_daily_week_2',
            stage: 'metrics_scan',
            estimate_method: 'column_sizes',
            estimated_bytes: 4_246_732,
            estimated_bytes_billed: 20 * 2 ** 20,
            bytes_processed: null,
            bytes_billed: null,
            elapsed_ms: 80,
            cost_usd: onDemandCostUsd(20 * 2 ** 20),
            outcome: 'ran',
          },
          {
            timestamp: '2026-03-16T00:00:00Z',
            experiment: 'my-exp',
            analysis_date: '2026-03-15',
            destination: 'metrics_my_exp_events_week_2',
            stage: 'metrics_scan',
            estimate_method: 'column_sizes',
            estimated_bytes: 4_246_732,
            estimated_bytes_billed: 20 * 2 ** 20,
            bytes_processed: null,
            bytes_billed: null,
            elapsed_ms: null,
            cost_usd: onDemandCostUsd(20 * 2 ** 20),
            outcome: 'failed',
          },
        ],
        mode: 'append',
      });
      const after = await readView(warehouse, dialect, { dataset: DATASET });
      assert.deepEqual(after.costs.rows.map(shownCosts), [
        ['', '~1.00 MiB (estimate)', '~< $0.0001'],
        ['', '~1.00 MiB (estimate)', '~< $0.0001'],
        ['~20.00 MiB (estimate)', '~4.05 MiB', '~$0.0001'],
        ['~20.00 MiB (estimate)', '~4.05 MiB', '~$0.0001'],
      ]);
      // The older rows still show; the appended ones say what became of their queries.
      assert.deepEqual(after.costs.rows.map(unfinishedCell), [null, 'failed or not run', null, 'FAILED']);
      assert.equal(
        totalCells(costTotals(after.costs.rows)).billed,
        '~20.00 MiB billed (the 1 with a figure, estimated)',
      );
    } finally {
      await warehouse.dropTable({ dataset: DATASET, table: QUERY_COSTS_TABLE });
    }
  });

  test('per-query costs: what became of each query of an interrupted preview, as its report said it', async () => {
    const scan = (date: string, table: string) => ({
      date,
      table,
      kind: 'metrics_scan' as const,
      bytes: 100,
    });
    const rows = queryCostRows(
      'my-exp',
      {
        method: 'column_sizes',
        queries: [
          scan('2026-03-14', 'metrics_my_exp_clients_daily_week_1'),
          scan('2026-03-14', 'metrics_my_exp_events_week_1'),
          scan('2026-03-15', 'metrics_my_exp_clients_daily_week_2'),
          scan('2026-03-16', 'metrics_my_exp_clients_daily_week_3'),
        ],
        totalBytes: 400,
        usdPerTib: 6.25,
        totalUsd: 0,
        ownTableQueries: 0,
      },
      [{ date: '2026-03-14', queries: [], failedQueries: ['metrics_my_exp_clients_daily_week_1'] }],
      new Date('2026-03-17T00:00:00Z'),
      { date: '2026-03-15', by: 'interruption' },
    );
    await recordQueryCosts(warehouse, DATASET, 'my-exp', rows);
    try {
      const view = await readView(warehouse, dialect, { dataset: DATASET });
      assert.deepEqual(view.costs.rows.map(unfinishedCell), [
        'FAILED',
        'not run (an earlier step of this date failed)',
        'stopped (interrupted: it may have run before the stop)',
        'not run (interrupted)',
      ]);
    } finally {
      await warehouse.dropTable({ dataset: DATASET, table: QUERY_COSTS_TABLE });
    }
  });

  test('per-query costs on BigQuery: a table an older version wrote has no billed columns, and its rows show what they scanned', async () => {
    // BigQuery's client answers a table's columns, values as the adapter makes them plain: an
    // older version's table has no billed columns, and its dollars are of the bytes scanned.
    const asked: string[] = [];
    const bigquery = Object.assign(Object.create(warehouse) as Warehouse, {
      query: async (sql: string) => {
        asked.push(sql);
        return [
          {
            timestamp: '2026-03-16T00:00:00.000Z',
            experiment: 'my-exp',
            analysis_date: '2026-03-15',
            destination: 'enrollments_my_exp',
            stage: 'enrollments',
            estimate_method: 'dry_run',
            estimated_bytes: 5 * 2 ** 30,
            bytes_processed: 5 * 2 ** 30,
            elapsed_ms: 4000,
            cost_usd: onDemandCostUsd(5 * 2 ** 30),
          },
        ];
      },
    });
    const costs = await readCostRows(bigquery, bigqueryDialect(), {
      dataset: 'my-project.tmp',
      table: QUERY_COSTS_TABLE,
    });
    assert.deepEqual(asked, [`SELECT * FROM \`my-project.tmp.${QUERY_COSTS_TABLE}\` LIMIT 2000`]);
    assert.deepEqual(costs.problems, []);
    assert.deepEqual(costs.rows.map(shownCosts), [['', '5.00 GiB', '$0.03']]);
    assert.equal(totalCells(costTotals(costs.rows)).scanned, '5.00 GiB scanned');
  });

  test('an unknown experiment is a 404 naming the ones there; a bad dataset name a 400', async () => {
    await assert.rejects(
      readView(warehouse, dialect, { dataset: DATASET, experiment: 'nope' }),
      (error: unknown) =>
        error instanceof DashboardRequestError &&
        error.status === 404 &&
        /^experiment 'nope' has no statistics tables in dataset 'dash'; experiments there: my-exp, zz_other(; without results: .*)?$/.test(
          error.message,
        ),
    );
    // A misspelt slug, as a hand-typed link has it: the closest experiment there is suggested.
    await assert.rejects(
      readView(warehouse, dialect, { dataset: DATASET, experiment: 'my-epx' }),
      (error: unknown) =>
        error instanceof DashboardRequestError &&
        error.status === 404 &&
        error.message.startsWith(
          "experiment 'my-epx' has no statistics tables in dataset 'dash' (did you mean 'my-exp'?); experiments there: my-exp, zz_other",
        ),
    );
    await assert.rejects(
      readView(warehouse, dialect, { dataset: 'x; DROP TABLE y' }),
      (error: unknown) =>
        error instanceof DashboardRequestError &&
        error.status === 400 &&
        /^dataset: invalid dataset/.test(error.message),
    );
    // The message says what the warehouse read takes: the embedded one has no projects to prefix
    // (there a prefix would name one of DuckDB's catalogs: its own, one not attached), BigQuery's
    // prefix is a project id, whose rule is spelt out.
    for (const prefixed of ['proj.tmp', 'my-project.tmp', 'system.main', 'memory.main']) {
      await assert.rejects(readView(warehouse, dialect, { dataset: prefixed }), (error: unknown) => {
        assert.ok(error instanceof DashboardRequestError);
        assert.equal(error.status, 400);
        assert.equal(
          error.message,
          `dataset: invalid dataset "${prefixed}": use letters, digits and underscores, with no project prefix (the embedded warehouse has no projects)`,
        );
        return true;
      });
    }
    await assert.rejects(
      readView(warehouse, bigqueryDialect(), { dataset: 'proj.tmp' }),
      (error: unknown) => {
        assert.ok(error instanceof DashboardRequestError);
        assert.equal(error.status, 400);
        assert.equal(
          error.message,
          'dataset: invalid dataset "proj.tmp": use letters, digits and underscores, optionally prefixed by a project id (6–30 lower-case letters, digits and hyphens, starting with a letter) and a dot',
        );
        return true;
      },
    );
  });

  test('a dataset without results says so and shows nothing', async () => {
    const view = await readView(warehouse, dialect, { dataset: 'contrail' });
    assert.equal(view.selection.experiment, null);
    assert.deepEqual(view.rows, []);
    assert.deepEqual(view.notices, [
      "dataset 'contrail' has no statistics tables (statistics_<slug>_<period>_<window>)",
    ]);
  });
  test('an experiment whose run logged errors says so above its results; when its tables were written and expire', async () => {
    const dataset = 'dash_failed';
    const before = Date.now();
    for (const w of ['1', '2']) {
      await warehouse.writeRows({
        destination: { dataset, table: `statistics_half_done_day_${w}` },
        columns: STATISTICS_COLUMNS,
        rows: [row({ window_index: w })],
        expirationDays: 7,
      });
    }
    const after = Date.now();
    const ok = await readView(warehouse, dialect, { dataset });
    assert.deepEqual(ok.notices, []);
    const written = ok.written;
    assert.ok(
      written.oldest !== null && written.newest !== null && written.expiresAt !== null,
      JSON.stringify(written),
    );
    assert.ok(
      Date.parse(written.oldest) >= before && Date.parse(written.newest) <= after,
      JSON.stringify(written),
    );
    assert.ok(Date.parse(written.oldest) <= Date.parse(written.newest));
    const week = 7 * 24 * 3600 * 1000;
    assert.ok(Math.abs(Date.parse(written.expiresAt) - Date.parse(written.oldest) - week) < 1000);

    const log = (analysis_date: string, log_level: string, message: string) => ({
      timestamp: `${analysis_date}T06:00:00Z`,
      source: 'contrail',
      experiment: 'half-done',
      analysis_date,
      stage: 'metrics',
      log_level,
      exception_type: log_level === 'ERROR' ? 'PlannedQueryError' : 'StatisticWarning',
      message,
      tool_version: '0.1.0',
      config_commit: null,
    });
    await warehouse.writeRows({
      destination: { dataset, table: LOGS_TABLE },
      columns: LOG_COLUMNS,
      rows: [
        log('2026-03-02', 'WARNING', 'a warning'),
        log('2026-03-03', 'ERROR', 'Binder Error'),
        log('2026-03-04', 'ERROR', 'Binder Error again'),
        log('2026-03-04', 'ERROR', 'and another'),
      ],
    });
    const failed = await readView(warehouse, dialect, { dataset });
    assert.deepEqual(failed.notices, [
      '3 errors were logged for half-done (analysis dates 2026-03-03, 2026-03-04): results of those dates may be missing or incomplete; the errors are listed under "Errors and warnings of the run"',
    ]);
    const empty = await readView(warehouse, dialect, { dataset: 'contrail' });
    assert.deepEqual(empty.written, { oldest: null, newest: null, expiresAt: null, builds: [], tables: 0 });
  });
  test('every dataset holding results is offered; one without results names them', async () => {
    await warehouse.writeRows({
      destination: { dataset: 'team_results', table: 'statistics_their_exp_week_1' },
      columns: STATISTICS_COLUMNS,
      rows: [row({})],
    });
    const options = { knownDatasets: ['contrail', 'tmp'], listDatasets: embeddedContrailDatasets };
    const view = await readView(warehouse, dialect, { dataset: DATASET }, options);
    const offered = view.choices.datasets.map((d) => d.name);
    assert.ok(offered.includes('team_results'), offered.join(', '));
    assert.ok(offered.includes(DATASET), offered.join(', '));
    // The preview and production datasets are not offered while the warehouse has no such dataset.
    assert.ok(!offered.includes('contrail') && !offered.includes('tmp'), offered.join(', '));
    assert.ok(!offered.includes('contrail_meta'), 'the metadata schema is no dataset');
    const empty = await readView(warehouse, dialect, { dataset: 'contrail' }, options);
    // Asked for, it is shown with a notice saying it has nothing, and still not offered.
    assert.deepEqual(
      empty.choices.datasets.map((d) => d.name),
      offered,
    );
    assert.equal(empty.notices.length, 1);
    assert.match(
      empty.notices[0] ?? '',
      /^dataset 'contrail' has no statistics tables \(statistics_<slug>_<period>_<window>\); results are in datasets (\w+, )*team_results/,
    );
    assert.ok(empty.notices[0]?.includes(DATASET));
  });
  test('a dataset name that holds no contrail results is a 404 naming the datasets to choose from', async () => {
    await warehouse.execute(
      'CREATE SCHEMA IF NOT EXISTS someone_elses; CREATE TABLE someone_elses.t AS SELECT 1 AS x',
    );
    const options = { knownDatasets: ['contrail', 'tmp'], listDatasets: embeddedContrailDatasets };
    // Another schema, DuckDB's own schema, no schema at all (a catalog prefix is refused as a bad name).
    for (const dataset of ['someone_elses', 'information_schema', 'nope']) {
      await assert.rejects(
        readView(warehouse, dialect, { dataset }, options),
        (error: unknown) =>
          error instanceof DashboardRequestError &&
          error.status === 404 &&
          error.message.startsWith(`dataset '${dataset}' holds no contrail results`) &&
          // The datasets there are, as the page offers them: not the preview and production names.
          /datasets to choose from: dash, \S/.test(error.message),
        dataset,
      );
    }
    // The datasets offered stay choosable before anything was written to them; one with only a
    // run's logs (a run that failed before writing results) too.
    assert.equal((await readView(warehouse, dialect, { dataset: 'tmp' }, options)).rows.length, 0);
    await warehouse.writeRows({
      destination: { dataset: 'dash_logs_only', table: LOGS_TABLE },
      columns: LOG_COLUMNS,
      rows: [],
    });
    const logsOnly = await readView(warehouse, dialect, { dataset: 'dash_logs_only' }, options);
    assert.equal(logsOnly.errors.present, true);
  });
  test('a dataset name differing only in case shows the one dataset it matches, saying so; several are named', async () => {
    const options = { knownDatasets: ['contrail', 'tmp'], listDatasets: embeddedContrailDatasets };
    const view = await readView(warehouse, dialect, { dataset: 'DASH', experiment: 'my-exp' }, options);
    assert.equal(view.selection.dataset, DATASET);
    assert.equal(view.selection.experiment, 'my_exp');
    assert.ok(view.rows.length > 0);
    assert.equal(
      view.notices[0],
      "dataset 'DASH' holds no contrail results; showing 'dash' (dataset names are case-sensitive)",
    );
    // BigQuery can hold both spellings: then neither is guessed.
    await assert.rejects(
      readView(
        warehouse,
        dialect,
        { dataset: 'TMP' },
        { ...options, knownDatasets: ['contrail', 'Tmp', 'tmp'] },
      ),
      (error: unknown) =>
        error instanceof DashboardRequestError &&
        error.status === 404 &&
        error.message.startsWith("dataset 'TMP' holds no contrail results") &&
        error.message.endsWith('; did you mean tmp or Tmp? (dataset names are case-sensitive)'),
    );
  });
  test('an experiment whose run wrote no results shows its errors instead of nothing', async () => {
    const dataset = 'dash_nothing';
    await warehouse.writeRows({
      destination: { dataset, table: LOGS_TABLE },
      columns: LOG_COLUMNS,
      rows: [
        {
          timestamp: '2026-03-29T06:00:00Z',
          source: 'contrail',
          experiment: 'never-done',
          analysis_date: '2026-03-29',
          stage: 'metrics',
          log_level: 'ERROR',
          exception_type: 'PlannedQueryError',
          message: 'warehouse said: Binder Error',
          tool_version: '0.1.0',
          config_commit: null,
        },
      ],
    });
    for (const experiment of [undefined, 'never-done']) {
      const view = await readView(warehouse, dialect, { dataset, ...(experiment ? { experiment } : {}) });
      assert.equal(view.selection.experiment, 'never_done');
      assert.equal(view.selection.period, null);
      assert.deepEqual(view.rows, []);
      assert.deepEqual(view.choices.experiments, [
        { slug: 'never_done', name: 'never-done', noResults: true },
      ]);
      assert.ok(
        view.notices.includes(
          `never-done has no results in dataset '${dataset}': 1 error was logged (analysis date 2026-03-29); the errors are listed under "Errors and warnings of the run"`,
        ),
        view.notices.join('\n'),
      );
      assert.deepEqual(
        view.errors.rows.map((r) => r.message),
        ['warehouse said: Binder Error'],
      );
    }
    // In a dataset with results too: a link to the failed experiment shows its error, not a 404.
    const other = await readView(warehouse, dialect, { dataset: DATASET, experiment: 'someone-else' });
    assert.equal(other.selection.experiment, 'someone_else');
    assert.deepEqual(
      other.errors.rows.map((r) => r.message),
      ['not mine'],
    );
    assert.match(
      other.notices.join('\n'),
      /someone-else has no results in dataset 'dash': 1 error was logged/,
    );
    // Misspelt, it is still found: suggested, and listed with the experiments there.
    await assert.rejects(
      readView(warehouse, dialect, { dataset: DATASET, experiment: 'someone-els' }),
      (error: unknown) =>
        error instanceof DashboardRequestError &&
        error.status === 404 &&
        error.message ===
          "experiment 'someone-els' has no statistics tables in dataset 'dash' (did you mean 'someone-else'?); experiments there: my-exp, zz_other; without results: someone-else",
    );
  });
  test('errors come before warnings, even behind more newer warnings than the panel shows; where to fix them beside the message', async () => {
    const dataset = 'dash_noisy';
    const entry = (i: number, log_level: string, extra: Record<string, unknown> = {}) => ({
      timestamp: new Date(Date.UTC(2026, 2, 1) + i * 60_000).toISOString(),
      source: 'contrail',
      experiment: 'noisy',
      analysis_date: '2026-03-01',
      stage: 'statistics week 1',
      log_level,
      exception_type: log_level === 'ERROR' ? 'PlannedQueryError' : 'StatisticWarning',
      message: `${log_level} ${i}`,
      tool_version: '0.1.0',
      config_commit: null,
      log_id: `noisy-${i}`,
      ...extra,
    });
    await warehouse.writeRows({
      destination: { dataset, table: LOGS_TABLE },
      columns: LOG_COLUMNS,
      rows: [
        // The error came first; a daily run's statistics warnings, every day after it.
        entry(0, 'ERROR', {
          metric: 'broken',
          config_file: 'jetstream/noisy.toml',
          config_key: 'metrics.broken.select_expression',
          config_line: 17,
        }),
        ...Array.from({ length: 600 }, (_, i) => entry(i + 1, 'WARNING')),
      ],
    });
    const view = await readView(warehouse, dialect, { dataset, experiment: 'noisy' });
    assert.match(view.notices.join('\n'), /noisy has no results in dataset 'dash_noisy': 1 error was logged/);
    assert.equal(view.errors.truncated, true);
    assert.equal(view.errors.entries, 500);
    // The warnings differ only in a number: one problem, shown by its newest message.
    assert.deepEqual(
      view.errors.rows.map((r) => [r.message, r.entries, r.otherValues]),
      [
        ['ERROR 0', 1, 0],
        ['WARNING 600', 499, 498],
      ],
    );
    assert.deepEqual(view.errors.columns.slice(0, 7), [
      'log_level',
      'occurred',
      'message',
      'config_file',
      'config_line',
      'config_key',
      'metric',
    ]);
  });
  test('a broken config key that failed on every date and period is one problem, with its dates, errors before warnings', async () => {
    const dataset = 'dash_grouped';
    const entry = (date: string, period: string, level: string, extra: Record<string, unknown> = {}) => ({
      timestamp: `${date}T06:00:00Z`,
      source: 'contrail',
      experiment: 'grouped',
      analysis_date: date,
      analysis_period: period,
      stage: 'metrics',
      log_level: level,
      exception_type: level === 'ERROR' ? 'PlannedQueryError' : 'StatisticWarning',
      message:
        level === 'ERROR' ? 'warehouse said: Binder Error: column "nope" not found' : 'left out 3 clients',
      tool_version: '0.1.0',
      config_commit: null,
      metric: 'broken',
      config_file: 'jetstream/grouped.toml',
      config_key: 'metrics.broken.select_expression',
      config_line: 9,
      ...extra,
    });
    await warehouse.writeRows({
      destination: { dataset, table: LOGS_TABLE },
      columns: LOG_COLUMNS,
      rows: [
        entry('2026-03-28', 'day', 'WARNING', {
          analysis_basis: 'exposures',
          metric: 'fine',
          config_key: 'x',
        }),
        entry('2026-03-29', 'day', 'WARNING', {
          analysis_basis: 'enrollments',
          metric: 'fine',
          config_key: 'x',
          message: 'left out 5 clients',
        }),
        entry('2026-03-27', 'day', 'ERROR'),
        entry('2026-03-29', 'week', 'ERROR'),
        entry('2026-03-28', 'day', 'ERROR'),
        entry('2026-03-29', 'day', 'ERROR'),
      ],
    });
    const view = await readView(warehouse, dialect, { dataset, experiment: 'grouped' });
    assert.equal(view.errors.entries, 6);
    assert.deepEqual(
      view.errors.rows.map((r) => ({
        level: r.log_level,
        message: r.message,
        key: r.config_key,
        occurred: r.occurred,
        entries: r.entries,
        otherValues: r.otherValues,
        basis: r.analysis_basis ?? null,
      })),
      [
        {
          level: 'ERROR',
          message: 'warehouse said: Binder Error: column "nope" not found',
          key: 'metrics.broken.select_expression',
          occurred: ['2026-03-29 day', '2026-03-29 week', '2026-03-28 day', '2026-03-27 day'],
          entries: 4,
          otherValues: 0,
          basis: null,
        },
        {
          level: 'WARNING',
          message: 'left out 5 clients',
          key: 'x',
          occurred: ['2026-03-29 day', '2026-03-28 day'],
          entries: 2,
          otherValues: 1,
          basis: 'enrollments, exposures',
        },
      ],
    );
    // The dates are in the occurred column; no column repeats one entry's date or period.
    assert.ok(!view.errors.columns.some((c) => c === 'analysis_date' || c === 'analysis_period'));
  });
  test("which build of contrail computed the shown windows from which configs: their tables' labels", async () => {
    const dataset = 'dash_builds';
    const write = (window: string, labels: Record<string, string>) =>
      warehouse.writeRows({
        destination: { dataset, table: `statistics_built_week_${window}` },
        columns: STATISTICS_COLUMNS,
        rows: [row({ window_index: window })],
        labels,
      });
    const daily = { version: '0.1.0', buildId: 'b6371bd37314' };
    await write('1', resultLabels({ configCommit: null, anchor: null }, daily, 'built'));
    await write('2', resultLabels({ configCommit: '4f2a9c1e0d7b', anchor: null }, daily, 'built'));
    await write('3', resultLabels({ configCommit: '4f2a9c1e0d7b', anchor: null }, daily, 'built'));
    await write('4', {});
    // Another period's tables say nothing of the week's.
    await warehouse.writeRows({
      destination: { dataset, table: 'statistics_built_overall_1' },
      columns: STATISTICS_COLUMNS,
      rows: [row({})],
      labels: resultLabels(
        { configCommit: null, anchor: null },
        { version: '0.2.0', buildId: 'other' },
        'built',
      ),
    });
    const view = await readView(warehouse, dialect, { dataset, period: 'week' });
    assert.deepEqual(view.written.builds, [
      { toolVersion: '0.1.0', buildId: 'b6371bd37314', configCommit: '4f2a9c1e0d7b', tables: 2 },
      { toolVersion: '0.1.0', buildId: 'b6371bd37314', configCommit: null, tables: 1 },
    ]);
    assert.equal(view.written.tables, 4);
  });

  test('the overview: each metric by the statistic Experimenter shows, its relative uplifts at the latest window of the basis and segment', async () => {
    const dataset = 'dash_overview';
    // Each row's point says where it came from, so a row of another window, basis, segment,
    // statistic or comparison in the overview shows as a wrong number.
    const tag = { mean: 1, mean_lm: 2, binomial: 3, deciles: 4 } as Record<string, number>;
    const rowsOf = (window: number, metrics: [string, string[]][]) =>
      metrics.flatMap(([metric, statistics]) =>
        statistics.flatMap((statistic) =>
          (['enrollments', 'exposures'] as const).flatMap((basis) =>
            ['all', 'us'].flatMap((segment) => {
              const code =
                window * 1000 +
                (tag[statistic] ?? 0) * 100 +
                (basis === 'exposures' ? 10 : 0) +
                (segment === 'us' ? 1 : 0);
              const ctx = { metric, statistic, analysis_basis: basis, segment, window_index: String(window) };
              if (statistic === 'count') {
                return ['control', 'treatment'].map((branch) => row({ ...ctx, branch, point: code }));
              }
              const parameters = statistic === 'deciles' ? ['0.5'] : [null];
              return parameters.flatMap((parameter) => [
                row({ ...ctx, parameter, branch: 'control', point: code }),
                row({ ...ctx, parameter, branch: 'treatment', point: code }),
                row({
                  ...ctx,
                  parameter,
                  branch: 'treatment',
                  comparison: 'difference',
                  comparison_to_branch: 'control',
                  point: -code,
                }),
                // Above zero treatment over control, below it the other way.
                row({
                  ...ctx,
                  parameter,
                  branch: 'treatment',
                  comparison: 'relative_uplift',
                  comparison_to_branch: 'control',
                  point: code,
                  lower: 0.01,
                  upper: 0.2,
                }),
                row({
                  ...ctx,
                  parameter,
                  branch: 'control',
                  comparison: 'relative_uplift',
                  comparison_to_branch: 'treatment',
                  point: -code,
                  lower: -0.2,
                  upper: -0.01,
                }),
              ]);
            }),
          ),
        ),
      );
    const write = (table: string, rows: StatisticResultRow[]) =>
      warehouse.writeRows({ destination: { dataset, table }, columns: STATISTICS_COLUMNS, rows });
    await write(
      'statistics_ov_week_1',
      rowsOf(1, [
        ['active_hours', ['mean', 'mean_lm', 'deciles']],
        ['retained', ['binomial']],
        ['uri_count', ['mean', 'deciles']],
        ['identity', ['count']],
      ]),
    );
    // uri_count's mean is missing from the latest window: the overview shows it at window 1.
    await write(
      'statistics_ov_week_2',
      rowsOf(2, [
        ['active_hours', ['mean', 'mean_lm', 'deciles']],
        ['retained', ['binomial']],
        ['uri_count', ['deciles']],
        ['identity', ['count']],
      ]),
    );
    await write('statistics_ov_overall_1', rowsOf(1, [['active_hours', ['mean']]]));
    await warehouse.execute(`CREATE TABLE ${dataset}.${QUERY_COSTS_TABLE} AS
      SELECT * FROM (VALUES
        ('ov', DATE '2026-03-15', 'metrics_ov_clients_daily_week_1'),
        ('ov', DATE '2026-03-22', 'metrics_ov_clients_daily_week_2'),
        ('ov', DATE '2026-03-29', 'metrics_ov_clients_daily_preenrollment_week_2'),
        ('other', DATE '2026-03-30', 'metrics_other_clients_daily_week_2')
      ) AS t(experiment, analysis_date, destination)`);

    // The metric and statistic shown below it do not change the overview.
    const view = await readView(warehouse, dialect, {
      dataset,
      period: 'week',
      metric: 'uri_count',
      statistic: 'deciles',
    });
    assert.equal(view.selection.statistic, 'deciles');
    const { overview } = view;
    assert.equal(overview.window, 2);
    assert.equal(
      overview.analysisDate,
      '2026-03-22',
      "the latest window's date, not the pre-enrollment week's",
    );
    assert.ok(overview.written !== null);
    assert.deepEqual(
      overview.metrics.map((m) => [
        m.metric,
        m.statistic,
        m.window,
        m.rows.map((r) => [r.branch, r.comparison, r.comparison_to_branch, r.parameter, r.point]),
      ]),
      [
        [
          'active_hours',
          'mean_lm',
          2,
          [
            ['control', 'relative_uplift', 'treatment', null, -2200],
            ['treatment', 'relative_uplift', 'control', null, 2200],
          ],
        ],
        [
          'retained',
          'binomial',
          2,
          [
            ['control', 'relative_uplift', 'treatment', null, -2300],
            ['treatment', 'relative_uplift', 'control', null, 2300],
          ],
        ],
        [
          'uri_count',
          'mean',
          1,
          [
            ['control', 'relative_uplift', 'treatment', null, -1100],
            ['treatment', 'relative_uplift', 'control', null, 1100],
          ],
        ],
      ],
    );
    assert.deepEqual(overview.without, [{ metric: 'identity', statistics: ['count'] }]);

    // Another basis and segment: their rows.
    const us = await readView(warehouse, dialect, {
      dataset,
      period: 'week',
      basis: 'exposures',
      segment: 'us',
    });
    assert.deepEqual(
      us.overview.metrics.map((m) => [m.metric, m.rows.find((r) => r.branch === 'treatment')?.point]),
      [
        ['active_hours', 2211],
        ['retained', 2311],
        ['uri_count', 1111],
      ],
    );
    // A period without a cost row naming its window has no analysis date, but its tables' time.
    const overall = await readView(warehouse, dialect, { dataset, period: 'overall' });
    assert.equal(overall.overview.window, 1);
    assert.equal(overall.overview.analysisDate, null);
    assert.deepEqual(
      overall.overview.metrics.map((m) => [m.metric, m.statistic, m.rows.length]),
      [['active_hours', 'mean', 2]],
    );
  });
});

describe('datasets whose runs all failed: offered, marked, never named as holding results', () => {
  let warehouse: Warehouse;
  const options = { knownDatasets: ['contrail', 'tmp'], listDatasets: embeddedContrailDatasets };

  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    await warehouse.writeRows({
      destination: { dataset: 'results', table: 'statistics_done_week_1' },
      columns: STATISTICS_COLUMNS,
      rows: [row({})],
    });
    // A preview that failed on every date: its errors and its queries' costs, no statistics table.
    await warehouse.writeRows({
      destination: { dataset: 'failed1', table: LOGS_TABLE },
      columns: LOG_COLUMNS,
      rows: [
        {
          timestamp: '2026-03-15T06:00:00Z',
          source: 'contrail',
          experiment: 'broken-exp',
          analysis_date: '2026-03-15',
          stage: 'metrics',
          log_level: 'ERROR',
          exception_type: 'PlannedQueryError',
          message: 'warehouse said: Parser Error',
          tool_version: '0.1.0',
          config_commit: null,
        },
      ],
    });
    await warehouse.execute(`CREATE TABLE failed1.${QUERY_COSTS_TABLE} AS
      SELECT 'broken-exp' AS experiment, DATE '2026-03-15' AS analysis_date, 'x' AS destination`);
    await warehouse.execute(`CREATE SCHEMA costs_only; CREATE TABLE costs_only.${QUERY_COSTS_TABLE} AS
      SELECT 'other' AS experiment, DATE '2026-03-15' AS analysis_date, 'y' AS destination`);
    await warehouse.execute(
      'CREATE SCHEMA someone_elses; CREATE TABLE someone_elses.logs_of_theirs AS SELECT 1 AS x',
    );
  });
  after(() => warehouse.close());

  test('the embedded listing offers datasets holding only run logs or costs, marked as without results', async () => {
    assert.deepEqual(await embeddedContrailDatasets(warehouse), [
      { name: 'costs_only', noResults: true },
      { name: 'failed1', noResults: true },
      { name: 'results' },
    ]);
    const view = await readView(warehouse, dialect, { dataset: 'results' }, options);
    // Only the datasets there are: not the preview and production ones, nothing was written to.
    assert.deepEqual(view.choices.datasets, [
      { name: 'costs_only', noResults: true },
      { name: 'failed1', noResults: true },
      { name: 'results' },
    ]);
  });

  test('a failed dataset shows its errors; notices name only the datasets holding results', async () => {
    const failed = await readView(warehouse, dialect, { dataset: 'failed1' }, options);
    assert.equal(failed.selection.experiment, 'broken_exp');
    assert.equal(failed.errors.entries, 1);
    assert.deepEqual(
      failed.choices.datasets.find((d) => d.name === 'failed1'),
      { name: 'failed1', noResults: true },
    );
    assert.equal(
      failed.notices[0],
      "dataset 'failed1' has no statistics tables (statistics_<slug>_<period>_<window>); results are in dataset results",
    );
    const empty = await readView(warehouse, dialect, { dataset: 'contrail' }, options);
    assert.deepEqual(empty.notices, [
      "dataset 'contrail' has no statistics tables (statistics_<slug>_<period>_<window>); results are in dataset results",
    ]);
    await assert.rejects(
      readView(warehouse, dialect, { dataset: 'someone_elses' }, options),
      (error: unknown) =>
        error instanceof DashboardRequestError &&
        error.status === 404 &&
        error.message.endsWith(
          'datasets to choose from: costs_only (no results: run logs only), failed1 (no results: run logs only), results',
        ),
    );
  });
});

describe('a warehouse nothing was written to yet', () => {
  test('offers no dataset: the one asked for is shown with a notice that it has no results, another name is refused saying none holds any', async () => {
    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    try {
      const options = { knownDatasets: ['contrail', 'tmp'], listDatasets: embeddedContrailDatasets };
      const view = await readView(warehouse, dialect, { dataset: 'tmp' }, options);
      assert.deepEqual(
        view.choices.datasets,
        [],
        'not the preview and production datasets the warehouse has not',
      );
      assert.deepEqual(view.notices, [
        "dataset 'tmp' has no statistics tables (statistics_<slug>_<period>_<window>)",
      ]);
      await assert.rejects(
        readView(warehouse, dialect, { dataset: 'nope' }, options),
        (error: unknown) =>
          error instanceof DashboardRequestError &&
          error.status === 404 &&
          error.message.endsWith("; no dataset holds contrail's output yet"),
      );
    } finally {
      await warehouse.close();
    }
  });
});
