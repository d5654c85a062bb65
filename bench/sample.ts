/**
 * Synthetic telemetry speed: `generateSample` for 1,000,000 clients × 28 days into a DuckDB
 * file (as `contrail sample` writes it), with the per-table times and row counts.
 *
 *   node --import tsx bench/sample.ts [clients] [days]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSample } from '../src/sample/generate.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb.js';

const clients = Number(process.argv[2] ?? 1_000_000);
const days = Number(process.argv[3] ?? 28);
const dir = mkdtempSync(join(tmpdir(), 'contrail-bench-sample-'));
try {
  const warehouse = await openDuckDbWarehouse({
    path: join(dir, 'warehouse.duckdb'),
    attach: { mozdata: join(dir, 'mozdata.duckdb') },
  });
  const started = Date.now();
  let stepStarted = started;
  let previous: string | null = null;
  const steps: string[] = [];
  // Data from one week before the demo starts, so 28 days include enrollment and exposure.
  const summary = await generateSample(
    warehouse,
    { clients, days, startDate: '2026-02-23', seed: 1 },
    {
      onStep: ({ table }) => {
        const now = Date.now();
        if (previous) steps.push(`${previous}: ${((now - stepStarted) / 1000).toFixed(1)} s`);
        previous = table;
        stepStarted = now;
      },
    },
  );
  if (previous) steps.push(`${previous}: ${((Date.now() - stepStarted) / 1000).toFixed(1)} s`);
  await warehouse.close();
  console.log(`sample: ${clients} clients × ${days} days → ${summary.seconds.toFixed(1)} s total`);
  for (const [i, t] of summary.tables.entries()) console.log(`  ${steps[i]}  (${t.rows} rows)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
