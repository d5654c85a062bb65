import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../../../src/activities/index.js';
import type { AnalysisTarget } from '../../../src/activities/types.js';
import {
  type ExportedError,
  errorsSince,
  exportedErrors,
  type LoggedRow,
} from '../../../src/analysis/errors-export.js';
import { logRow, logRows, recordLogs } from '../../../src/analysis/logs.js';
import {
  defaultFriendlyName,
  experimentMetadata,
  exportErrors,
  publishResults,
} from '../../../src/analysis/publish.js';
import { runTables } from '../../../src/analysis/staging.js';
import { STATISTICS_COLUMNS } from '../../../src/analysis/statistics.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { configFileInRepo } from '../../../src/config/repo-layout.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { currentToolVersion } from '../../../src/versions/tool-version.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { testDeps } from '../../helpers/deps.js';
import { testExperiment } from '../../helpers/experiment.js';
import { nimbusSchema, schemaProblems } from '../../helpers/json-schema.js';

/**
 * The exported JSON as Experimenter reads it: it validates each whole file against
 * mozilla-nimbus-schemas (AnalysisErrors, Metadata) before its results page shows anything of
 * the experiment, so one entry it refuses hides every result.
 */
const SLUG = 'contrail-demo-sidebar';
const NOW = new Date('2026-03-16T06:00:00Z');
const context = { now: NOW, toolVersion: '0.1.0' };
const ANALYSIS_ERRORS = nimbusSchema('AnalysisErrors');

/**
 * A statistic warning that held on both bases, as the statistics step logs it: a row per basis,
 * each with its own segments.
 */
const warningSubject = {
  metric: 'search_count',
  statistic: 'deciles',
  period: 'week',
  file: '/srv/checkouts/metric-hub/jetstream/defaults/firefox_desktop.toml',
  key: 'metrics.search_count.statistics.deciles',
  line: 48,
};
const warning = {
  slug: SLUG,
  date: '2026-03-16',
  stage: 'statistics week 2',
  message:
    'search_count/deciles: relative uplift is undefined … (enrollments basis, segments all, us_clients; exposures basis, segment all)',
  errorType: 'StatisticWarning',
  configCommit: null,
};
const warningRows = logRows(
  {
    ...warning,
    subjects: [
      { ...warningSubject, analysisBasis: 'enrollments', segment: 'all, us_clients' },
      { ...warningSubject, analysisBasis: 'exposures', segment: 'all' },
    ],
  },
  { ...context, level: 'WARNING' },
);
/** A failed analysis about nothing narrower than the experiment. */
const failureRows = logRows(
  {
    slug: SLUG,
    date: '2026-03-16',
    stage: 'enrollments',
    message: 'the enrollments query failed',
    errorType: 'PlannedQueryError',
  },
  context,
);

const asLogged = (rows: Record<string, unknown>[]): LoggedRow[] => rows as LoggedRow[];

