import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BigQueryWarehouse } from '../../../src/warehouse/bigquery.js';
import { MissingTableError, WarehouseQueryError } from '../../../src/warehouse/errors.js';
import { allowOnlyLoopback, assertOnlyLoopback } from '../../helpers/loopback.js';

/**
 * BigQuery's answers about a setting rather than a query (a project it does not know, a dataset
 * in another location than the job's), served on loopback in BigQuery's error format and read
 * through Google's real client: the error contrail raises names the setting to change. The
 * emulator cannot give these answers: it makes any project asked for and ignores locations.
 */
let server: Server;
let endpoint: string;
/** The error body every request gets next (BigQuery's `{ error: { code, message, errors } }`). */
let answer: { status: number; reason: string; message: string };
/** The Authorization header of each request, as it arrived ('' for none). */
const authorizations: string[] = [];

before(async () => {
  allowOnlyLoopback();
  // Google's auth library would otherwise probe the metadata server of a cloud VM.
  process.env.METADATA_SERVER_DETECTION = 'none';
  server = createServer((request, response) => {
    authorizations.push(request.headers.authorization ?? '');
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(
        JSON.stringify({
          error: {
            code: answer.status,
            message: answer.message,
            errors: [{ message: answer.message, domain: 'global', reason: answer.reason }],
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  assertOnlyLoopback();
});

function warehouse(): BigQueryWarehouse {
  return new BigQueryWarehouse({
    project: 'bq-analysys',
    sourceProject: 'moz-fx-data-shared-prdo',
    location: 'US',
    apiEndpoint: endpoint,
    maximumBytesBilled: null,
    pollIntervalMs: 10,
  });
}

const run = (sql = 'SELECT 1 AS x') =>
  warehouse().runToTable({ sql, destination: { dataset: 'mozanalysis', table: 'results' } });

describe('BigQuery errors about a setting name the setting', () => {
  test('a project id with a typo: CONTRAIL_BIGQUERY_PROJECT, permanent', async () => {
    answer = { status: 404, reason: 'notFound', message: 'Not found: Project bq-analysys' };
    await assert.rejects(run(), (error) => {
      assert.ok(error instanceof WarehouseQueryError);
      assert.equal(error.permanent, true);
      assert.match(
        error.message,
        /Not found: Project bq-analysys \(the project is CONTRAIL_BIGQUERY_PROJECT or --project_id/,
      );
      return true;
    });
    answer = {
      status: 403,
      reason: 'accessDenied',
      message:
        'Access Denied: Project bq-analysys: User does not have bigquery.jobs.create permission in project bq-analysys.',
    };
    await assert.rejects(
      warehouse().createDataset('mozanalysis'),
      /CONTRAIL_BIGQUERY_PROJECT or --project_id/,
    );
  });

  test('the shared tables in a project with a typo: CONTRAIL_BIGQUERY_SOURCE_PROJECT', async () => {
    answer = { status: 404, reason: 'notFound', message: 'Not found: Project moz-fx-data-shared-prdo' };
    await assert.rejects(
      run(),
      /Project moz-fx-data-shared-prdo \(the project is CONTRAIL_BIGQUERY_SOURCE_PROJECT/,
    );
  });

  test('a table BigQuery will not show in the source project: CONTRAIL_BIGQUERY_SOURCE_PROJECT, still a missing table', async () => {
    answer = {
      status: 403,
      reason: 'accessDenied',
      message:
        'Access Denied: Table moz-fx-data-shared-prdo:telemetry.events: User does not have permission to query table moz-fx-data-shared-prdo:telemetry.events, or perhaps it does not exist.',
    };
    await assert.rejects(run('SELECT * FROM `moz-fx-data-shared-prdo.telemetry.events`'), (error) => {
      assert.ok(error instanceof MissingTableError);
      assert.equal(error.table, 'moz-fx-data-shared-prdo:telemetry.events');
      assert.match(
        error.message,
        /\(the table is in CONTRAIL_BIGQUERY_SOURCE_PROJECT, the project of the shared tables the configs read: check the id moz-fx-data-shared-prdo/,
      );
      return true;
    });
    // A table of another project the configs name is the config's business, not a setting.
    answer = { ...answer, message: 'Access Denied: Table other-project:x.y: User does not have permission' };
    await assert.rejects(run(), (error) => {
      assert.doesNotMatch((error as Error).message, /CONTRAIL_BIGQUERY/);
      return true;
    });
  });

  test('a table in another location than the jobs: CONTRAIL_BIGQUERY_LOCATION, still a missing table', async () => {
    answer = {
      status: 404,
      reason: 'notFound',
      message: 'Not found: Table moz-fx-data-shared-prdo:telemetry.events was not found in location US',
    };
    await assert.rejects(run('SELECT * FROM `moz-fx-data-shared-prdo.telemetry.events`'), (error) => {
      assert.ok(error instanceof MissingTableError);
      assert.equal(error.table, 'moz-fx-data-shared-prdo:telemetry.events');
      assert.match(
        error.message,
        /the name is wrong, or it is in another location than US, where contrail runs its jobs: CONTRAIL_BIGQUERY_LOCATION/,
      );
      return true;
    });
  });

  test('a dataset BigQuery lacks is a missing table, as a table it lacks is (validate --dry_run names the data source reading it)', async () => {
    answer = {
      status: 404,
      reason: 'notFound',
      message: 'Not found: Dataset moz-fx-data-shared-prdo:telemetry_nope was not found in location US',
    };
    await assert.rejects(run('SELECT * FROM `moz-fx-data-shared-prdo.telemetry_nope.events`'), (error) => {
      assert.ok(error instanceof MissingTableError, String(error));
      assert.equal(error.table, 'moz-fx-data-shared-prdo:telemetry_nope');
      assert.equal(error.permanent, true);
      assert.match(error.message, /the name is wrong, or it is in another location than US/);
      return true;
    });
  });

  test('a message about anything else is left as BigQuery wrote it', async () => {
    answer = { status: 404, reason: 'notFound', message: 'Not found: Project some-other-project' };
    await assert.rejects(run(), (error) => {
      assert.ok(error instanceof WarehouseQueryError);
      assert.match(error.message, /Not found: Project some-other-project$/);
      return true;
    });
  });
});

describe('an emulator on an http:// endpoint', () => {
  test('is asked with no credentials: no metadata-server probe leaves the machine, no token travels in clear', async () => {
    // As a user's shell has it: no METADATA_SERVER_DETECTION, no credentials file anywhere.
    const saved = {
      METADATA_SERVER_DETECTION: process.env.METADATA_SERVER_DETECTION,
      GOOGLE_APPLICATION_CREDENTIALS: process.env.GOOGLE_APPLICATION_CREDENTIALS,
      CLOUDSDK_CONFIG: process.env.CLOUDSDK_CONFIG,
    };
    delete process.env.METADATA_SERVER_DETECTION;
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.CLOUDSDK_CONFIG = mkdtempSync(join(tmpdir(), 'contrail-no-gcloud-'));
    answer = { status: 404, reason: 'notFound', message: 'Not found: Table bq-analysys:mozanalysis.results' };
    authorizations.length = 0;
    try {
      await assert.rejects(run());
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    assert.doesNotThrow(assertOnlyLoopback);
    assert.ok(authorizations.length > 0);
    assert.deepEqual(new Set(authorizations), new Set(['']));
  });
});
