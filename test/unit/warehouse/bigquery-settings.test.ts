import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CliError } from '../../../src/client/errors.js';
import { defaultActivityDeps } from '../../../src/client/runtime.js';
import { ContrailError } from '../../../src/errors.js';
import { datasetExportPath } from '../../../src/exports/target.js';
import { SettingsError } from '../../../src/settings.js';
import { bigQuerySettings } from '../../../src/warehouse/bigquery-settings.js';

describe('BigQuery settings', () => {
  test('from the environment, with defaults; --project_id/--dataset_id override', () => {
    assert.deepEqual(
      bigQuerySettings({
        CONTRAIL_BIGQUERY_PROJECT: 'my-project-1',
        CONTRAIL_BIGQUERY_LOCATION: 'EU',
        CONTRAIL_BIGQUERY_ENDPOINT: 'http://127.0.0.1:9050',
        CONTRAIL_BIGQUERY_MAX_BYTES_BILLED: '1000000000',
        CONTRAIL_BIGQUERY_TIMEOUT_MS: '30000',
      }),
      {
        project: 'my-project-1',
        sourceProject: 'moz-fx-data-shared-prod',
        location: 'EU',
        apiEndpoint: 'http://127.0.0.1:9050',
        maximumBytesBilled: 1_000_000_000,
        requestTimeoutMs: 30_000,
      },
    );
    // The limit is written as --max_bytes is: with a unit, of 1000 or 1024.
    for (const [written, bytes] of [
      ['5MB', 5_000_000],
      ['1.5TiB', 1.5 * 2 ** 40],
      ['2 GiB', 2 * 2 ** 30],
      ['10tb', 10e12],
      ['1024', 1024],
    ] as const) {
      const settings = bigQuerySettings({
        CONTRAIL_BIGQUERY_PROJECT: 'my-project-1',
        CONTRAIL_BIGQUERY_MAX_BYTES_BILLED: written,
      });
      assert.equal(settings.maximumBytesBilled, bytes, written);
    }
    const overridden = bigQuerySettings({ GOOGLE_CLOUD_PROJECT: 'gcloud-project' });
    assert.equal(overridden.project, 'gcloud-project');
    assert.equal(overridden.requestTimeoutMs, 60_000, 'a minute for one request unless set');
    assert.equal(bigQuerySettings({}, { projectId: 'flag-project' }).project, 'flag-project');
    // An unknown variable set to nothing sets nothing: no typo to report.
    assert.equal(
      bigQuerySettings({ CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_XYZ: ' ' }).project,
      'my-project-1',
    );
  });

  for (const [env, message] of [
    [{}, /CONTRAIL_BIGQUERY_PROJECT \(or --project_id\) must name/],
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'Bad_Project' },
      /CONTRAIL_BIGQUERY_PROJECT: invalid project id "Bad_Project"/,
    ],
    // Read when CONTRAIL_BIGQUERY_PROJECT is not set, it is named when it is the one at fault.
    [{ GOOGLE_CLOUD_PROJECT: 'My-Project' }, /^GOOGLE_CLOUD_PROJECT: invalid project id "My-Project"/],
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_DATASET: 'a-b' },
      /CONTRAIL_BIGQUERY_DATASET/,
    ],
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_LOCATION: 'u s' },
      /CONTRAIL_BIGQUERY_LOCATION="u s"/,
    ],
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_ENDPOINT: 'localhost:9050' },
      /expected a URL/,
    ],
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_MAX_BYTES_BILLED: '10 TBs' },
      /^CONTRAIL_BIGQUERY_MAX_BYTES_BILLED="10 TBs": expected a number of bytes \(more than 0\), optionally with a unit \(KB, MB, GB, TB, PB: powers of 1000; KiB, MiB, GiB, TiB, PiB: of 1024\), e\.g\. 2GB$/,
    ],
    // No job could run under a limit of nothing.
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_MAX_BYTES_BILLED: '0GB' },
      /^CONTRAIL_BIGQUERY_MAX_BYTES_BILLED="0GB": expected a number of bytes \(more than 0\)/,
    ],
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_TIMEOUT_MS: '60s' },
      /CONTRAIL_BIGQUERY_TIMEOUT_MS="60s": expected a whole number of milliseconds/,
    ],
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_TIMEOUT_MS: '60' },
      /CONTRAIL_BIGQUERY_TIMEOUT_MS="60": .*at least 1000/,
    ],
    // A misspelt setting would leave jobs without the billing guard its author set.
    [
      { CONTRAIL_BIGQUERY_PROJECT: 'my-project-1', CONTRAIL_BIGQUERY_MAX_BYTE_BILLED: '1000000000' },
      /^CONTRAIL_BIGQUERY_MAX_BYTE_BILLED is not a contrail setting \(did you mean CONTRAIL_BIGQUERY_MAX_BYTES_BILLED\?\); the BigQuery settings are CONTRAIL_BIGQUERY_PROJECT, .*CONTRAIL_BIGQUERY_TIMEOUT_MS$/,
    ],
    [
      { CONTRAIL_BIGQUERY_PROJEC: 'my-project-1' },
      /^CONTRAIL_BIGQUERY_PROJEC is not a contrail setting \(did you mean CONTRAIL_BIGQUERY_PROJECT\?\)/,
    ],
  ] as const) {
    test(`a bad setting is refused, naming it: ${message.source.slice(0, 40)}`, () => {
      assert.throws(
        () => bigQuerySettings(env),
        (error) =>
          error instanceof SettingsError &&
          error instanceof ContrailError &&
          error.permanent &&
          message.test(error.message),
      );
    });
  }

  test('CONTRAIL_WAREHOUSE=bigquery makes the worker use the BigQuery adapter; a bad setting stops it at start', async () => {
    const deps = defaultActivityDeps(
      {},
      { CONTRAIL_WAREHOUSE: 'bigquery', CONTRAIL_BIGQUERY_PROJECT: 'my-project-1' },
    );
    const warehouse = await deps.warehouse();
    assert.equal(warehouse.dialect, 'bigquery');
    assert.equal(await deps.warehouse(), warehouse, 'one warehouse per worker process');
    assert.throws(() => defaultActivityDeps({}, { CONTRAIL_WAREHOUSE: 'bigquery' }), CliError);
    assert.throws(
      () => defaultActivityDeps({}, { CONTRAIL_WAREHOUSE: 'snowflake' }),
      /valid warehouses are duckdb and bigquery/,
    );
  });

  test("the production dataset, whose exports go at the top in jetstream's layout, is the results dataset the worker is set up with", () => {
    const production = (env: NodeJS.ProcessEnv) => defaultActivityDeps({}, env).productionDataset;
    const bigquery = { CONTRAIL_WAREHOUSE: 'bigquery', CONTRAIL_BIGQUERY_PROJECT: 'my-project-1' };
    assert.equal(production({ ...bigquery, CONTRAIL_BIGQUERY_DATASET: 'mozanalysis' }), 'mozanalysis');
    assert.equal(production(bigquery), 'contrail');
    assert.equal(production({}), 'contrail');
    // Read only on BigQuery, as every command's default dataset.
    assert.equal(production({ CONTRAIL_BIGQUERY_DATASET: 'mozanalysis' }), 'contrail');
  });

  test("each BigQuery project's exports have their own directory by default; the embedded warehouse's and a set CONTRAIL_EXPORT_DIR stay where they were", () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-exports-home-'));
    try {
      const exportDir = (env: NodeJS.ProcessEnv) =>
        defaultActivityDeps({}, { CONTRAIL_HOME: home, ...env }).exportDir;
      const project = (name: string) => ({ CONTRAIL_WAREHOUSE: 'bigquery', CONTRAIL_BIGQUERY_PROJECT: name });
      const embedded = exportDir({});
      const first = exportDir(project('analysis-one'));
      const second = exportDir(project('analysis-two'));
      assert.equal(embedded, join(home, 'exports'));
      assert.equal(first, join(home, 'exports', 'bigquery-analysis-one'));
      // A preview's dataset `tmp` in either project, or in the embedded warehouse: three places.
      const files = [embedded, first, second].map((dir) =>
        join(dir ?? '', datasetExportPath('tmp', 'statistics/statistics_x_daily.json')),
      );
      assert.equal(new Set(files).size, 3, files.join('\n'));
      // No dataset's directory is a project's: dataset names have no '-'.
      assert.doesNotMatch('bigquery-analysis-one', /^[A-Za-z0-9_]+$/);
      assert.equal(
        exportDir({ ...project('analysis-one'), CONTRAIL_EXPORT_DIR: 'gs://bucket/x' }),
        'gs://bucket/x',
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