describe('exported errors follow the AnalysisErrors schema', () => {
  test('every entry validates; a warning is one entry per basis and segment, as jetstream logs them', () => {
    const exported = [...asLogged(warningRows), ...asLogged(failureRows)].flatMap((r) =>
      exportedErrors(r, 'jetstream'),
    );
    assert.deepEqual(schemaProblems(ANALYSIS_ERRORS, exported), []);
    assert.deepEqual(
      exported.map((e) => [e.analysis_basis, e.segment, e.metric, e.log_level]),
      [
        ['enrollments', 'all', 'search_count', 'WARNING'],
        ['enrollments', 'us_clients', 'search_count', 'WARNING'],
        ['exposures', 'all', 'search_count', 'WARNING'],
        [null, null, null, 'ERROR'],
      ],
    );
    assert.equal(exported[0]?.source, 'jetstream');
    // Where the config author looks, from the config repo on: not the worker's checkout path.
    assert.equal(exported[0]?.filename, 'jetstream/defaults/firefox_desktop.toml');
    assert.equal(exported[0]?.func_name, 'statistics week 2');
    assert.equal(exported[3]?.filename, 'contrail');
    assert.equal(exported[3]?.func_name, 'enrollments');
    assert.equal(exported[3]?.exception_type, 'PlannedQueryError');
  });

  test('a row about several bases that does not say which segments went with which is one entry per basis', () => {
    // A failure, or a warning logged before warnings were logged per basis.
    const [row] = logRows(
      {
        ...warning,
        subjects: [
          { ...warningSubject, analysisBasis: 'enrollments, exposures', segment: 'all, us_clients' },
        ],
      },
      { ...context, level: 'WARNING' },
    );
    const exported = exportedErrors(row as LoggedRow, 'jetstream');
    assert.deepEqual(schemaProblems(ANALYSIS_ERRORS, exported), []);
    assert.deepEqual(
      exported.map((e) => [e.analysis_basis, e.segment]),
      [
        ['enrollments', 'all, us_clients'],
        ['exposures', 'all, us_clients'],
      ],
    );
  });

  test("an error's exception is its type and message as jetstream's log handler writes them; a warning has none", () => {
    const [failure] = asLogged(failureRows).flatMap((r) => exportedErrors(r, 'jetstream'));
    assert.equal(
      failure?.exception,
      "(<class 'PlannedQueryError'>, PlannedQueryError('the enrollments query failed'), None)",
    );
    const [warned] = asLogged(warningRows).flatMap((r) => exportedErrors(r, 'jetstream'));
    assert.equal(warned?.exception, null);
    // The logs table's own column says the same.
    assert.equal(failureRows[0]?.exception, failure?.exception);
    assert.equal(warningRows[0]?.exception, null);
    // A row logged before the table had the column has it derived again, quoted as Python's
    // repr() quotes the message.
    const exceptionOf = (message: string) =>
      exportedErrors({ ...asLogged(failureRows)[0], message, exception: null } as LoggedRow, 'jetstream')[0]
        ?.exception;
    assert.equal(
      exceptionOf("can't read"),
      `(<class 'PlannedQueryError'>, PlannedQueryError("can't read"), None)`,
    );
    assert.equal(
      exceptionOf('it\'s "x"\n\ttab\\ \u0001 \u2028 é'),
      `(<class 'PlannedQueryError'>, PlannedQueryError('it\\'s "x"\\n\\ttab\\\\ \\x01 \\u2028 é'), None)`,
    );
    assert.equal(exceptionOf(''), "(<class 'PlannedQueryError'>, PlannedQueryError(), None)");
    // What jetstream wrote to a logs table it shares stays as it wrote it.
    const jetstreamRow = { ...asLogged(failureRows)[0], exception: 'None' } as LoggedRow;
    assert.equal(exportedErrors(jetstreamRow, 'jetstream')[0]?.exception, 'None');
  });

  test('a row written before rows named their subject (no such columns) still validates', () => {
    const legacy: LoggedRow = {
      timestamp: NOW,
      experiment: SLUG,
      stage: null,
      log_level: null,
      exception_type: 'ConfigError',
      message: null,
    };
    const exported = exportedErrors(legacy, 'jetstream-preview');
    assert.deepEqual(schemaProblems(ANALYSIS_ERRORS, exported), []);
    assert.equal(exported[0]?.source, 'jetstream-preview');
    assert.equal(exported[0]?.timestamp, NOW.toISOString());
  });

  test('config files by their place in the config repo', () => {
    assert.equal(configFileInRepo('/a/b/metric-hub/definitions/fenix.toml'), 'definitions/fenix.toml');
    assert.equal(configFileInRepo('/a/jetstream/b/jetstream/my-exp.toml'), 'jetstream/my-exp.toml');
    assert.equal(configFileInRepo('/tmp/preview/my-exp.toml'), 'my-exp.toml');
    // As the logs table names them since, and a row an older contrail logged by its worker's path.
    assert.equal(configFileInRepo('jetstream/defaults/fenix.toml'), 'jetstream/defaults/fenix.toml');
    const logged: LoggedRow = {
      timestamp: NOW,
      experiment: 'x',
      stage: 'planDay',
      log_level: 'ERROR',
      exception_type: 'ConfigError',
      message: 'bad',
      config_file: '/home/w/metric-hub/jetstream/defaults/fenix.toml',
    };
    assert.equal(exportedErrors(logged, 'jetstream')[0]?.filename, 'jetstream/defaults/fenix.toml');
  });
});

