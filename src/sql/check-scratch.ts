import { type DuckDbWarehouse, openDuckDbWarehouse } from '../warehouse/duckdb.js';
import { whileTelemetryBusy } from '../warehouse/duckdb-sessions.js';

/**
 * An in-memory DuckDB warehouse with `mozdata` attached, holding an empty copy (columns, no
 * rows) of every table in the DuckDB file `sources` (the embedded telemetry), when it exists.
 * The file is only read, and only while the copy is made.
 */
export async function openScratchDuckDb(
  sources: string | null,
): Promise<{ warehouse: DuckDbWarehouse; synthetic: string[] }> {
  const warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
  if (sources === null) return { warehouse, synthetic: [] };
  try {
    // Every job of a running contrail command attaches the file to write: wait for a gap.
    await whileTelemetryBusy(() =>
      warehouse.execute(`ATTACH '${sources.replaceAll("'", "''")}' AS contrail_sources (READ_ONLY)`),
    );
    // The tables `contrail sample` wrote say so in their labels (contrail_meta, duckdb-metadata.ts).
    const synthetic = (
      await warehouse
        .query<{ name: string }>(
          `SELECT dataset || '.' || table_name AS name FROM contrail_sources.contrail_meta.tables
           WHERE json_extract_string(labels, '$.generator') = 'contrail-sample'`,
        )
        .catch(() => [])
    ).map((row) => row.name);
    const tables = await warehouse.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_catalog = 'contrail_sources' AND table_schema <> 'contrail_meta'`,
    );
    for (const { schema, name } of tables) {
      const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
      await warehouse.execute(`CREATE SCHEMA IF NOT EXISTS mozdata.${q(schema)}`);
      await warehouse.execute(
        `CREATE TABLE mozdata.${q(schema)}.${q(name)} AS SELECT * FROM contrail_sources.${q(schema)}.${q(name)} LIMIT 0`,
      );
    }
    await warehouse.execute('DETACH contrail_sources');
    return { warehouse, synthetic };
  } catch (error) {
    await warehouse.close();
    throw error;
  }
}
