import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LOG_COLUMNS, LOGS_TABLE, logId, logRows, recordLogs } from '../../../src/analysis/logs.js';
import { LogRow } from '../../../src/analysis/table-rows.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { ConfigError } from '../../../src/config/problems.js';
import { configFileInRepo } from '../../../src/config/repo-layout.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { errorSubjects } from '../../../src/errors.js';
import { querySubjects } from '../../../src/sql/run.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { testExperiment } from '../../helpers/experiment.js';
import { checkOldLogsTableMigrated } from '../../helpers/logs-table.js';

const context = { now: new Date('2026-03-10T00:00:00Z'), toolVersion: '0.1.0' };
const error = {
  slug: 'x',
  date: '2026-03-10',
  stage: 'statistics',
  message: '2 statistics failed',
  errorType: 'StatisticsFailedError',
  configCommit: null,
};

describe('log rows name what they are about', () => {
  test('one row per subject, with its own message, in the columns the dashboard reads', () => {
    const rows = logRows(
      {
        ...error,
        subjects: [
          {
            metric: 'a',
            statistic: 'binomial',
            file: 'x.toml',
            key: 'metrics.a.statistics.binomial',
            line: 4,
            message: 'not 0/1',
            errorType: 'StatisticConfigError',
          },
          {
            metric: 'b',
            statistic: 'bootstrap_mean',
            analysisBasis: 'exposures',
            segment: 'all',
            period: 'week',
          },
        ],
      },
      context,
    );
    assert.equal(rows.length, 2);
    assert.deepEqual(Object.keys(rows[0] ?? {}).sort(), LOG_COLUMNS.map((c) => c.name).sort());
    assert.equal(rows[0]?.message, 'not 0/1');
    assert.equal(rows[0]?.config_file, 'x.toml');
    assert.equal(rows[0]?.config_key, 'metrics.a.statistics.binomial');
    assert.equal(rows[0]?.config_line, 4);
    assert.equal(rows[1]?.message, '2 statistics failed');
    // A step of several that failed together is logged as what it failed with.
    assert.equal(rows[0]?.exception_type, 'StatisticConfigError');
    assert.equal(rows[1]?.exception_type, 'StatisticsFailedError');
    assert.equal(rows[1]?.analysis_basis, 'exposures');
    assert.equal(rows[1]?.analysis_period, 'week');
    assert.equal(rows[1]?.config_file, null);
    assert.notEqual(rows[0]?.log_id, rows[1]?.log_id);
    // The dashboard reads what is written: every column but the bookkeeping ones and jetstream's
    // (which say again what the others say, or where in contrail's code), as written.
    const unshown = new Set(['source', 'log_id', 'exception', 'filename', 'func_name']);
    assert.deepEqual(
      Object.keys(LogRow.shape).sort(),
      LOG_COLUMNS.map((c) => c.name)
        .filter((name) => !unshown.has(name))
        .sort(),
    );
    assert.equal(LogRow.safeParse(rows[0]).success, true);
  });

  test('a row about nothing in particular keeps the id it had before rows named subjects', () => {
    const [row] = logRows(error, context);
    assert.ok(row);
    const before = Object.fromEntries(
      [
        'timestamp',
        'source',
        'experiment',
        'analysis_date',
        'stage',
        'log_level',
        'exception_type',
        'message',
        'tool_version',
        'config_commit',
      ].map((k) => [k, row[k]]),
    );
    assert.equal(row.log_id, logId(before));
  });

  test("jetstream's columns: the exception as its log handler writes it, and where in contrail's code it was raised", () => {
    const raisedAt = { filename: 'src/config/resolve.ts', funcName: 'resolveAnalysisSpec' };
    const [failed] = logRows({ ...error, raisedAt }, context);
    assert.deepEqual(
      [failed?.exception, failed?.filename, failed?.func_name],
      [
        "(<class 'StatisticsFailedError'>, StatisticsFailedError('2 statistics failed'), None)",
        'src/config/resolve.ts',
        'resolveAnalysisSpec',
      ],
    );
    // A warning has no exception; where it was raised is null when not known.
    const [warned] = logRows(error, { ...context, level: 'WARNING' });
    assert.deepEqual([warned?.exception, warned?.filename, warned?.func_name], [null, null, null]);
    // Where it was raised moves with the code: the same error logged from elsewhere is the same row.
    const [moved] = logRows({ ...error, raisedAt: { filename: 'src/sql/run.ts', funcName: null } }, context);
    assert.equal(moved?.log_id, failed?.log_id);
  });

  test('a config error’s problems are its subjects', () => {
    assert.deepEqual(
      errorSubjects({ problems: [{ file: 'a.toml', line: 3, keyPath: 'metrics.x', message: 'bad' }] }),
      [{ file: 'a.toml', key: 'metrics.x', line: 3, message: 'bad' }],
    );
  });

  test('a rejected query is about the config fragment on the line the warehouse names, else its data source', () => {
    const planned = {
      kind: 'metrics_scan' as const,
      destination: { dataset: 'd', table: 'metrics_x_day_1' },
      sql: '',
      period: 'day' as const,
      references: [
        {
          column: null,
          lines: { start: 10, end: 10 },
          provenance: { file: 'defs.toml', key: 'data_sources.cd.from_expression', line: 2 },
        },
        {
          column: 'good',
          lines: { start: 3, end: 3 },
          provenance: { file: 'defs.toml', key: 'metrics.good.select_expression', line: 8 },
        },
        {
          column: 'bad',
          lines: { start: 4, end: 5 },
          provenance: { file: 'x.toml', key: 'metrics.bad.select_expression', line: 13 },
        },
      ],
    };
    const said = 'Binder Error: no column\n\nLINE 5: SUM(x)';
    assert.deepEqual(querySubjects(planned, 5, said), [
      {
        query: 'metrics_x_day_1',
        period: 'day',
        analysisBasis: null,
        message: 'warehouse said: Binder Error: no column',
        metric: 'bad',
        file: 'x.toml',
        key: 'metrics.bad.select_expression',
        line: 13,
      },
    ]);
    assert.equal(querySubjects(planned, null, said)[0]?.key, 'data_sources.cd.from_expression');
  });
});

