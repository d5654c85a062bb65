import { SAMPLE_SCHEMA, SAMPLE_TABLES } from '../../src/sample/generate.js';
import type { BigQueryWarehouse } from '../../src/warehouse/bigquery.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { schemaFromDuckDb } from './bigquery-schema.js';

/** mozfun's map.get_key, as BigQuery's public `mozfun` project defines it (the emulator has no mozfun). */
const MOZFUN_GET_KEY = `CREATE OR REPLACE FUNCTION \`mozfun.map.get_key\`(map ANY TYPE, k ANY TYPE) AS (
  (SELECT key_value.value FROM UNNEST(map) AS key_value WHERE key_value.key = k LIMIT 1)
)`;

// Rows per insertAll request.
const BATCH = 2000;

/**
 * Copies the synthetic telemetry of a DuckDB sample warehouse into BigQuery (the emulator):
 * each generated table with its schema, under both projects configs name it by
 * (`mozdata`, `moz-fx-data-shared-prod`), and the mozfun UDFs contrail's SQL calls.
 */
export async function copySampleToBigQuery(duck: Warehouse, bigquery: BigQueryWarehouse): Promise<number> {
  await bigquery.createDataset('mozfun.map');
  await bigquery.execute(MOZFUN_GET_KEY);
  let copied = 0;
  for (const [key, ref] of Object.entries(SAMPLE_TABLES)) {
    if (key === 'clients') continue; // ground truth for tests, not telemetry
    const fields = schemaFromDuckDb(SAMPLE_SCHEMA[key as keyof typeof SAMPLE_TABLES]);
    const datasetName = ref.dataset.replace(/^mozdata\./, '');
    const rows = await duck.query(`SELECT * FROM ${ref.dataset}.${ref.table}`);
    const [first, second] = ['mozdata', 'moz-fx-data-shared-prod'];
    await bigquery.createDataset(`${first}.${datasetName}`);
    const dataset = bigquery.client.dataset(datasetName, { projectId: first });
    const [table] = await dataset.createTable(ref.table, { schema: { fields } });
    for (let start = 0; start < rows.length; start += BATCH) {
      await table.insert(rows.slice(start, start + BATCH));
    }
    // The second project's copy by a query: the emulator inserts rows one request at a time.
    await bigquery.createDataset(`${second}.${datasetName}`);
    await bigquery.execute(
      `CREATE TABLE \`${second}.${datasetName}.${ref.table}\` AS SELECT * FROM \`${first}.${datasetName}.${ref.table}\``,
    );
    copied += rows.length;
  }
  return copied;
}
