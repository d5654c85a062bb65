import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SAMPLE_SCHEMA, SAMPLE_TABLES } from '../../src/sample/generate.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import type { BigQueryEmulator } from './bigquery-emulator.js';
import { schemaFromDuckDb } from './bigquery-schema.js';

/** mozfun's map.get_key, as BigQuery's public `mozfun` project defines it (the emulator has no mozfun). */
const MOZFUN_GET_KEY = `CREATE OR REPLACE FUNCTION \`mozfun.map.get_key\`(map ANY TYPE, k ANY TYPE) AS (
  (SELECT key_value.value FROM UNNEST(map) AS key_value WHERE key_value.key = k LIMIT 1)
)`;

/** The Cloud Storage bucket the sample's Parquet files are loaded from. */
const BUCKET = 'contrail-sample';

/**
 * Copies the synthetic telemetry of a DuckDB sample warehouse into BigQuery (the emulator):
 * each generated table with its schema, under both projects configs name it by
 * (`mozdata`, `moz-fx-data-shared-prod`), and the mozfun UDFs contrail's SQL calls. Each table
 * goes over as a Parquet file in the emulator's Cloud Storage, written by DuckDB and read by a
 * load job, as telemetry is loaded into BigQuery: the emulator reads Parquet natively, where
 * streamed inserts of JSON rows cost it and this process about 13 CPU-seconds per copy.
 */
export async function copySampleToBigQuery(duck: Warehouse, emulator: BigQueryEmulator): Promise<number> {
  const bigquery = emulator.warehouse();
  await bigquery.createDataset('mozfun.map');
  await bigquery.execute(MOZFUN_GET_KEY);
  await mkdir(join(emulator.storageDir, BUCKET), { recursive: true });
  let copied = 0;
  for (const [key, ref] of Object.entries(SAMPLE_TABLES)) {
    if (key === 'clients') continue; // ground truth for tests, not telemetry
    const fields = schemaFromDuckDb(SAMPLE_SCHEMA[key as keyof typeof SAMPLE_TABLES]);
    const datasetName = ref.dataset.replace(/^mozdata\./, '');
    const object = `${datasetName}.${ref.table}.parquet`;
    const file = join(emulator.storageDir, BUCKET, object);
    await duck.execute(`COPY (SELECT * FROM ${ref.dataset}.${ref.table}) TO '${file}' (FORMAT parquet)`);
    for (const projectId of ['mozdata', 'moz-fx-data-shared-prod']) {
      await bigquery.createDataset(`${projectId}.${datasetName}`);
      const [job] = await bigquery.client.createJob({
        configuration: {
          load: {
            sourceUris: [`gs://${BUCKET}/${object}`],
            sourceFormat: 'PARQUET',
            destinationTable: { projectId, datasetId: datasetName, tableId: ref.table },
            schema: { fields },
          },
        },
      });
      await job.promise();
      const [metadata] = await job.getMetadata();
      if (projectId === 'mozdata') copied += Number(metadata.statistics?.load?.outputRows);
    }
  }
  return copied;
}