describe('a failed analysis exports its errors', () => {
  let warehouse: Warehouse;
  let exportDir: string;
  const error = {
    slug: SLUG,
    date: '2026-03-16',
    stage: 'metrics',
    message: 'the metrics query failed',
    errorType: 'PlannedQueryError',
  };
  const file = (dataset: string) => join(exportDir, dataset, 'errors', 'errors_contrail_demo_sidebar.json');

  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    exportDir = mkdtempSync(join(tmpdir(), 'contrail-errors-'));
  });
  after(async () => {
    await warehouse.close();
  });

  test('with exports, recordError writes errors_<slug>.json holding the error, valid for Experimenter', async () => {
    const activities = createActivities(testDeps(warehouse, { exportDir, now: () => NOW }));
    await activities.recordError({ dataset: 'failed_run', error, exports: true });
    const exported = JSON.parse(readFileSync(file('failed_run'), 'utf8')) as Record<string, unknown>[];
    assert.deepEqual(schemaProblems(ANALYSIS_ERRORS, exported), []);
    assert.equal(exported.length, 1);
    assert.equal(exported[0]?.message, 'the metrics query failed');
    assert.equal(exported[0]?.exception_type, 'PlannedQueryError');
    assert.equal(exported[0]?.source, 'jetstream');
  });

  test('a preview that exports names itself; without exports (or from an older workflow) nothing is written', async () => {
    const activities = createActivities(testDeps(warehouse, { exportDir, now: () => NOW }));
    await activities.recordError({ dataset: 'previewed', error, exports: true, preview: true });
    const exported = JSON.parse(readFileSync(file('previewed'), 'utf8')) as Record<string, unknown>[];
    assert.equal(exported[0]?.source, 'jetstream-preview');

    await activities.recordError({ dataset: 'not_exported', error, exports: false });
    await activities.recordError({ dataset: 'older_workflow', error });
    assert.equal(existsSync(file('not_exported')), false);
    assert.equal(existsSync(file('older_workflow')), false);
  });

  test("the production dataset's file goes where Experimenter reads it: at the top, whatever the dataset's name", async () => {
    // A BigQuery worker whose daily runs write to CONTRAIL_BIGQUERY_DATASET=mozanalysis.
    const top = join(exportDir, 'errors', 'errors_contrail_demo_sidebar.json');
    rmSync(top, { force: true });
    const activities = createActivities(
      testDeps(warehouse, { exportDir, now: () => NOW, productionDataset: 'mozanalysis' }),
    );
    await activities.recordError({ dataset: 'mozanalysis', error, exports: true });
    assert.equal(existsSync(top), true, 'errors/errors_<slug>.json at the top of the export location');
    assert.equal(existsSync(file('mozanalysis')), false, 'not under mozanalysis/');
    // Any other dataset of that worker (a preview's) still goes under its own name.
    await activities.recordError({ dataset: 'contrail', error, exports: true });
    assert.equal(existsSync(file('contrail')), true);
  });
});

