/**
 * The dashboard on BigQuery (the emulator on loopback, installed by `npm run setup`): how long
 * one answer of `/api/view` takes and how many reads it sends, with the client's default poll
 * interval, as a production dashboard runs. The dataset holds an experiment of 3 weekly windows
 * and an overall window (2 bases, 2 segments, 4 metrics, 3 branches) and 50 log rows.
 * Run: node --import tsx bench/dashboard-bigquery.ts [answers]
 */
import { bigQueryDashboardSource } from '../src/dashboard/bigquery.js';
import { readView } from '../src/dashboard/view.js';
import { WrappedWarehouse } from '../src/warehouse/wrapped.js';
import { startBigQueryEmulator } from '../test/helpers/bigquery-emulator.js';
import { writeBenchExperiment } from './lib/dashboard-fixture.js';

const ANSWERS = Number(process.argv[2] ?? (process.env.CONTRAIL_BENCH_QUICK ? 2 : 8));
const DATASET = 'tmp';

const emulator = await startBigQueryEmulator();
try {
  await writeBenchExperiment(emulator.warehouse(), {
    dataset: DATASET,
    segments: ['all', 'us'],
    metrics: ['active_hours', 'uri_count', 'search_count', 'days_of_use'],
    statistics: [['mean', [null]]],
    comparisons: ['difference'],
    logRows: 50,
    errorEvery: 10,
  });

  // The client as `contrail dashboard` makes it: the default poll interval, not the tests' short one.
  const bigquery = emulator.warehouse({ pollIntervalMs: 1000 });
  const { sessions, listDatasets } = bigQueryDashboardSource(bigquery);
  let reads = 0;
  const counted = (warehouse: typeof bigquery) =>
    new WrappedWarehouse(
      warehouse.dialect,
      warehouse.sqlDialect,
      (_call, run) => {
        reads++;
        return run(warehouse);
      },
      async () => undefined,
    );
  const times: number[] = [];
  for (let i = 0; i < ANSWERS; i++) {
    reads = 0;
    const started = performance.now();
    const view = await sessions.use((w) =>
      readView(counted(w as typeof bigquery), bigquery.sqlDialect, { dataset: DATASET }, { listDatasets }),
    );
    times.push(performance.now() - started);
    if (view.rows.length === 0) throw new Error('the view shows no rows');
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  console.log(
    `one answer on the emulator: median ${at(0.5).toFixed(0)} ms, min ${at(0).toFixed(0)} ms, max ${at(1).toFixed(0)} ms (n=${ANSWERS}; ${reads} reads each)`,
  );
  await sessions.close();
} finally {
  await emulator.stop();
}
