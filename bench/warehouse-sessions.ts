/**
 * What opening the embedded warehouse for each job costs, against holding it open for the
 * whole process (as a worker did before), and what another process sees meanwhile. The demo
 * experiment's pre-enrollment week and week 1 (3000 sampled clients) are analysed through the
 * activities twice on one warehouse file: with the file held open, and with it opened per job
 * (sessions that linger 150 ms). Prints: open + close alone, each analysis's wall time and how
 * often the file was opened, and for a writer process that opens the file every 50 ms during
 * the per-job analysis, how long each of its opens waited.
 * Run: node --import tsx bench/warehouse-sessions.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../src/activities/index.js';
import type { AnalysisTarget } from '../src/activities/types.js';
import { DEMO_DATA } from '../src/sample/defaults.js';
import { generateSample } from '../src/sample/generate.js';
import { DEMO_SLUG } from '../src/sample/population.js';
import { duckdbDialect } from '../src/sql/render/duckdb.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb.js';
import { isLockedError } from '../src/warehouse/duckdb-sessions.js';
import { perUseSessions, SessionWarehouse } from '../src/warehouse/sessions.js';
import type { Warehouse } from '../src/warehouse/warehouse.js';
import { testDeps } from '../test/helpers/deps.js';
import { DEMO_CONFIG_REPO } from '../test/helpers/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'contrail-bench-sessions-'));
const path = join(dir, 'warehouse.duckdb');
const mozdata = join(dir, 'mozdata.duckdb');
const attach = { mozdata };

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, max ${at(1).toFixed(1)} ms (n=${values.length})`;
}

{
  const warehouse = await openDuckDbWarehouse({ path, attach });
  await generateSample(warehouse, {
    clients: 3000,
    days: DEMO_DATA.days,
    startDate: DEMO_DATA.startDate,
    seed: 7,
  });
  await warehouse.close();
}

const opens: number[] = [];
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  const w = await openDuckDbWarehouse({ path, attach });
  await w.close();
  opens.push(performance.now() - t0);
}
console.log(`open + close (warehouse with mozdata attached): ${stats(opens)}`);

/** The steps analyzeExperiment runs for two dates, and a publish; wall time in ms. */
async function analyse(warehouse: Warehouse, dataset: string): Promise<number> {
  const activities = createActivities(
    testDeps(warehouse, { configRepos: [DEMO_CONFIG_REPO], now: () => new Date('2026-04-01T06:00:00Z') }),
  );
  const resolved = (
    await activities.resolveVersions({
      slugs: [DEMO_SLUG],
      dataset,
      useLatest: false,
      useVersion: null,
      mode: 'anchor',
      here: true,
    })
  )[DEMO_SLUG];
  if (!resolved || !('pin' in resolved))
    throw new Error(`no pin for ${DEMO_SLUG}: ${JSON.stringify(resolved)}`);
  const { pin } = resolved;
  const target: AnalysisTarget = {
    slug: DEMO_SLUG,
    dataset,
    pin,
    configOverride: null,
    sampleSize: null,
    periods: ['preenrollment_week', 'week'],
    lenient: false,
    run: `bench/${dataset}`,
  };
  const t0 = performance.now();
  for (const date of ['2026-03-10', '2026-03-15']) {
    const due = await activities.planDay({ target, date });
    await activities.computeEnrollments({ target, date, recreate: false });
    for (const window of due.windows) await activities.computeMetrics({ target, date, window });
    for (const window of due.windows) await activities.computeStatistics({ target, date, window });
  }
  await activities.publish({ target });
  return performance.now() - t0;
}

{
  const held = await openDuckDbWarehouse({ path, attach });
  const ms = await analyse(held, 'bench_held');
  await held.close();
  console.log(`analysis, file held open throughout:        ${(ms / 1000).toFixed(2)} s (1 open)`);
}

// A writer in another process during the per-job analysis: it opens the file every 50 ms,
// retrying every 25 ms while it is held, and records how long each open waited.
const writerScript = `
const { openDuckDbWarehouse } = await import(${JSON.stringify(fileURLToPath(new URL('../src/warehouse/duckdb.ts', import.meta.url)))});
const waits = [];
process.stdin.resume();
let running = true;
process.stdin.once('end', () => { running = false; });
while (running) {
  const t0 = performance.now();
  for (;;) {
    try { const w = await openDuckDbWarehouse({ path: ${JSON.stringify(path)} }); await w.close(); break; }
    catch (e) { if (!/lock/i.test(String(e))) throw e; await new Promise((r) => setTimeout(r, 25)); }
  }
  waits.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 50));
}
process.stdout.write(JSON.stringify(waits));
`;
{
  let count = 0;
  const sessions = perUseSessions({
    open: async () => {
      count++;
      return openDuckDbWarehouse({ path, attach });
    },
    isBusy: isLockedError,
    waitMs: 60_000,
    lingerMs: 150,
  });
  const writer = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writerScript], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  writer.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const ms = await analyse(new SessionWarehouse(sessions, 'duckdb', duckdbDialect()), 'bench_sessions');
  await sessions.close();
  writer.stdin.end();
  await new Promise((resolve) => writer.once('exit', resolve));
  const waits = JSON.parse(out) as number[];
  console.log(
    `analysis, file opened per job (linger 150 ms): ${(ms / 1000).toFixed(2)} s (${count} open attempts)`,
  );
  console.log(`a writer process meanwhile, each open waited:  ${stats(waits)}`);
}
rmSync(dir, { recursive: true, force: true });
