import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CostEstimate } from '../../../src/analysis/cost.js';
import { costFigures } from '../../../src/analysis/cost-figures.js';
import { describeQueryCosts, queryCostRows } from '../../../src/analysis/query-costs.js';
import { QueryCostRow } from '../../../src/analysis/table-rows.js';
import {
  billedCell,
  costsExplanation,
  costsTotal,
  costTotals,
  knownTotal,
  scannedCell,
  totalCells,
  unfinishedCell,
  usdCell,
} from '../../../src/dashboard/cost-labels.js';
import { onDemandCostUsd } from '../../../src/warehouse/cost.js';

const MiB = 2 ** 20;

/** A row's cells in the costs table: billed, scanned, cost. */
const cells = (row: Partial<QueryCostRow>) => {
  const figures = costFigures(row);
  return [billedCell(figures), scannedCell(figures), usdCell(figures)];
};

describe("the costs panel: a preview's queries at what they were billed", () => {
  test('a BigQuery query shows its bill and its dollars of it, the bytes scanned only where they differ from the bill', () => {
    assert.deepEqual(
      cells({
        estimated_bytes: 4000,
        estimated_bytes_billed: 20 * MiB,
        bytes_processed: 4096,
        bytes_billed: 20 * MiB,
        cost_usd: onDemandCostUsd(20 * MiB),
      }),
      ['20.00 MiB', '4.00 KiB', '$0.0001'],
    );
    // Rounded up to the MiB only: one number says it.
    assert.deepEqual(
      cells({
        bytes_processed: 3 * 2 ** 30 - 5,
        bytes_billed: 3 * 2 ** 30,
        cost_usd: onDemandCostUsd(3 * 2 ** 30),
      }),
      ['3.00 GiB', '', '$0.02'],
    );
    // An answer from BigQuery's cache is billed nothing, whatever the query would scan.
    assert.deepEqual(cells({ bytes_processed: 50 * MiB, bytes_billed: 0, cost_usd: 0 }), [
      '0 B',
      '50.00 MiB',
      '$0.00',
    ]);
  });

  test("a query the warehouse reported no bill for shows the estimate's bill, its scan and its dollars, each marked", () => {
    // The embedded warehouse: everything is the estimate from the columns' sizes.
    assert.deepEqual(
      cells({
        estimate_method: 'column_sizes',
        estimated_bytes: 4_246_732,
        estimated_bytes_billed: 20 * MiB,
        cost_usd: onDemandCostUsd(20 * MiB),
      }),
      ['~20.00 MiB (estimate)', '~4.05 MiB', '~$0.0001'],
    );
    // A query that failed or never ran keeps its estimate.
    assert.deepEqual(cells({ estimated_bytes: 3000, estimated_bytes_billed: 20 * MiB, elapsed_ms: null }), [
      '~20.00 MiB (estimate)',
      '~2.93 KiB',
      '',
    ]);
    // A query reading only the preview's own tables is not estimated on the embedded warehouse.
    assert.deepEqual(cells({ elapsed_ms: 5 }), ['', '', '']);
  });

  test('rows written before bills were kept (no billed columns, or null in them) show what they recorded', () => {
    // On BigQuery: the bytes scanned, and dollars of them, which are no estimate.
    const bigquery = costFigures({ bytes_processed: 5 * MiB, cost_usd: onDemandCostUsd(5 * MiB) });
    assert.deepEqual(
      [billedCell(bigquery), scannedCell(bigquery), usdCell(bigquery)],
      ['', '5.00 MiB', '< $0.0001'],
    );
    assert.equal(bigquery.usd?.estimated, false);
    // On the embedded warehouse: the estimate's scan, said to be one.
    assert.deepEqual(
      cells({
        estimate_method: 'column_sizes',
        estimated_bytes: MiB,
        estimated_bytes_billed: null,
        bytes_processed: null,
        bytes_billed: null,
        cost_usd: onDemandCostUsd(MiB),
      }),
      ['', '~1.00 MiB (estimate)', '~< $0.0001'],
    );
    assert.match(
      costsExplanation([{ bytes_processed: 5 * MiB, cost_usd: 0.0001 }]),
      /a row with no bill was written before bills were kept: its cost is of what was scanned/,
    );
  });

  test('the totals add what the queries that ran were billed, worded as the CLI words the same queries', () => {
    const estimate: CostEstimate = {
      method: 'column_sizes',
      queries: [
        { date: '2026-03-28', table: 'enrollments_exp', kind: 'enrollments', bytes: 4000, billed: 20 * MiB },
        {
          date: '2026-03-28',
          table: 'metrics_exp_events_day_1',
          kind: 'metrics_scan',
          bytes: 3 * MiB,
          billed: 20 * MiB,
        },
        {
          date: '2026-03-28',
          table: 'metrics_exp_clients_day_1',
          kind: 'metrics_scan',
          bytes: 300,
          billed: 10 * MiB,
        },
      ],
      totalBytes: 3 * MiB + 4300,
      totalBilledBytes: 50 * MiB,
      usdPerTib: 6.25,
      totalUsd: 0,
      ownTableQueries: 1,
    };
    const rows = queryCostRows(
      'exp',
      estimate,
      [
        {
          date: '2026-03-28',
          queries: [
            { table: 'enrollments_exp', elapsedMs: 1000, bytesProcessed: null },
            { table: 'metrics_exp_events_day_1', elapsedMs: 500, bytesProcessed: null },
            { table: 'statistic_inputs_exp_enrollments_events_day_1', elapsedMs: 20, bytesProcessed: null },
          ],
          failedQueries: ['metrics_exp_clients_day_1'],
        },
      ],
      new Date('2026-04-01T00:00:00Z'),
    );
    const totals = costTotals(rows);
    assert.equal(costsTotal(rows.length, totals.unfinished), 'total (4 queries; not counted: 1 failed)');
    assert.equal(totals.elapsedMs, 1520);
    const total = totalCells(totals);
    assert.deepEqual(total, {
      billed: '~40.00 MiB billed (the 2 with a figure, estimated)',
      scanned: '~3.00 MiB scanned (the 2 with a figure, estimated)',
      usd: '~$0.0002 (the 2 with a figure, estimated)',
    });
    // The CLI's report of the same preview says the same of its bytes.
    assert.ok(
      describeQueryCosts(rows).at(-1)?.includes(`, ${total.billed}; 1 failed`),
      describeQueryCosts(rows).at(-1),
    );
    // On BigQuery every query that ran has its bill: no estimate, nothing left out.
    const billed = totalCells(
      costTotals([
        {
          bytes_processed: 4096,
          bytes_billed: 20 * MiB,
          elapsed_ms: 10,
          cost_usd: onDemandCostUsd(20 * MiB),
        },
        {
          bytes_processed: 50 * MiB,
          bytes_billed: 50 * MiB,
          elapsed_ms: 10,
          cost_usd: onDemandCostUsd(50 * MiB),
        },
      ]),
    );
    assert.deepEqual(billed, { billed: '70.00 MiB billed', scanned: '50.00 MiB scanned', usd: '$0.0004' });
  });

  test("a query that did not run to the end says what became of it in the CLI report's words, read back from the table", () => {
    const scan = (date: string, table: string) => ({
      date,
      table,
      kind: 'metrics_scan' as const,
      bytes: 100,
    });
    const estimate: CostEstimate = {
      method: 'column_sizes',
      queries: [
        scan('2026-03-28', 'metrics_exp_clients_day_1'),
        scan('2026-03-28', 'metrics_exp_events_day_1'),
        scan('2026-03-28', 'metrics_exp_search_day_1'),
        scan('2026-03-29', 'metrics_exp_clients_day_2'),
        scan('2026-03-30', 'metrics_exp_clients_day_3'),
      ],
      totalBytes: 500,
      usdPerTib: 6.25,
      totalUsd: 0,
      ownTableQueries: 0,
    };
    const day28 = {
      date: '2026-03-28',
      queries: [{ table: 'metrics_exp_clients_day_1', elapsedMs: 40, bytesProcessed: null }],
      failedQueries: ['metrics_exp_events_day_1'],
    };
    const now = new Date('2026-04-01T00:00:00Z');
    // Interrupted on 03-29: its query may have run, 03-30's never started.
    const interrupted = queryCostRows('exp', estimate, [day28, { date: '2026-03-29', queries: [] }], now, {
      date: '2026-03-29',
      by: 'interruption',
    });
    // The dashboard reads the rows back from the table: what it shows is what they keep.
    const read = interrupted.map((r) => QueryCostRow.parse(r));
    assert.deepEqual(read.map(unfinishedCell), [
      null,
      'FAILED',
      'not run (an earlier step of this date failed)',
      'stopped (interrupted: it may have run before the stop)',
      'not run (interrupted)',
    ]);
    // The CLI's report says the same of each query, and counts them alike.
    const report = describeQueryCosts(interrupted);
    read.forEach((row, i) => {
      const cell = unfinishedCell(row);
      if (cell !== null) assert.ok(report[i + 1]?.includes(`  ${cell}  `), `${report[i + 1]} says ${cell}`);
    });
    const totals = costTotals(read);
    assert.equal(
      costsTotal(read.length, totals.unfinished),
      'total (5 queries; not counted: 1 failed, 2 not run, 1 stopped)',
    );
    assert.match(
      report.at(-1) ?? '',
      /; 1 failed, 2 not run, 1 stopped: the stopped one may have run before the interruption/,
    );
    // Stopped on the warehouse's storage on 03-29: the dates after it were not attempted.
    const storage = queryCostRows(
      'exp',
      estimate,
      [day28, { date: '2026-03-29', queries: [], failedQueries: [] }],
      now,
      {
        date: '2026-03-29',
        by: 'storage',
      },
    ).map((r) => QueryCostRow.parse(r));
    assert.deepEqual(storage.slice(3).map(unfinishedCell), [
      'not run (an earlier step of this date failed)',
      "not run (not attempted: the warehouse's storage failed)",
    ]);
    // A row an older version wrote keeps no outcome: without a time, it failed or never ran.
    const older = [
      { estimated_bytes: 100, elapsed_ms: null },
      { estimated_bytes: 100, elapsed_ms: 40 },
    ];
    assert.deepEqual(older.map(unfinishedCell), ['failed or not run', null]);
    assert.equal(
      costsTotal(2, costTotals(older).unfinished),
      'total (2 queries; not counted: 1 failed or not run)',
    );
    assert.match(
      costsExplanation(older),
      /; failed or not run: written before what became of a query was kept$/,
    );
  });

  test('the note says what billed, ~ and scanned mean, naming how the estimates were made', () => {
    const note = costsExplanation([
      {
        estimate_method: 'dry_run',
        estimated_bytes: 1,
        estimated_bytes_billed: 10 * MiB,
        outcome: 'not run',
      },
      {
        estimate_method: 'dry_run',
        bytes_processed: 1,
        bytes_billed: 10 * MiB,
        elapsed_ms: 5,
        outcome: 'ran',
      },
    ]);
    assert.equal(
      note,
      'billed: what BigQuery bills a query, at least 10.00 MiB for it and for each table it reads, rounded up to the MiB; ' +
        '~: estimated before the run (BigQuery dry run); scanned: shown where it differs from billed by a MiB or more',
    );
    // Without an estimate shown, no `~` to explain.
    assert.doesNotMatch(costsExplanation([{ bytes_processed: 1, bytes_billed: 10 * MiB }]), /~/);
  });

  test('a total of values never recorded is unknown, not zero', () => {
    assert.equal(knownTotal([null, undefined, null]), null);
    assert.equal(knownTotal([]), null);
    assert.equal(knownTotal([1, null, 2.5]), 3.5);
    assert.equal(knownTotal([0, null]), 0);
    const none = costTotals([{ elapsed_ms: 10 }, { estimated_bytes_billed: 20 * MiB, elapsed_ms: null }]);
    assert.deepEqual(totalCells(none), { billed: '', scanned: '', usd: '' });
    assert.equal(costsTotal(1), 'total (1 query)');
    assert.equal(costsTotal(6), 'total (6 queries)');
  });
});
