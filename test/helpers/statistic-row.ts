import type { StatisticResultRow } from '../../src/statistics/results.js';

/** A row of a statistics table as contrail writes it: a control branch's mean, `overrides` aside. */
export function statisticRow(overrides: Partial<StatisticResultRow> = {}): StatisticResultRow {
  return {
    metric: 'active_hours',
    statistic: 'mean',
    parameter: null,
    branch: 'control',
    comparison: null,
    comparison_to_branch: null,
    ci_width: 0.95,
    point: 1,
    lower: 0.5,
    upper: 1.5,
    segment: 'all',
    analysis_basis: 'enrollments',
    window_index: '1',
    ...overrides,
  };
}