describe('the logs table', () => {
  test("a table an older contrail wrote gains jetstream's columns, keeping its rows", async () => {
    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    try {
      await checkOldLogsTableMigrated(warehouse, 'old_logs', `old_logs.${LOGS_TABLE}`);
    } finally {
      await warehouse.close();
    }
  });

  test('a row logged again is one row with the time it was last logged', async () => {
    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    try {
      const at = (iso: string) => logRows(error, { ...context, now: new Date(iso) });
      await recordLogs(warehouse, 'logged', at('2026-03-10T01:00:00Z'));
      // The same date analysed again the next day: the same warning, seen then.
      await recordLogs(warehouse, 'logged', at('2026-03-11T05:00:00Z'));
      const rows = await warehouse.query(
        `SELECT CAST(timestamp AS VARCHAR) AS at, message FROM logged.${LOGS_TABLE}`,
      );
      assert.deepEqual(rows, [{ at: '2026-03-11 05:00:00', message: error.message }]);
    } finally {
      await warehouse.close();
    }
  });
});

/** A config repo whose experiment `broken` names a data source no file defines, at `dir`. */
async function brokenRepo(dir: string): Promise<string> {
  await mkdir(join(dir, 'definitions'), { recursive: true });
  await mkdir(join(dir, 'jetstream'), { recursive: true });
  await writeFile(
    join(dir, 'definitions', 'firefox_desktop.toml'),
    '[data_sources.clients_daily]\nfrom_expression = "mozdata.telemetry.clients_daily"\n',
  );
  await writeFile(
    join(dir, 'jetstream', 'broken.toml'),
    '[metrics]\nweekly = ["hours"]\n\n[metrics.hours]\ndata_source = "no_such_source"\nselect_expression = "SUM(x)"\n\n[metrics.hours.statistics.bootstrap_mean]\n',
  );
  return dir;
}

