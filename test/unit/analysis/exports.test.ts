import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../../../src/activities/index.js';
import { exportedConfigFile, exportedErrors, type LoggedRow, logRows } from '../../../src/analysis/logs.js';
import { experimentMetadata } from '../../../src/analysis/publish.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
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

/** A statistic warning that held on both bases, as the statistics step logs it. */
const warningRows = logRows(
  {
    slug: SLUG,
    date: '2026-03-16',
    stage: 'statistics week 2',
    message: 'search_count/deciles: relative uplift is undefined …',
    errorType: 'StatisticWarning',
    configCommit: null,
    subjects: [
      {
        metric: 'search_count',
        statistic: 'deciles',
        analysisBasis: 'enrollments, exposures',
        segment: 'all, us_clients',
        period: 'week',
        file: '/srv/checkouts/metric-hub/jetstream/defaults/firefox_desktop.toml',
        key: 'metrics.search_count.statistics.deciles',
        line: 48,
      },
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
  test('every entry validates; a row about two bases is one entry per basis', () => {
    const exported = [...asLogged(warningRows), ...asLogged(failureRows)].flatMap((r) =>
      exportedErrors(r, 'jetstream'),
    );
    assert.deepEqual(schemaProblems(ANALYSIS_ERRORS, exported), []);
    assert.deepEqual(
      exported.map((e) => [e.analysis_basis, e.metric, e.log_level]),
      [
        ['enrollments', 'search_count', 'WARNING'],
        ['exposures', 'search_count', 'WARNING'],
        [null, null, 'ERROR'],
      ],
    );
    assert.equal(exported[0]?.source, 'jetstream');
    // Where the config author looks, from the config repo on: not the worker's checkout path.
    assert.equal(exported[0]?.filename, 'jetstream/defaults/firefox_desktop.toml');
    assert.equal(exported[0]?.func_name, 'statistics week 2');
    assert.equal(exported[2]?.filename, 'contrail');
    assert.equal(exported[2]?.func_name, 'enrollments');
    assert.equal(exported[2]?.exception_type, 'PlannedQueryError');
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
    assert.equal(exportedConfigFile('/a/b/metric-hub/definitions/fenix.toml'), 'definitions/fenix.toml');
    assert.equal(exportedConfigFile('/a/jetstream/b/jetstream/my-exp.toml'), 'jetstream/my-exp.toml');
    assert.equal(exportedConfigFile('/tmp/preview/my-exp.toml'), 'my-exp.toml');
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