describe('errors_<slug>.json lists entries of the same instant in the order of what they say', () => {
  let warehouse: Warehouse;
  let exportDir: string;
  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    exportDir = mkdtempSync(join(tmpdir(), 'contrail-errors-order-'));
  });
  after(async () => {
    await warehouse.close();
  });

  const EARLIER = new Date('2026-03-16T05:59:00Z');
  /** A step's warnings about one metric, logged in the same instant, from a checkout at `checkout`. */
  const warned = (checkout: string, metric: string, statistic: string, now = NOW) =>
    logRows(
      {
        ...warning,
        message: `${metric}/${statistic}: relative uplift is undefined`,
        subjects: [
          {
            ...warningSubject,
            metric,
            statistic,
            file: `${checkout}/metric-hub/jetstream/defaults/firefox_desktop.toml`,
            analysisBasis: 'enrollments',
            segment: 'us_clients, all',
          },
        ],
      },
      { ...context, now, level: 'WARNING' },
    );
  /** The same analysis's logs, written in the order the given metrics are listed. */
  const logged = (checkout: string, metrics: string[]) => [
    ...metrics.flatMap((m) => warned(checkout, m, m === 'ad_clicks' ? 'mean' : 'deciles')),
    ...failureRows,
    ...warned(checkout, 'uri_count', 'deciles', EARLIER),
  ];
  const exported = async (dataset: string, rows: Record<string, unknown>[]) => {
    await recordLogs(warehouse, dataset, rows);
    const path = await exportErrors({
      warehouse,
      dataset,
      slug: SLUG,
      exportDir,
      preview: false,
      since: null,
    });
    return readFileSync(path, 'utf8');
  };

  test('by time, then level, metric, statistic, segment: the same from checkouts at different paths', async () => {
    const first = await exported(
      'checkout_a',
      logged('/srv/a', ['search_count', 'ad_clicks', 'active_hours']),
    );
    const second = await exported(
      'checkout_b',
      logged('/home/someone/elsewhere', ['active_hours', 'search_count', 'ad_clicks']),
    );
    const entries = JSON.parse(first) as ExportedError[];
    assert.deepEqual(schemaProblems(ANALYSIS_ERRORS, entries), []);
    assert.deepEqual(
      entries.map((e) => [e.timestamp, e.log_level, e.metric, e.statistic, e.segment]),
      [
        [EARLIER.toISOString(), 'WARNING', 'uri_count', 'deciles', 'all'],
        [EARLIER.toISOString(), 'WARNING', 'uri_count', 'deciles', 'us_clients'],
        [NOW.toISOString(), 'ERROR', null, null, null],
        [NOW.toISOString(), 'WARNING', 'active_hours', 'deciles', 'all'],
        [NOW.toISOString(), 'WARNING', 'active_hours', 'deciles', 'us_clients'],
        [NOW.toISOString(), 'WARNING', 'ad_clicks', 'mean', 'all'],
        [NOW.toISOString(), 'WARNING', 'ad_clicks', 'mean', 'us_clients'],
        [NOW.toISOString(), 'WARNING', 'search_count', 'deciles', 'all'],
        [NOW.toISOString(), 'WARNING', 'search_count', 'deciles', 'us_clients'],
      ],
    );
    assert.equal(second, first);
  });
});

describe('metadata_<slug>.json lists the config overrides', () => {
  test("external_config: what the config changed of Experimenter's record, linked to the config; valid Metadata", async () => {
    const collection = await loadConfigCollection({ repos: [join('test', 'fixtures', 'config', 'repo')] });
    const metadataOf = (proposedEnrollment: number, startDate: string) => {
      const experiment = testExperiment({ slug: 'good-experiment', startDate, proposedEnrollment });
      const { spec } = resolveAnalysisSpec(collection, experiment);
      return experimentMetadata({
        spec,
        collection,
        pin: { configCommit: null, anchor: null },
        toolVersion: currentToolVersion(),
        analysisStartTime: NOW,
      });
    };
    // The config sets start 2024-01-01, end 2024-02-01, enrollment 7; Experimenter had others.
    const overridden = metadataOf(14, '2023-12-01');
    assert.deepEqual(schemaProblems(nimbusSchema('Metadata'), overridden), []);
    assert.deepEqual(overridden.external_config, {
      reference_branch: null,
      end_date: '2024-02-01',
      start_date: '2024-01-01',
      enrollment_period: 7,
      skip: false,
      url: 'https://github.com/mozilla/metric-hub/blob/main/jetstream/good-experiment.toml',
    });
    // The end date alone differs (Experimenter has none yet).
    const endOnly = metadataOf(7, '2024-01-01');
    assert.equal(endOnly.external_config?.start_date, null);
    assert.equal(endOnly.external_config?.enrollment_period, null);
    assert.equal(endOnly.external_config?.end_date, '2024-02-01');
  });
});