/** The log rows of resolving `broken` from the config repo at `repo`, as a worker reading it logs them. */
async function loggedProblems(repo: string, now: string): Promise<Record<string, unknown>[]> {
  const collection = await loadConfigCollection({ repos: [repo] });
  try {
    resolveAnalysisSpec(collection, testExperiment({ slug: 'broken' }));
  } catch (failure) {
    if (!(failure instanceof ConfigError)) throw failure;
    return logRows(
      {
        slug: 'broken',
        date: '2026-03-10',
        stage: 'planDay',
        message: failure.message,
        errorType: failure.name,
        configCommit: null,
        subjects: errorSubjects(failure.details),
      },
      { ...context, now: new Date(now) },
    );
  }
  throw new Error('the broken config resolved');
}

describe('log rows about a config file, from workers whose config repos are in different directories', () => {
  test('are one row, naming the file from the config repo on', async () => {
    const root = await mkdtemp(join(tmpdir(), 'contrail-logs-'));
    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    try {
      // One worker's checkout in a home directory, another's a scratch clone made at its start.
      const first = await loggedProblems(
        await brokenRepo(join(root, 'home', 'metric-hub')),
        '2026-03-10T01:00:00Z',
      );
      const second = await loggedProblems(
        await brokenRepo(join(root, 'contrail-config-x1y2', 'checkout')),
        '2026-03-11T05:00:00Z',
      );
      assert.ok(first.length > 0);
      assert.deepEqual(
        second.map((r) => r.log_id),
        first.map((r) => r.log_id),
      );
      assert.deepEqual(
        first.map((r) => [r.config_file, r.config_key]),
        [['jetstream/broken.toml', 'metrics.hours.data_source']],
      );
      await recordLogs(warehouse, 'logged', first);
      await recordLogs(warehouse, 'logged', second);
      const rows = await warehouse.query(
        `SELECT config_file, CAST(timestamp AS VARCHAR) AS at FROM logged.${LOGS_TABLE}`,
      );
      assert.deepEqual(rows, [{ config_file: 'jetstream/broken.toml', at: '2026-03-11 05:00:00' }]);
    } finally {
      await warehouse.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('about different files of the repo, are rows of their own', () => {
    const files = [
      '/srv/metric-hub/definitions/fenix.toml',
      '/srv/metric-hub/jetstream/definitions/fenix.toml',
      '/srv/metric-hub/jetstream/defaults/fenix.toml',
      '/srv/metric-hub/jetstream/outcomes/fenix/fenix.toml',
      '/srv/metric-hub/jetstream/fenix.toml',
      '/srv/configs/outcomes/fenix/fenix.toml',
      '/srv/configs/fenix.toml',
    ];
    assert.deepEqual(files.map(configFileInRepo), [
      'definitions/fenix.toml',
      'jetstream/definitions/fenix.toml',
      'jetstream/defaults/fenix.toml',
      'jetstream/outcomes/fenix/fenix.toml',
      'jetstream/fenix.toml',
      'outcomes/fenix/fenix.toml',
      'fenix.toml',
    ]);
    const ids = files.map(
      (file) =>
        logRows({ ...error, subjects: [{ file, key: 'metrics.x', line: 3, message: 'bad' }] }, context)[0]
          ?.log_id,
    );
    assert.equal(new Set(ids).size, files.length);
    // Texts that name no file stay as they are.
    assert.equal(configFileInRepo('(config repos)'), '(config repos)');
    assert.equal(configFileInRepo('x.toml (custom config)'), 'x.toml (custom config)');
  });
});
