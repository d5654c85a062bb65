import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../src/activities/index.js';
import { WarehouseQueryError, WarehouseUnavailableError } from '../../../src/warehouse/errors.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { testDeps } from '../../helpers/deps.js';

/**
 * Logging an analysis's error to a warehouse that gives no answer: the workflow reports the
 * error anyway, so the log write is not retried for half a minute first (a permanent failure,
 * which the activity's retry policy does not retry); other transient failures still are.
 */
const ERROR = {
  slug: 'contrail-demo-sidebar',
  date: '2026-03-16',
  stage: 'computeMetrics',
  message: 'BigQuery gave no answer',
  errorType: 'WarehouseUnavailableError',
};

/** A warehouse whose every call fails with `error` (only createDataset is reached). */
function failingWith(error: Error): Warehouse {
  const fail = async () => {
    throw error;
  };
  return { dialect: 'bigquery', createDataset: fail, writeRows: fail } as unknown as Warehouse;
}

describe('recordError on a warehouse that fails', () => {
  test('no answer: permanent, saying the error was not logged', async () => {
    const unavailable = new WarehouseUnavailableError({
      warehouseMessage: 'BigQuery gave no answer: connect ECONNREFUSED 127.0.0.1:9050',
      permanent: false,
    });
    const activities = createActivities(testDeps(failingWith(unavailable)));
    await assert.rejects(activities.recordError({ dataset: 'contrail', error: ERROR }), (error) => {
      // As Temporal gets it: a failure its retry policy does not retry.
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'WarehouseUnavailableError');
      assert.equal(error.nonRetryable, true);
      assert.match(error.message, /ECONNREFUSED.*; the error was not logged$/);
      return true;
    });
  });

  test('a transient failure with an answer (a 5xx) stays transient: the activity retries it', async () => {
    const backend = new WarehouseQueryError({
      warehouseMessage: 'BigQuery (backendError): …',
      permanent: false,
    });
    const activities = createActivities(testDeps(failingWith(backend)));
    await assert.rejects(activities.recordError({ dataset: 'contrail', error: ERROR }), (error) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'WarehouseQueryError');
      assert.equal(error.nonRetryable, false);
      return true;
    });
  });
});