describe("metadata_<slug>.json's default friendly names", () => {
  test("a metric without a friendly name is shown as jetstream shows it: Python's title() of its name", async () => {
    // Python 3: name.replace("_", " ").title()
    for (const [name, title] of [
      ['dau_impact', 'Dau Impact'],
      ['URL_count', 'Url Count'],
      ['2nd_day', '2Nd Day'],
      ['ad_clicks_v2', 'Ad Clicks V2'],
      ['fxa_SIGNED_in', 'Fxa Signed In'],
      ['my-outcome', 'My-Outcome'],
      ['__a', '  A'],
    ])
      assert.equal(defaultFriendlyName(name ?? ''), title, name);

    const collection = await loadConfigCollection({ repos: [join('test', 'fixtures', 'config', 'repo')] });
    const { spec } = resolveAnalysisSpec(collection, testExperiment({ slug: 'good-experiment' }));
    const [first] = spec.metrics.week ?? [];
    assert.ok(first);
    const unnamed = { ...first, name: 'URL_count', friendlyName: null };
    const metadata = experimentMetadata({
      spec: { ...spec, metrics: { ...spec.metrics, week: [unnamed] } },
      collection,
      pin: { configCommit: null, anchor: null },
      toolVersion: currentToolVersion(),
      analysisStartTime: NOW,
    });
    assert.deepEqual(schemaProblems(nimbusSchema('Metadata'), metadata), []);
    assert.equal(metadata.metrics.URL_count?.friendly_name, 'Url Count');
  });
});

