/**
 * The dashboard on BigQuery (the emulator on loopback, installed by `npm run setup`): how long
 * one answer of `/api/view` takes and how many reads it sends, with the client's default poll
 * interval, as a production dashboard runs. The dataset holds an experiment of 3 weekly windows
 * and an overall window (2 bases, 2 segments, 4 metrics, 3 branches) and 50 log rows.
 * Run: node --import tsx bench/dashboard-bigquery.ts [answers]
 */
import { LOG_COLUMNS, LOGS_TABLE } from '../src/analysis/logs.js';
import { STATISTICS_COLUMNS } from '../src/analysis/statistics.js';
import { bigQueryDashboardSource } from '../src/dashboard/bigquery.js';
import { readView } from '../src/dashboard/view.js';
import type { StatisticResultRow } from '../src/statistics/results.js';
import { WrappedWarehouse } from '../src/warehouse/wrapped.js';
import { startBigQueryEmulator } from '../test/helpers/bigquery-emulator.js';

const ANSWERS = Number(process.argv[2] ?? (process.env.CONTRAIL_BENCH_QUICK ? 2 : 8));
const DATASET = 'tmp';

const emulator = await startBigQueryEmulator();
try {
  const writer = emulator.warehouse();
  await writer.createDataset(DATASET);
  for (const [period, windows] of [
    ['week', [1, 2, 3]],
    ['overall', [1]],
  ] as const) {
    for (const w of windows) {
      const rows: StatisticResultRow[] = [];
      for (const analysis_basis of ['enrollments', 'exposures'] as const)
        for (const segment of ['all', 'us'])
          for (const metric of ['active_hours', 'uri_count', 'search_count', 'days_of_use'])
            for (const branch of ['control', 'treatment-a', 'treatment-b'])
              for (const comparison of branch === 'control' ? [null] : ([null, 'difference'] as const)) {
                const point = Math.random();
                rows.push({
                  metric,
                  statistic: 'mean',
                  parameter: null,
                  branch,
                  comparison,
                  comparison_to_branch: comparison === null ? null : 'control',
                  ci_width: 0.95,
                  point,
                  lower: point - 0.1,
                  upper: point + 0.1,
                  segment,
                  analysis_basis,
                  window_index: String(w),
                });
              }
      await writer.writeRows({
        destination: { dataset: DATASET, table: `statistics_bench_exp_${period}_${w}` },
        columns: STATISTICS_COLUMNS,
        rows,
      });
    }
  }
  await writer.writeRows({
    destination: { dataset: DATASET, table: LOGS_TABLE },
    columns: LOG_COLUMNS,
    rows: Array.from({ length: 50 }, (_, i) => ({
      timestamp: new Date(Date.UTC(2026, 2, 15, 0, i)).toISOString(),
      source: 'contrail',
      experiment: 'bench-exp',
      analysis_date: '2026-03-15',
      stage: 'statistics week 1',
      log_level: i % 10 === 0 ? 'ERROR' : 'WARNING',
      exception_type: 'StatisticWarning',
      message: `warning ${i}`,
      tool_version: '0.1.0',
      config_commit: null,
    })),
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
