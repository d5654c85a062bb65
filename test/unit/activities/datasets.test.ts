import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { datasetActivities } from '../../../src/activities/datasets.js';
import type { ActivityDeps } from '../../../src/activities/deps.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';

describe('preparing a preview dataset', () => {
  let warehouse: Warehouse;
  before(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: {} });
  });
  after(async () => {
    await warehouse.close();
  });
  // Only the warehouse is used here.
  const activities = () => datasetActivities({ warehouse: async () => warehouse } as unknown as ActivityDeps);

  test('a dataset of lasting results is refused, naming it and what to do; a preview dataset is taken', async () => {
    await warehouse.createDataset('mozanalysis');
    await assert.rejects(activities().prepareDataset({ dataset: 'mozanalysis', expirationDays: 7 }), {
      name: 'InvalidInputError',
      message:
        'dataset mozanalysis exists and its tables do not expire: it holds results a preview must not replace; preview into a dataset of its own (--dataset_id, default tmp), or give mozanalysis a default table expiration first',
    });
    await activities().prepareDataset({ dataset: 'tmp', expirationDays: 7 });
    await activities().prepareDataset({ dataset: 'tmp', expirationDays: 7 });
    // A run's dataset (no expiry asked for) is prepared as before.
    await activities().prepareDataset({ dataset: 'mozanalysis', expirationDays: null });
  });
});