describe("the errors file and analysis_start_time follow the run, as jetstream's", () => {
  // Experimenter's enrollment end 2026-03-02: analysis weeks start 03-03, 03-10, 03-17 (UTC).
  const ENROLLMENT_END = '2026-03-02';
  // The run writes its first result table at 05:00 and publishes (or fails) at 06:00.
  const RUN_START = new Date('2026-03-16T05:00:00Z');
  const DONE = new Date('2026-03-16T06:00:00Z');
  const NO_PROGRESS = { job: () => ({}), step: () => {} };
  let clock = RUN_START.getTime();
  let warehouse: Warehouse;
  let exportDir: string;

  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:', now: () => clock });
    exportDir = mkdtempSync(join(tmpdir(), 'contrail-scoped-errors-'));
  });
  after(async () => {
    await warehouse.close();
  });

  const warning = (slug: string, message: string, at: string, errorType = 'StatisticWarning') =>
    logRow(
      { slug, date: at.slice(0, 10), stage: 'statistics week 1', message, errorType },
      { now: new Date(at), toolVersion: '0.1.0', level: 'WARNING' },
    );
  /** The run's first staged result table, written at RUN_START. */
  async function stageTable(run: string, dataset: string, slug: string) {
    clock = RUN_START.getTime();
    await warehouse.createDataset(dataset);
    const results = await runTables(warehouse, { run, dataset, slug });
    const table = results.written(`statistics_${slug.replaceAll('-', '_')}_week_1`);
    await warehouse.writeRows({
      destination: { dataset, table },
      columns: STATISTICS_COLUMNS,
      rows: [],
      mode: 'replace',
      expirationDays: results.expirationDays(table),
    });
    clock = DONE.getTime();
    return runTables(warehouse, { run, dataset, slug });
  }
  const read = (dataset: string, kind: 'errors' | 'metadata', slug: string) =>
    JSON.parse(readFileSync(join(exportDir, dataset, kind, `${kind}_${slug}.json`), 'utf8')) as Record<
      string,
      unknown
    >[] &
      Record<string, unknown>;

  test('since the current analysis week began before the run; the run start alone without an enrollment end', () => {
    assert.equal(errorsSince(RUN_START, ENROLLMENT_END).toISOString(), '2026-03-10T00:00:00.000Z');
    // A run within the first day after enrollment ended: its own start, floored to the minute.
    assert.equal(
      errorsSince(new Date('2026-03-03T00:00:30Z'), ENROLLMENT_END).toISOString(),
      '2026-03-03T00:00:00.000Z',
    );
    assert.equal(
      errorsSince(new Date('2026-03-16T05:00:42.5Z'), null).toISOString(),
      '2026-03-16T05:00:00.000Z',
    );
  });

  test("publishing: analysis_start_time is when the run began, so Experimenter shows the run's own warnings; the file holds this week's logs less jetstream's skipped kinds and what jetstream logged without an exception", async () => {
    const dataset = 'scoped';
    const slug = 'test-experiment';
    const collection = await loadConfigCollection({ repos: [join('test', 'fixtures', 'config', 'repo')] });
    const experiment = testExperiment({ startDate: '2026-02-24', enrollmentEndDate: ENROLLMENT_END });
    const { spec } = resolveAnalysisSpec(collection, experiment);
    await recordLogs(warehouse, dataset, [
      warning(slug, 'last week: search_count/mean failed (since fixed)', '2026-03-09T06:00:00Z'),
      warning(slug, 'earlier this week: a warning of an earlier run', '2026-03-12T06:00:00Z'),
      warning(slug, 'this run: sample ratio mismatch', '2026-03-16T05:30:00Z'),
      // What jetstream writes to a logs table it shares, and its export leaves out.
      warning(slug, 'jetstream: the experiment has ended', '2026-03-16T05:40:00Z', 'EndedException'),
      // A warning jetstream's log handler wrote (no exception, so no type): its export never
      // lists one, and Experimenter would show it as an "Unknown error".
      {
        ...warning(slug, 'jetstream: falling back to unadjusted inferences', '2026-03-16T05:45:00Z'),
        exception_type: null,
        source: 'jetstream',
      },
    ]);
    const results = await stageTable('analysis/test-experiment/2026-03-16', dataset, slug);
    await publishResults({
      warehouse,
      spec,
      collection,
      dataset,
      pin: { configCommit: null, anchor: null },
      toolVersion: currentToolVersion(),
      exportDir,
      preview: false,
      results,
      now: DONE,
      progress: NO_PROGRESS,
    });

    const metadata = read(dataset, 'metadata', 'test_experiment');
    assert.deepEqual(schemaProblems(nimbusSchema('Metadata'), metadata), []);
    assert.equal(metadata.analysis_start_time, RUN_START.toISOString());
    const errors = read(dataset, 'errors', 'test_experiment');
    assert.deepEqual(schemaProblems(ANALYSIS_ERRORS, errors), []);
    assert.deepEqual(
      errors.map((e) => e.message),
      ['earlier this week: a warning of an earlier run', 'this run: sample ratio mismatch'],
    );
    // Experimenter shows the entries no older than analysis_start_time: the run's own.
    const shown = errors.filter(
      (e) => Date.parse(String(e.timestamp)) >= Date.parse(String(metadata.analysis_start_time)),
    );
    assert.deepEqual(
      shown.map((e) => e.message),
      ['this run: sample ratio mismatch'],
    );
  });

  test('a failed run lists the logs since its start; a workflow that names no target (older) every row', async () => {
    const dataset = 'failed_scoped';
    // No source knows it: its enrollment end is unknown, so the file starts at the run's start.
    const slug = 'unknown-experiment';
    const run = 'analysis/unknown-experiment/2026-03-16';
    await recordLogs(warehouse, dataset, [
      warning(slug, 'last week: a warning of an earlier run', '2026-03-09T06:00:00Z'),
      warning(slug, 'this run: week 1 warned', '2026-03-16T05:30:00Z'),
    ]);
    await stageTable(run, dataset, slug);
    const target: AnalysisTarget = {
      slug,
      dataset,
      pin: {
        toolVersion: '0.1.0',
        buildId: null,
        configCommit: null,
        anchor: null,
        reason: 'anchor',
        resolvedAt: RUN_START.toISOString(),
      },
      configOverride: null,
      sampleSize: null,
      periods: null,
      lenient: false,
      run,
    };
    const error = {
      slug,
      date: '2026-03-16',
      stage: 'statistics',
      message: 'week 2 failed',
      errorType: 'PlannedQueryError',
    };
    const activities = createActivities(testDeps(warehouse, { exportDir, now: () => DONE }));
    await activities.recordError({ dataset, error, exports: true, target });
    const errors = read(dataset, 'errors', 'unknown_experiment');
    assert.deepEqual(schemaProblems(ANALYSIS_ERRORS, errors), []);
    assert.deepEqual(
      errors.map((e) => e.message),
      ['this run: week 1 warned', 'week 2 failed'],
    );

    await activities.recordError({ dataset, error, exports: true });
    assert.equal(read(dataset, 'errors', 'unknown_experiment').length, 3);
  });
});
