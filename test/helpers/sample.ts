import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'smol-toml';
import { DEMO_DATA } from '../../src/sample/defaults.js';
import { generateSample } from '../../src/sample/generate.js';
import { STATISTICS } from '../../src/statistics/registry.js';
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

/** Bootstrap replicates per statistic in a light config repo (see `lightConfigRepo`). */
export const LIGHT_NUM_SAMPLES = 200;

/**
 * A copy of the demo config repo with extra files (e.g. a broken experiment config), for one
 * test. `light`: every bootstrapped statistic (those with a `num_samples` parameter) draws
 * LIGHT_NUM_SAMPLES replicates instead of the demo's 1,000 to 10,000. The bootstraps are nearly
 * all of an analysis's time; a test that checks what a run writes, where and how often, rather
 * than the width of an interval, gets the same tables, rows and statistics with narrower work.
 */
export function configRepoWith(files: Record<string, string>, options: { light?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-configs-'));
  cpSync(DEMO_CONFIG_REPO, dir, { recursive: true });
  if (options.light) lighten(dir);
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

let light: string | null = null;
/** The demo config repo with light bootstraps (see `configRepoWith`), made once per process. */
export function lightConfigRepo(): string {
  light ??= configRepoWith({}, { light: true });
  return light;
}

/** Sets num_samples on every statistic that has one, in every TOML file under `dir`. */
function lighten(dir: string): void {
  const sampled = new Set(
    Object.entries(STATISTICS)
      .filter(([, d]) => 'num_samples' in d.params.shape)
      .map(([name]) => name),
  );
  let changed = 0;
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.toml')) continue;
    const path = join(dir, entry);
    const config = parse(readFileSync(path, 'utf8'));
    const metrics = (config.metrics ?? {}) as Record<string, unknown>;
    const before = changed;
    for (const metric of Object.values(metrics)) {
      const statistics = (metric as { statistics?: Record<string, Record<string, unknown>> }).statistics;
      for (const [name, params] of Object.entries(statistics ?? {})) {
        if (!sampled.has(name)) continue;
        params.num_samples = LIGHT_NUM_SAMPLES;
        changed++;
      }
    }
    if (changed > before) writeFileSync(path, stringify(config));
  }
  // The demo repo has bootstrapped statistics: a repo where none was found is not light.
  if (changed === 0) throw new Error(`no bootstrapped statistic found under ${dir}`);
}
