import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CostEstimate } from '../../../src/analysis/cost.js';
import { describeQueryCosts, queryCostRows } from '../../../src/analysis/query-costs.js';

const estimate: CostEstimate = {
  method: 'column_sizes',
  queries: [
    { date: '2026-03-28', table: 'metrics_exp_clients_daily_day_20', kind: 'metrics_scan', bytes: 100 },
    { date: '2026-03-29', table: 'metrics_exp_clients_daily_day_21', kind: 'metrics_scan', bytes: 100 },
    { date: '2026-03-29', table: 'metrics_exp_clients_daily_week_3', kind: 'metrics_scan', bytes: 200 },
    { date: '2026-03-29', table: 'metrics_exp_nimbus_exposures_week_3', kind: 'metrics_scan', bytes: 50 },
    { date: '2026-03-29', table: 'metrics_exp_events_week_3', kind: 'metrics_scan', bytes: 70 },
  ],
  totalBytes: 420,
  usdPerTib: 6.25,
  totalUsd: 0,
  ownTableQueries: 4,
};
const ran = (table: string, elapsedMs = 1500) => ({ table, elapsedMs, bytesProcessed: null });

test('a preview whose one date failed says per query whether it ran, failed or never ran', () => {
  const rows = queryCostRows(
    'exp',
    estimate,
    [
      { date: '2026-03-28', queries: [ran('metrics_exp_clients_daily_day_20')] },
      {
        date: '2026-03-29',
        // The day window's scan and the other data source's week scan ran; the week scan of
        // clients_daily failed; the events scan never ran.
        queries: [ran('metrics_exp_clients_daily_day_21'), ran('metrics_exp_nimbus_exposures_week_3', 500)],
        failedQueries: ['metrics_exp_clients_daily_week_3'],
      },
    ],
    new Date('2026-04-01T00:00:00Z'),
  );
  assert.deepEqual(
    rows.map((r) => [r.analysis_date, r.destination, r.outcome]),
    [
      ['2026-03-28', 'metrics_exp_clients_daily_day_20', 'ran'],
      ['2026-03-29', 'metrics_exp_clients_daily_day_21', 'ran'],
      ['2026-03-29', 'metrics_exp_clients_daily_week_3', 'failed'],
      ['2026-03-29', 'metrics_exp_events_week_3', 'not run'],
      ['2026-03-29', 'metrics_exp_nimbus_exposures_week_3', 'ran'],
    ],
  );
  const lines = describeQueryCosts(rows);
  assert.deepEqual(lines, [
    'queries as they ran (time; bytes billed, else the estimate):',
    '  2026-03-28  metrics_exp_clients_daily_day_20  1.50 s  ~100 B (estimate)',
    '  2026-03-29  metrics_exp_clients_daily_day_21  1.50 s  ~100 B (estimate)',
    '  2026-03-29  metrics_exp_clients_daily_week_3  FAILED  ~200 B (estimate)',
    '  2026-03-29  metrics_exp_events_week_3  not run (an earlier step of this date failed)  ~70 B (estimate)',
    '  2026-03-29  metrics_exp_nimbus_exposures_week_3  0.50 s  ~50 B (estimate)',
    // Only what ran is counted: the failed and unrun queries' estimates are no scan.
    '  total 3.5 s of 3 queries that ran, ~250 B (estimated); 1 failed, 1 not run',
  ]);
});

test("on BigQuery each query is reported and costed at what the job was billed, not what it scanned; a query that did not run, at its estimate's bill", () => {
  const MiB = 2 ** 20;
  const billedEstimate: CostEstimate = {
    method: 'dry_run',
    queries: [
      { date: '2026-03-28', table: 'enrollments_exp', kind: 'enrollments', bytes: 2048, billed: 20 * MiB },
      {
        date: '2026-03-28',
        table: 'metrics_exp_events_day_1',
        kind: 'metrics_scan',
        bytes: 3000,
        billed: 20 * MiB,
      },
    ],
    totalBytes: 5048,
    totalBilledBytes: 40 * MiB,
    usdPerTib: 6.25,
    totalUsd: 0,
    ownTableQueries: 0,
  };
  const rows = queryCostRows(
    'exp',
    billedEstimate,
    [
      {
        date: '2026-03-28',
        queries: [{ table: 'enrollments_exp', elapsedMs: 1000, bytesProcessed: 4096, bytesBilled: 20 * MiB }],
        failedQueries: ['metrics_exp_events_day_1'],
      },
    ],
    new Date('2026-04-01T00:00:00Z'),
  );
  const [enrollments, scan] = rows;
  assert.equal(enrollments?.bytes_billed, 20 * MiB);
  assert.equal(enrollments?.bytes_processed, 4096);
  assert.equal(enrollments?.cost_usd, (20 / 2 ** 20) * 6.25);
  assert.equal(scan?.estimated_bytes_billed, 20 * MiB);
  assert.equal(scan?.cost_usd, (20 / 2 ** 20) * 6.25);
  assert.deepEqual(describeQueryCosts(rows), [
    'queries as they ran (time; bytes billed, else the estimate):',
    '  2026-03-28  enrollments_exp  1.00 s  20.00 MiB billed',
    '  2026-03-28  metrics_exp_events_day_1  FAILED  ~20.00 MiB billed (estimate; 2.93 KiB scanned)',
    '  total 1.0 s of 1 query that ran, 20.00 MiB billed; 1 failed',
  ]);
});

