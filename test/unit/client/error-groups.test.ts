import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIssueGroups, groupIssues, type RunIssue } from '../../../src/client/error-groups.js';

const broken = { metric: 'broken', file: 'a.toml', key: 'metrics.broken.select_expression', line: 13 };
const issue = (date: string, over: Partial<RunIssue> = {}): RunIssue => ({
  level: 'ERROR',
  errorType: 'PlannedQueryError',
  message: 'warehouse said: no such column',
  date,
  window: null,
  subject: { ...broken, query: `metrics_x_day_${date.slice(-1)}` },
  ...over,
});

describe('a preview’s errors grouped by config file and key', () => {
  test('the same error on several dates is one entry with its dates, whatever query it failed in', () => {
    const groups = groupIssues([issue('2026-03-10'), issue('2026-03-09')]);
    assert.deepEqual(groups, [
      {
        file: 'a.toml',
        places: [
          {
            key: 'metrics.broken.select_expression',
            line: 13,
            metric: 'broken',
            statistic: null,
            query: null,
            issues: [
              {
                level: 'ERROR',
                errorType: 'PlannedQueryError',
                message: 'warehouse said: no such column',
                occurrences: ['2026-03-09', '2026-03-10'],
              },
            ],
          },
        ],
      },
    ]);
  });

  test('files in name order, issues about no config item last; errors before warnings; windows counted', () => {
    const warning = issue('2026-03-09', {
      level: 'WARNING',
      errorType: 'StatisticWarning',
      message: 'broken/binomial: values must be 0 or 1',
      window: 'day 1',
      subject: { ...broken, statistic: undefined },
    });
    const lines = formatIssueGroups(
      groupIssues([
        warning,
        { ...warning, date: '2026-03-10', window: 'day 2' },
        issue('2026-03-09', { subject: { query: 'enrollments_x' }, message: 'lock held' }),
        issue('2026-03-09', { subject: { ...broken, file: 'b.toml' } }),
        issue('2026-03-09'),
      ]),
    );
    assert.deepEqual(lines, [
      'errors and warnings, by config file:',
      '  a.toml',
      '    metrics.broken.select_expression (line 13) (metric broken)',
      '      ERROR PlannedQueryError: warehouse said: no such column [1 date: 2026-03-09]',
      '      WARNING StatisticWarning: broken/binomial: values must be 0 or 1 [2 windows: 2026-03-09 day 1, 2026-03-10 day 2]',
      '  b.toml',
      '    metrics.broken.select_expression (line 13) (metric broken)',
      '      ERROR PlannedQueryError: warehouse said: no such column [1 date: 2026-03-09]',
      '  (no config file: about the run as a whole)',
      '    (query enrollments_x)',
      '      ERROR PlannedQueryError: lock held [1 date: 2026-03-09]',
    ]);
  });

  test('nothing to report prints nothing', () => {
    assert.deepEqual(formatIssueGroups(groupIssues([])), []);
  });
});
