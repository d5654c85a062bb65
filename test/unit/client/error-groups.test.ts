import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatIssueGroups,
  groupIssues,
  previewIssues,
  type RunIssue,
  statisticsIssues,
} from '../../../src/client/error-groups.js';
import { ContrailError, errorSubjects, StepsFailedError } from '../../../src/errors.js';
import type { PreviewResult } from '../../../src/workflows/preview.js';

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

  test('warnings of one kind about one key print once, with how many more there are and where', () => {
    const warning = (date: string, window: string, message: string): RunIssue =>
      issue(date, { level: 'WARNING', errorType: 'StatisticWarning', message, window });
    const uplift = (params: string, pairs: string, subject: string) =>
      `x/deciles: relative uplift is undefined at parameters ${params} for ${pairs} (the reference value is zero in some samples); written as null (${subject})`;
    const lines = formatIssueGroups(
      groupIssues([
        warning('2026-03-09', 'day 1', uplift('0.1', "'a' over 'b'", 'enrollments basis, segment all')),
        warning(
          '2026-03-10',
          'day 2',
          uplift('0.1, 0.2', "'a' over 'b', 'c' over 'b'", 'exposures basis, segments all, us'),
        ),
        warning('2026-03-11', 'week 1', uplift('0.5', "'c' over 'a'", 'enrollments basis, segment us')),
        warning('2026-03-09', 'day 1', "x/deciles: left out 3 client(s) of branch 'a' with a missing value"),
        issue('2026-03-09', { message: 'no such column a' }),
        issue('2026-03-10', { message: 'no such column b' }),
      ]),
      'tmp.logs',
    );
    assert.deepEqual(lines, [
      'errors and warnings, by config file:',
      '  a.toml',
      '    metrics.broken.select_expression (line 13) (metric broken)',
      '      ERROR PlannedQueryError: no such column a [1 date: 2026-03-09]',
      '      ERROR PlannedQueryError: no such column b [1 date: 2026-03-10]',
      `      WARNING StatisticWarning: ${uplift('0.1', "'a' over 'b'", 'enrollments basis, segment all')} [1 window: 2026-03-09 day 1]`,
      '        and 2 more like it with other values [3 windows: 2026-03-09 day 1, 2026-03-10 day 2, 2026-03-11 week 1]; each is in tmp.logs',
      "      WARNING StatisticWarning: x/deciles: left out 3 client(s) of branch 'a' with a missing value [1 window: 2026-03-09 day 1]",
    ]);
  });

  test('nothing to report prints nothing', () => {
    assert.deepEqual(formatIssueGroups(groupIssues([])), []);
  });

  test('an error on a date where several windows failed together is the same entry as on a date where one did', () => {
    const planned = (query: string) => {
      const error = new ContrailError('warehouse said: no such column', {
        permanent: true,
        details: { subjects: [{ ...broken, query }] },
      });
      error.name = 'PlannedQueryError';
      return error;
    };
    const together = new StepsFailedError(
      [planned('metrics_x_day_3'), planned('metrics_x_week_1')],
      'window',
    );
    const preview = {
      days: [],
      failed: [
        {
          date: '2026-03-02',
          errorType: 'PlannedQueryError',
          message: 'warehouse said: no such column',
          subjects: [{ ...broken, query: 'metrics_x_day_2' }],
        },
        {
          date: '2026-03-03',
          errorType: together.name,
          message: together.message,
          subjects: errorSubjects(together.details),
        },
      ],
    } as unknown as PreviewResult;
    assert.deepEqual(formatIssueGroups(groupIssues(previewIssues(preview))), [
      'errors and warnings, by config file:',
      '  a.toml',
      '    metrics.broken.select_expression (line 13) (metric broken)',
      '      ERROR PlannedQueryError: warehouse said: no such column [2 dates: 2026-03-02, 2026-03-03]',
    ]);
  });
});

describe("a statistic jetstream could not compute, among a date's statistics", () => {
  test('is an error of its exception type, not a StatisticWarning', () => {
    const issues = statisticsIssues([
      {
        date: '2026-03-15',
        statistics: [
          {
            table: 'statistics_x_week_1',
            rows: 0,
            period: 'week',
            windowIndex: 1,
            warnings: ['a', 'b'],
            warningCount: 2,
            warningDetails: [
              { message: 'a', subjects: [], exceptionType: 'StatisticComputationException' },
              { message: 'b', subjects: [] },
            ],
            headline: [],
            sampleRatioMismatch: null,
          },
        ],
      },
    ]);
    assert.deepEqual(
      issues.map((i) => [i.level, i.errorType, i.message]),
      [
        ['ERROR', 'StatisticComputationException', 'a'],
        ['WARNING', 'StatisticWarning', 'b'],
      ],
    );
    // It happened in a window, not on a failed date: counted as one.
    assert.deepEqual(formatIssueGroups(groupIssues(issues)), [
      'errors and warnings, by config file:',
      '  (no config file: about the run as a whole)',
      '    ERROR StatisticComputationException: a [1 window: 2026-03-15 week 1]',
      '    WARNING StatisticWarning: b [1 window: 2026-03-15 week 1]',
    ]);
  });
});