test("the total of the queries that ran says how many it counts when some had no figure (the preview's own tables on the embedded warehouse)", () => {
  const rows = queryCostRows(
    'exp',
    { ...estimate, queries: estimate.queries.map((q) => ({ ...q, billed: 10 * 2 ** 20 })) },
    [
      {
        date: '2026-03-28',
        queries: [
          ran('metrics_exp_clients_daily_day_20'),
          ran('statistic_inputs_exp_enrollments_clients_daily_day_20'),
        ],
      },
    ],
    new Date('2026-04-01T00:00:00Z'),
  );
  assert.equal(
    describeQueryCosts(rows).at(-1),
    '  total 3.0 s of 2 queries that ran, ~10.00 MiB billed (the 1 with a figure, estimated); 4 not run',
  );
});

test("the rows of a preview stopped on the warehouse's storage say which dates were not attempted, as its report does without being told the stop", () => {
  const rows = queryCostRows(
    'exp',
    estimate,
    [{ date: '2026-03-28', queries: [], failedQueries: ['metrics_exp_clients_daily_day_20'] }],
    new Date('2026-04-01T00:00:00Z'),
    { date: '2026-03-28', by: 'storage' },
  );
  assert.deepEqual(
    rows.map((r) => r.outcome),
    ['failed', 'not attempted', 'not attempted', 'not attempted', 'not attempted'],
  );
  assert.deepEqual(describeQueryCosts(rows).slice(1, 3), [
    '  2026-03-28  metrics_exp_clients_daily_day_20  FAILED  ~100 B (estimate)',
    "  2026-03-29  metrics_exp_clients_daily_day_21  not run (not attempted: the warehouse's storage failed)  ~100 B (estimate)",
  ]);
  assert.equal(
    describeQueryCosts(rows).at(-1),
    '  total 0.0 s of 0 queries that ran, 0 B billed; 1 failed, 4 not run',
  );
});

test('a row that keeps no outcome (an older preview) and no time is said to have failed or not run: which, it does not say', () => {
  const [row] = queryCostRows('exp', estimate, [], new Date('2026-04-01T00:00:00Z'));
  const { outcome: _outcome, ...older } = row!;
  assert.equal(
    describeQueryCosts([older]).slice(1).join('\n'),
    '  2026-03-28  metrics_exp_clients_daily_day_20  failed or not run  ~100 B (estimate)\n' +
      '  total 0.0 s of 0 queries that ran, 0 B billed; 1 failed or not run',
  );
});

test('a date interrupted part way: its queries may have run, so the total does not say none did', () => {
  const rows = queryCostRows(
    'exp',
    estimate,
    // The analysis was cancelled: it carries no list of what it ran.
    [
      { date: '2026-03-28', queries: [ran('metrics_exp_clients_daily_day_20')] },
      { date: '2026-03-29', queries: [] },
    ],
    new Date('2026-04-01T00:00:00Z'),
    { date: '2026-03-29', by: 'interruption' },
  );
  assert.deepEqual(
    rows.map((r) => r.outcome),
    ['ran', 'stopped', 'stopped', 'stopped', 'stopped'],
  );
  const lines = describeQueryCosts(rows);
  assert.equal(
    lines[2],
    '  2026-03-29  metrics_exp_clients_daily_day_21  stopped (interrupted: it may have run before the stop)  ~100 B (estimate)',
  );
  assert.equal(
    lines.at(-1),
    '  total 1.5 s of the 1 query known to have run, ~100 B (estimated); 4 stopped: the stopped ones may have run before the interruption, their time and bytes not known',
  );
  // Interrupted before any query of the date is known to have run: not "0 queries that ran".
  const early = queryCostRows(
    'exp',
    estimate,
    [{ date: '2026-03-28', queries: [] }],
    new Date('2026-04-01T00:00:00Z'),
    {
      date: '2026-03-28',
      by: 'interruption',
    },
  );
  assert.equal(
    describeQueryCosts(early).at(-1),
    '  total 0.0 s of the 0 queries known to have run, 0 B billed; 4 not run, 1 stopped: the stopped one may have run before the interruption, its time and bytes not known',
  );
});
