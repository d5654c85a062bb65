import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LOG_COLUMNS, LOGS_TABLE } from '../../../src/analysis/logs.js';
import { QUERY_COSTS_TABLE } from '../../../src/analysis/query-costs.js';
import { STATISTICS_COLUMNS } from '../../../src/analysis/statistics.js';
import { bigQueryDashboardSource } from '../../../src/dashboard/bigquery.js';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { statisticRow } from '../../helpers/statistic-row.js';

/**
 * The dashboard's source on BigQuery, over a stand-in warehouse that lists its datasets as
 * BigQuery's client does: which datasets the page offers, and how often it asks for them.
 */
describe('the datasets the dashboard offers on BigQuery', () => {
  let warehouse: DuckDbWarehouse;
  before(async () => {
    warehouse = await openDuckDbWarehouse();
    for (const [dataset, table] of [
      ['results', 'statistics_x_day_1'],
      ['previews', 'statistics_y_week_1'],
      ['telemetry', 'clients_daily'],
    ] as const) {
      await warehouse.writeRows({
        destination: { dataset, table },
        columns: STATISTICS_COLUMNS,
        rows: [statisticRow()],
      });
    }
    // Datasets of runs that failed on every date: logs (and costs) but no statistics table.
    await warehouse.writeRows({
      destination: { dataset: 'failed', table: LOGS_TABLE },
      columns: LOG_COLUMNS,
      rows: [],
    });
    await warehouse.execute(
      `CREATE SCHEMA costs_only; CREATE TABLE costs_only.${QUERY_COSTS_TABLE} AS SELECT 'x' AS experiment`,
    );
  });
  after(() => warehouse.close());

  const OFFERED = [
    { name: 'costs_only', noResults: true },
    { name: 'failed', noResults: true },
    { name: 'previews' },
    { name: 'results' },
  ];

  const source = (options: { failFirst?: boolean } = {}) => {
    let clock = 0;
    let listings = 0;
    const tableListings: string[] = [];
    const bigquery = Object.assign(Object.create(warehouse) as DuckDbWarehouse, {
      listDatasets: async () => {
        listings++;
        if (options.failFirst && listings === 1) throw new Error('BigQuery gave no answer');
        return ['costs_only', 'empty', 'failed', 'previews', 'results', 'telemetry'];
      },
      listTables: (dataset: string, prefix?: string) => {
        tableListings.push(dataset);
        return warehouse.listTables(dataset, prefix);
      },
    });
    const made = bigQueryDashboardSource(bigquery, { maxAgeMs: 60_000, now: () => clock });
    return {
      ...made,
      listings: () => listings,
      tableListings: () => tableListings,
      advance: (ms: number) => {
        clock += ms;
      },
    };
  };

  test('those holding a statistics table, or only run logs or costs (marked), asked once a minute however many answers ask', async () => {
    const s = source();
    assert.deepEqual(await s.listDatasets(), OFFERED);
    // One table listing per dataset tells both.
    assert.deepEqual(s.tableListings(), [
      'costs_only',
      'empty',
      'failed',
      'previews',
      'results',
      'telemetry',
    ]);
    await Promise.all([s.listDatasets(), s.listDatasets()]);
    s.advance(59_000);
    await s.listDatasets();
    assert.equal(s.listings(), 1);
    s.advance(2_000);
    assert.deepEqual(await s.listDatasets(), OFFERED);
    assert.equal(s.listings(), 2);
  });

  test('a listing that failed is asked again by the next answer, not kept for a minute', async () => {
    const s = source({ failFirst: true });
    await assert.rejects(s.listDatasets(), /gave no answer/);
    assert.deepEqual(await s.listDatasets(), OFFERED);
    assert.equal(s.listings(), 2);
  });
});
