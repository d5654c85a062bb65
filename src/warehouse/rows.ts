import type { WriteRowsOptions } from './warehouse.js';

/**
 * A merge's rows (`writeRows` mode 'merge'), checked to name a key column and to have a value
 * for it, each key once (the first row wins): what both adapters add when the key is new.
 */
export function distinctByKey(options: WriteRowsOptions): Record<string, unknown>[] {
  const key = options.key;
  if (key === undefined || !options.columns.some((c) => c.name === key)) {
    throw new TypeError(
      `writeRows: mode 'merge' needs key to name one of the columns, got ${JSON.stringify(key)}`,
    );
  }
  for (const column of options.refresh ?? []) {
    if (column === key || !options.columns.some((c) => c.name === column)) {
      throw new TypeError(
        `writeRows: refresh names ${JSON.stringify(column)}, which is not one of the columns other than the key`,
      );
    }
  }
  const seen = new Set<unknown>();
  return options.rows.filter((row, index) => {
    const value = row[key];
    if (value === null || value === undefined) {
      throw new TypeError(`writeRows: row ${index} has no value for the merge key ${key}`);
    }
    if (seen.has(value)) return false;
    seen.add(value);
    return true;
  });
}
