import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSample } from '../../src/sample/generate.js';
import { DEMO_DATA } from '../../src/sample/population.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';

export const DEMO_CONFIG_REPO = fileURLToPath(new URL('../../src/sample/metric-hub/', import.meta.url));
export const DEMO_EXPERIMENTS_FILE = fileURLToPath(
  new URL('../../src/sample/experiments.json', import.meta.url),
);

/** An in-memory warehouse with a small synthetic sample covering the demo experiments. */
export async function sampleWarehouse(clients = 3000): Promise<Warehouse> {
  const warehouse = await openDuckDbWarehouse({ path: ':memory:', attach: { mozdata: ':memory:' } });
  await generateSample(warehouse, { clients, days: DEMO_DATA.days, startDate: DEMO_DATA.startDate, seed: 7 });
  return warehouse;
}

/** A copy of the demo config repo with extra files (e.g. a broken experiment config), for one test. */
export function configRepoWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-configs-'));
  cpSync(DEMO_CONFIG_REPO, dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}
