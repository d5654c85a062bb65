import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatisticsSummary } from '../../../src/analysis/results.js';
import { analyzedResult } from '../../../src/workflows/analysis-result.js';
import { anchoredPin as pin } from '../../helpers/pin.js';

const summary = (table: string): StatisticsSummary => ({
  table,
  rows: 1,
  period: 'week',
  windowIndex: 1,
  warnings: [],
  warningCount: 0,
  headline: [],
  sampleRatioMismatch: null,
});

test("an analysis's tables and queries come in one order, by code unit, whatever order its windows finished in", () => {
  // Names whose code-unit order (upper case before lower, digits before `_`) is not
  // localeCompare's (x_week_1, X_week_1, x_week1), given in neither order, as windows finish.
  const finished = ['statistics_x_week_1', 'statistics_x_week1', 'statistics_X_week_1'];
  const byCodeUnit = ['statistics_X_week_1', 'statistics_x_week1', 'statistics_x_week_1'];
  const result = analyzedResult({
    slug: 'x',
    date: '2026-03-15',
    pin,
    enrollments: null,
    metricsTables: finished.map((t) => t.replace('statistics_', '')),
    statistics: finished.map(summary),
    views: [],
    queries: finished.map((table) => ({ table, elapsedMs: 1, bytesProcessed: null })),
  });
  assert.deepEqual(
    result.metricsTables,
    byCodeUnit.map((t) => t.replace('statistics_', '')),
  );
  assert.deepEqual(
    result.statistics.map((s) => s.table),
    byCodeUnit,
  );
  assert.deepEqual(
    result.queries?.map((q) => q.table),
    byCodeUnit,
  );
  assert.equal(result.status, 'analyzed');
});
