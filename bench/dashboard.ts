/**
 * Dashboard benchmark: how long one page answer holds the embedded DuckDB file, and what a
 * writer in another process sees meanwhile. The warehouse holds one experiment shaped like a
 * real preview's results (3 weekly windows and an overall window, 3 branches, 2 bases,
 * 3 segments, 12 metrics with a one-value statistic and deciles: ~20,000 rows per window) and
 * 500 log rows. Prints: the open+close cost alone, the warehouse time of an answer (open,
 * filter choices, rows, logs, close), the whole HTTP answer, and for a writer process that
 * opens the file while the page is answering back to back, how often its first try finds the
 * file held and how long it waits with a retry every 25 ms.
 * Run: node --import tsx bench/dashboard.ts [answers]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ViewResponse } from '../src/dashboard/api.js';
import { embeddedSessions } from '../src/dashboard/embedded.js';
import { startDashboard } from '../src/dashboard/server.js';
import { duckdbDialect } from '../src/sql/render/duckdb.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb.js';
import { writeBenchExperiment } from './lib/dashboard-fixture.js';

const ANSWERS = Number(process.argv[2] ?? 30);
const dir = mkdtempSync(join(tmpdir(), 'contrail-bench-dashboard-'));
const path = join(dir, 'warehouse.duckdb');

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, max ${at(1).toFixed(1)} ms (n=${values.length})`;
}

const warehouse = await openDuckDbWarehouse({ path });
const total = await writeBenchExperiment(warehouse, {
  dataset: 'tmp',
  segments: ['all', 'us', 'heavy'],
  metrics: Array.from({ length: 12 }, (_, i) => `metric_${i}`),
  statistics: [
    ['mean', [null]],
    ['deciles', ['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9']],
  ],
  comparisons: ['difference', 'relative_uplift'],
  logRows: 500,
});
await warehouse.close();
console.log(`warehouse: ${total.toLocaleString()} statistics rows in 4 window tables, 500 log rows`);

const opens: number[] = [];
for (let i = 0; i < ANSWERS; i++) {
  const t0 = performance.now();
  const w = await openDuckDbWarehouse({ path });
  await w.close();
  opens.push(performance.now() - t0);
}
console.log(`open + close the warehouse file:          ${stats(opens)}`);

const server = await startDashboard({
  sessions: embeddedSessions(path),
  dialect: duckdbDialect(),
  defaultDataset: 'tmp',
  port: 0,
});
const held: number[] = [];
const http: number[] = [];
const selections = [
  'metric=metric_1',
  'metric=metric_2&period=overall',
  'metric=metric_3&segment=us&basis=exposures',
];
for (let i = 0; i < ANSWERS; i++) {
  const t0 = performance.now();
  const response = await fetch(`${server.url}api/view?dataset=tmp&${selections[i % selections.length]}`);
  const view = (await response.json()) as ViewResponse;
  http.push(performance.now() - t0);
  held.push(view.warehouseMs);
}
console.log(`answer: warehouse held (open, read, close): ${stats(held)}`);
console.log(`answer: whole HTTP round trip:             ${stats(http)}`);

// A writer in another process while the page answers back to back (the worst case: a person
// clicking as fast as the page answers). It tries to open the file every 25 ms until it can.
const writerScript = `
const { openDuckDbWarehouse } = await import(${JSON.stringify(fileURLToPath(new URL('../src/warehouse/duckdb.ts', import.meta.url)))});
const waits = []; let firstTryHeld = 0;
for (let i = 0; i < ${ANSWERS}; i++) {
  const t0 = performance.now(); let tries = 0;
  for (;;) {
    tries++;
    try { const w = await openDuckDbWarehouse({ path: ${JSON.stringify(path)} }); await w.close(); break; }
    catch (e) { if (!/lock/i.test(String(e))) throw e; await new Promise((r) => setTimeout(r, 25)); }
  }
  if (tries > 1) firstTryHeld++;
  waits.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 37));
}
process.stdout.write(JSON.stringify({ waits, firstTryHeld }));
`;
let busy = true;
const pageLoop = (async () => {
  let answers = 0;
  let unavailable = 0;
  while (busy) {
    const response = await fetch(`${server.url}api/view?dataset=tmp&metric=metric_${answers % 12}`);
    await response.arrayBuffer();
    if (response.status === 503) unavailable++;
    answers++;
  }
  return { answers, unavailable };
})();
const writer = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writerScript], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
writer.stdout.on('data', (d: Buffer) => {
  out += d.toString();
});
await new Promise((resolve) => writer.once('exit', resolve));
busy = false;
const page = await pageLoop;
const { waits, firstTryHeld } = JSON.parse(out) as { waits: number[]; firstTryHeld: number };
console.log(
  `writer opening the file during back-to-back answers: first try found it held ${firstTryHeld}/${waits.length}; open incl. retries ${stats(waits)}`,
);
console.log(
  `page during that: ${page.answers} answers, ${page.unavailable} answered 503 (file held by the writer)`,
);
await server.close();
rmSync(dir, { recursive: true, force: true });
