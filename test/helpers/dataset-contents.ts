import { openDuckDbWarehouse } from '../../src/warehouse/duckdb.js';

/**
 * Every table of a dataset in an embedded warehouse file, as its rows (each as sorted-key JSON,
 * the rows sorted): what two runs must agree on. Log rows leave out when they were written.
 * Views are left out (they read the tables); so are labels (they carry write times).
 */
export async function datasetContents(path: string, dataset: string): Promise<Map<string, string[]>> {
  const warehouse = await openDuckDbWarehouse({ path });
  try {
    const kinds = await warehouse.query<{ name: string }>(
      `SELECT table_name AS name FROM duckdb_tables() WHERE schema_name = '${dataset}' ORDER BY name`,
    );
    const contents = new Map<string, string[]>();
    for (const { name } of kinds) {
      const rows = await warehouse.query(`SELECT * FROM "${dataset}"."${name}"`);
      contents.set(
        name,
        rows
          .map((row) => {
            const kept = Object.entries(row).filter(
              ([column]) => !(name === 'logs' && column === 'timestamp'),
            );
            return JSON.stringify(kept.sort(([a], [b]) => a.localeCompare(b)));
          })
          .sort(),
      );
    }
    return contents;
  } finally {
    await warehouse.close();
  }
}

/** Tables of `contents` holding a row more than once. */
export function tablesWithDuplicates(contents: Map<string, string[]>): string[] {
  return [...contents].filter(([, rows]) => new Set(rows).size !== rows.length).map(([table]) => table);
}
