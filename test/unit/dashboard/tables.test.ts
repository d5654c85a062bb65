import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { experimentsFromTables, findExperiment } from '../../../src/dashboard/tables.js';

describe('statistics table names read back into experiments', () => {
  test('periods and windows per experiment; views, logs and other tables ignored', () => {
    const experiments = experimentsFromTables([
      'statistics_my_exp_week_2',
      'statistics_my_exp_week_1',
      'statistics_my_exp_week_10',
      'statistics_my_exp_overall_1',
      'statistics_my_exp_weekly',
      'statistics_my_exp_overall',
      'enrollments_my_exp',
      'my_exp_enrollments_clients_daily_week_1',
      'logs',
      'statistics_other_day_3',
    ]);
    assert.deepEqual(experiments, [
      {
        tableSlug: 'my_exp',
        periods: [
          { period: 'week', windows: [1, 2, 10] },
          { period: 'overall', windows: [1] },
        ],
      },
      { tableSlug: 'other', periods: [{ period: 'day', windows: [3] }] },
    ]);
  });

  test('slugs with underscores and period-like words split at the period, longest period first', () => {
    const experiments = experimentsFromTables([
      'statistics_a_day_in_the_week_preenrollment_week_1',
      'statistics_a_day_in_the_week_day_4',
      'statistics_x_preenrollment_days28_1',
    ]);
    assert.deepEqual(experiments, [
      {
        tableSlug: 'a_day_in_the_week',
        periods: [
          { period: 'day', windows: [4] },
          { period: 'preenrollment_week', windows: [1] },
        ],
      },
      { tableSlug: 'x', periods: [{ period: 'preenrollment_days28', windows: [1] }] },
    ]);
  });

  test('window 0 is not a window', () => {
    assert.deepEqual(experimentsFromTables(['statistics_x_week_0']), []);
  });

  test('an experiment is found by its Experimenter slug or its table form', () => {
    const experiments = experimentsFromTables(['statistics_my_exp_2_week_1']);
    assert.equal(findExperiment(experiments, 'my-exp-2')?.tableSlug, 'my_exp_2');
    assert.equal(findExperiment(experiments, 'my_exp_2')?.tableSlug, 'my_exp_2');
    assert.equal(findExperiment(experiments, 'my-exp'), undefined);
  });
});
