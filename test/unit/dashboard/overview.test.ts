import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OverviewPanel } from '../../../src/dashboard/api.js';
import {
  directionText,
  intervalText,
  overviewExplanation,
  overviewStatistic,
  overviewTable,
  overviewWhen,
  upliftText,
} from '../../../src/dashboard/overview.js';
import type { StatisticResultRow } from '../../../src/statistics/results.js';
import { direction } from '../../../src/statistics/significance.js';
import { statisticRow } from '../../helpers/statistic-row.js';

/** A relative uplift of `branch` over `to`. */
function uplift(
  metric: string,
  branch: string,
  to: string,
  lower: number,
  upper: number,
): StatisticResultRow {
  return statisticRow({
    metric,
    statistic: 'mean',
    branch,
    comparison: 'relative_uplift',
    comparison_to_branch: to,
    point: (lower + upper) / 2,
    lower,
    upper,
    window_index: '3',
  });
}

const PANEL: OverviewPanel = {
  window: 3,
  written: '2026-03-29T08:11:30Z',
  analysisDate: null,
  metrics: [
    {
      metric: 'active_hours',
      statistic: 'mean_lm',
      window: 3,
      rows: [
        uplift('active_hours', 'treatment-a', 'control', 0.02, 0.07),
        uplift('active_hours', 'treatment-b', 'control', -0.07, -0.03),
        uplift('active_hours', 'control', 'treatment-a', -0.06, -0.02),
        uplift('active_hours', 'treatment-b', 'treatment-a', -0.12, -0.07),
      ],
    },
    {
      metric: 'searched',
      statistic: 'binomial',
      window: 2,
      // Only treatment-a was compared here: the other cell is empty, not another branch's value.
      rows: [uplift('searched', 'treatment-a', 'control', -0.01, 0.03)],
    },
  ],
  without: [{ metric: 'identity', statistics: ['count'] }],
};

describe('the overview of every metric', () => {
  test("the statistic standing for a metric: Experimenter's (mean_lm over mean, binomial), else the first with an uplift", () => {
    assert.equal(overviewStatistic(['mean', 'mean_lm']), 'mean_lm');
    assert.equal(overviewStatistic(['mean']), 'mean');
    assert.equal(overviewStatistic(['binomial']), 'binomial');
    assert.equal(overviewStatistic(['sum', 'binomial']), 'binomial');
    assert.equal(overviewStatistic(['zeta', 'per_client_dau_impact']), 'per_client_dau_impact');
    assert.equal(overviewStatistic(['zeta', 'alpha']), 'alpha');
    assert.equal(overviewStatistic([]), null);
  });

  test('a direction only where the interval excludes zero, and which way', () => {
    assert.equal(direction(0.01, 0.2), 'higher');
    assert.equal(direction(-0.2, -0.01), 'lower');
    assert.equal(direction(-0.01, 0.2), 'unclear');
    assert.equal(direction(0, 0.2), 'unclear');
    assert.equal(direction(null, 0.2), null);
    assert.equal(directionText('higher', 'control'), '▲ higher than control');
    assert.equal(directionText('lower', 'control'), '▼ lower than control');
    assert.equal(directionText('unclear', 'control'), 'no clear difference');
  });

  test('one line per metric, one column per branch other than the reference, each with its direction', () => {
    const table = overviewTable(PANEL, 'control');
    assert.equal(table.reference, 'control');
    assert.deepEqual(table.branches, ['treatment-a', 'treatment-b']);
    assert.deepEqual(
      table.lines.map((l) => [l.metric, l.statistic, l.window, l.cells.map((c) => c?.direction ?? null)]),
      [
        ['active_hours', 'mean_lm', 3, ['higher', 'lower']],
        ['searched', 'binomial', 2, ['unclear', null]],
      ],
    );
    const first = table.lines[0]?.cells[0];
    assert.deepEqual(
      first && [first.branch, first.lower, first.upper],
      ['treatment-a', 0.02, 0.07],
      "the uplift over control, not control's over treatment-a",
    );
  });

  test("another reference branch turns the columns; without one from the page, 'control'", () => {
    const table = overviewTable(PANEL, 'treatment-a');
    assert.deepEqual(table.branches, ['control', 'treatment-b']);
    assert.deepEqual(
      table.lines[0]?.cells.map((c) => c?.direction),
      ['lower', 'lower'],
    );
    assert.equal(overviewTable(PANEL, null).reference, 'control');
    assert.equal(overviewTable(PANEL, 'nobody').reference, 'control');
    const none = overviewTable({ ...PANEL, metrics: [] }, null);
    assert.deepEqual([none.reference, none.branches, none.lines], [null, [], []]);
  });

  test('the cells, the window and date, and what an interval means, in words', () => {
    assert.equal(upliftText(0.045918), '+4.59%');
    assert.equal(upliftText(-0.00033051), '-0.0331%');
    assert.equal(upliftText(0), '0%');
    assert.equal(upliftText(null), '–');
    assert.equal(intervalText(0.02381, 0.06851), '+2.38% to +6.85%');
    assert.equal(intervalText(null, 0.06851), '');
    const selection = { period: 'week', basis: 'enrollments', segment: 'all' } as const;
    assert.equal(
      overviewWhen(PANEL, selection),
      'enrollments basis, segment all, at the latest window of period week: window 3 (week since enrollment), written 2026-03-29 08:11 UTC (1 metric not in it: at an earlier window, said in the row)',
    );
    assert.equal(
      overviewWhen({ ...PANEL, analysisDate: '2026-03-29', metrics: PANEL.metrics.slice(0, 1) }, selection),
      'enrollments basis, segment all, at the latest window of period week: window 3 (week since enrollment), analysis date 2026-03-29',
    );
    assert.equal(
      overviewWhen({ ...PANEL, window: null, metrics: [] }, selection),
      'enrollments basis, segment all: no metric has a relative uplift to show',
    );
    assert.match(overviewExplanation('control', '95%'), /than control's, in percent, with the 95% interval/);
    assert.match(
      overviewExplanation('control', '95%'),
      /▲ or ▼ when the whole interval is above or below zero/,
    );
  });
});
