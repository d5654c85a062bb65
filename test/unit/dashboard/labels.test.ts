import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ViewSelection } from '../../../src/dashboard/api.js';
import {
  AXIS_LABEL_CHARS,
  age,
  axisLabel,
  branchColours,
  comparisonCell,
  comparisonTitle,
  computedByLine,
  errorCell,
  errorColumns,
  errorColumnTitle,
  intervalLevel,
  loggedCount,
  NO_VALUE,
  periodChoice,
  selectionCaption,
  shownInstead,
  shownStatus,
  significantCell,
  verdictCell,
  windowLabel,
  writtenLine,
} from '../../../src/dashboard/labels.js';
import { confidenceLevel, excludesNoChange } from '../../../src/statistics/significance.js';

describe('what the page writes beside its numbers', () => {
  test('a comparison is named in words, the same in the charts and the numbers', () => {
    assert.equal(comparisonTitle(null), 'Per branch');
    assert.equal(comparisonTitle('difference'), 'Difference');
    assert.equal(comparisonTitle('relative_uplift'), 'Relative uplift');
    assert.equal(comparisonCell('relative_uplift', 'control'), 'Relative uplift to control');
    assert.equal(comparisonCell('difference', 'treatment-a'), 'Difference to treatment-a');
    assert.equal(comparisonCell(null, null), "Per branch (the branch's own value)");
    for (const comparison of ['difference', 'relative_uplift'] as const) {
      // The numbers' cell starts with the chart's title, and no column value of the table shows.
      assert.ok(comparisonCell(comparison, 'control').startsWith(comparisonTitle(comparison)));
      assert.doesNotMatch(comparisonCell(comparison, 'control'), /_|^difference/);
    }
  });

  test("a chart's y-axis label fits the chart and always names the comparison", () => {
    assert.equal(axisLabel('active_hours', null), 'active_hours');
    assert.equal(axisLabel('active_hours', 'relative_uplift'), 'active_hours (relative uplift)');
    const long = 'average_number_of_uri_visits_per_active_day_among_clients_with_sidebar_enabled_v2';
    for (const comparison of [null, 'difference', 'relative_uplift'] as const) {
      const label = axisLabel(long, comparison);
      assert.ok(label.length <= AXIS_LABEL_CHARS, label);
      assert.match(label, /^average_number_of_.*….*_enabled_v2/);
      if (comparison !== null)
        assert.ok(label.endsWith(`(${comparisonTitle(comparison).toLowerCase()})`), label);
    }
  });
  test('a comparison is significant when its interval excludes no change; a branch value never is', () => {
    assert.equal(significantCell({ comparison: 'difference', lower: 0.1, upper: 0.4 }), 'yes');
    assert.equal(significantCell({ comparison: 'relative_uplift', lower: -0.3, upper: -0.01 }), 'yes');
    assert.equal(significantCell({ comparison: 'difference', lower: -0.1, upper: 0.4 }), 'no');
    // An interval that ends at zero still includes it.
    assert.equal(significantCell({ comparison: 'difference', lower: 0, upper: 0.4 }), 'no');
    assert.equal(significantCell({ comparison: 'difference', lower: null, upper: 0.4 }), '');
    assert.equal(significantCell({ comparison: null, lower: 3, upper: 4 }), '');
    assert.equal(excludesNoChange(null, null), null);
  });

  test('a significant comparison says which way the branch differs from the one it is compared to', () => {
    const to = { comparison_to_branch: 'control' };
    assert.deepEqual(verdictCell({ ...to, comparison: 'relative_uplift', lower: 0.01, upper: 0.2 }), {
      text: 'yes: higher than control',
      title: null,
    });
    assert.equal(
      verdictCell({
        comparison: 'difference',
        comparison_to_branch: 'treatment-a',
        lower: -0.3,
        upper: -0.01,
      }).text,
      'yes: lower than treatment-a',
    );
    assert.deepEqual(verdictCell({ ...to, comparison: 'difference', lower: -0.1, upper: 0.4 }), {
      text: 'no',
      title: null,
    });
  });

  test('a row with no interval to judge shows the dash of a missing number, saying why, never a blank cell', () => {
    const to = { comparison_to_branch: 'control' };
    // A comparison whose interval is null in the statistics table.
    const nullInterval = verdictCell({ ...to, comparison: 'difference', lower: null, upper: 0.4 });
    assert.equal(nullInterval.text, NO_VALUE);
    assert.match(
      nullInterval.title ?? '',
      /^no interval to judge: the statistics table holds none for this comparison/,
    );
    // A branch's own value: every row of a `count`, which has no comparisons and no interval.
    for (const bounds of [
      { lower: null, upper: null },
      { lower: 3, upper: 4 },
    ]) {
      const own = verdictCell({ comparison: null, comparison_to_branch: null, ...bounds });
      assert.deepEqual(own, {
        text: NO_VALUE,
        title: "no interval to judge: a branch's own value is compared to nothing",
      });
    }
  });

  test('intervals name their confidence level, from ci_width', () => {
    assert.equal(confidenceLevel(0.95), '95%');
    assert.equal(confidenceLevel(0.999), '99.9%');
    assert.equal(confidenceLevel(null), null);
    assert.equal(intervalLevel([{ ci_width: 0.95 }, { ci_width: 0.95 }]), '95%');
    assert.equal(intervalLevel([{ ci_width: 0.95 }, { ci_width: 0.9 }, { ci_width: null }]), '90%, 95%');
    assert.equal(intervalLevel([{ ci_width: null }]), null);
    assert.equal(intervalLevel([]), null);
  });

  test('a window index says what it counts', () => {
    assert.equal(windowLabel('week'), 'window (week since enrollment)');
    assert.equal(windowLabel('day'), 'window (day since enrollment)');
    assert.equal(windowLabel('overall'), 'window (the whole experiment)');
    assert.equal(windowLabel('preenrollment_days28'), 'window (the 28 days before enrollment)');
    assert.equal(windowLabel(null), 'window');
  });

  test('the caption names everything the numbers depend on', () => {
    const selection: ViewSelection = {
      dataset: 'tmp',
      experiment: 'my_exp',
      period: 'week',
      basis: 'exposures',
      segment: 'us',
      metric: 'active_hours',
      statistic: 'deciles',
    };
    assert.equal(
      selectionCaption(selection, {
        experimentName: 'my-exp',
        parameter: '0.5',
        reference: 'control',
        level: '95%',
      }),
      'my-exp in dataset tmp · metric active_hours, statistic deciles at 0.5 · analysis period week · exposures basis · segment us · compared to control · 95% confidence intervals',
    );
    assert.equal(
      selectionCaption(selection, { experimentName: null, parameter: null, reference: null, level: null }),
      'my_exp in dataset tmp · metric active_hours, statistic deciles · analysis period week · exposures basis · segment us · no intervals',
    );
  });

  test('results say when they were written, how long ago, and when preview tables go', () => {
    const now = Date.parse('2026-03-20T12:00:00Z');
    assert.equal(age(now - 30_000, now), 'just now');
    assert.equal(age(now - 5 * 60_000, now), '5 minutes ago');
    assert.equal(age(now - 3 * 3600_000, now), '3 hours ago');
    assert.equal(age(now - 5 * 86400_000, now), '5 days ago');
    assert.equal(
      writtenLine(
        { oldest: '2026-03-20T08:59:50Z', newest: '2026-03-20T09:00:00Z', expiresAt: '2026-03-27T09:00:10Z' },
        now,
      ),
      'results written 2026-03-20 09:00 UTC (3 hours ago) · preview tables, deleted after 2026-03-27 09:00 UTC',
    );
    assert.equal(
      writtenLine({ oldest: '2026-03-01T06:00:00Z', newest: '2026-03-15T06:00:00Z', expiresAt: null }, now),
      'results written 2026-03-01 06:00 UTC … 2026-03-15 06:00 UTC (the newest 5 days ago)',
    );
    assert.equal(
      writtenLine({ oldest: null, newest: null, expiresAt: null }, now),
      'when these results were written is not recorded',
    );
  });

  test('results name the build of contrail and the configs that computed them, as the CLI does', () => {
    const now = Date.parse('2026-03-20T12:00:00Z');
    const build = { toolVersion: '0.1.0', buildId: 'b6371bd37314', configCommit: null, tables: 3 };
    assert.equal(
      writtenLine(
        {
          oldest: '2026-03-20T09:00:00Z',
          newest: '2026-03-20T09:00:00Z',
          expiresAt: '2026-03-27T09:00:00Z',
          builds: [build],
          tables: 3,
        },
        now,
      ),
      'results written 2026-03-20 09:00 UTC (3 hours ago) · computed by contrail 0.1.0+b6371bd37314, config working tree · preview tables, deleted after 2026-03-27 09:00 UTC',
    );
    // A daily analysis's windows, from two runs on other builds and configs, and one older table.
    assert.equal(
      computedByLine(
        [
          { ...build, configCommit: '4f2a9c1e0d7b', tables: 3 },
          { toolVersion: '0.2.0-rc-1', buildId: null, configCommit: '5e3b', tables: 1 },
        ],
        5,
      ),
      'computed by contrail 0.1.0+b6371bd37314, config 4f2a9c1e0d7b (3 of 5 windows); contrail 0.2.0-rc-1, config 5e3b (1 of 5 windows); not recorded (1 of 5 windows)',
    );
    assert.equal(computedByLine([], 2), 'which build of contrail computed them is not recorded');
    assert.equal(computedByLine([], 0), null);
  });

  test('counts on the page take the singular for one', () => {
    assert.equal(periodChoice('week', 1), 'week (1 window)');
    assert.equal(periodChoice('day', 3), 'day (3 windows)');
    assert.equal(loggedCount(1, 1, false), '1 entry logged');
    assert.equal(loggedCount(46, 46, true), '46 entries logged (the newest; more were logged)');
    assert.equal(loggedCount(1, 4, false), '1 problem: 4 entries logged');
    assert.equal(
      shownStatus('exp in tmp, week, active_hours', 1, '12'),
      'exp in tmp, week, active_hours: 1 row shown (read from the warehouse in 12 ms)',
    );
    assert.equal(age(Date.now() - 60_000, Date.now()), '1 minute ago');
  });

  test('the errors panel names where to fix a problem as the CLI does: one column, file:line key', () => {
    assert.deepEqual(
      errorColumns(['log_level', 'message', 'config_file', 'config_line', 'config_key', 'metric']),
      ['log_level', 'message', 'config', 'metric'],
    );
    assert.deepEqual(errorColumns(['log_level', 'config_key']), ['log_level', 'config']);
    assert.deepEqual(errorColumns(['log_level', 'message']), ['log_level', 'message']);
    assert.equal(errorColumnTitle('config'), 'where in the config (file:line key)');
    assert.equal(errorColumnTitle('message'), 'message');
    const row = {
      log_level: 'ERROR',
      message: 'warehouse said: Binder Error',
      config_file: 'jetstream/my-exp.toml',
      config_line: 17,
      config_key: 'metrics.broken.select_expression',
    };
    assert.equal(errorCell(row, 'config'), 'jetstream/my-exp.toml:17 metrics.broken.select_expression');
    assert.equal(
      errorCell({ ...row, config_line: null }, 'config'),
      'jetstream/my-exp.toml metrics.broken.select_expression',
    );
    assert.equal(errorCell({ config_key: 'metrics.broken' }, 'config'), 'metrics.broken');
    assert.equal(errorCell({ log_level: 'ERROR' }, 'config'), '');
    assert.equal(errorCell(row, 'config_line'), '17');
    assert.equal(errorCell(row, 'metric'), '');
  });
  test("a comparison chart's legend names the branches it draws, each in the colour the others give it", () => {
    const branches = ['control', 'treatment-a', 'treatment-b'];
    const all = branchColours(branches, branches);
    assert.deepEqual(all.domain, branches);
    const compared = branchColours(branches, ['treatment-a', 'treatment-b']);
    assert.deepEqual(compared.domain, ['treatment-a', 'treatment-b']);
    assert.deepEqual(compared.range, all.range.slice(1));
    assert.equal(new Set(all.range).size, 3);
  });
  test('every branch of an experiment with more branches than the colour scheme has a colour of its own', () => {
    const branches = ['control', ...Array.from({ length: 24 }, (_, i) => `treatment-${i + 1}`)];
    const all = branchColours(branches, branches);
    assert.equal(new Set(all.range).size, branches.length, all.range.join(' '));
    // A comparison chart's legend leaves control out; the others keep their colours there.
    const compared = branchColours(branches, branches.slice(1));
    assert.deepEqual(compared.range, all.range.slice(1));
  });
  test('a link the page could not follow says what is shown instead', () => {
    assert.equal(
      shownInstead("dataset 'nothing_here' holds no contrail results", { dataset: 'tmp', experiment: null }),
      "dataset 'nothing_here' holds no contrail results; showing dataset 'tmp' instead",
    );
    assert.equal(
      shownInstead("experiment 'x' has no statistics tables in dataset 'tmp'", {
        dataset: 'tmp',
        experiment: 'contrail-demo-sidebar',
      }),
      "experiment 'x' has no statistics tables in dataset 'tmp'; showing contrail-demo-sidebar in dataset 'tmp' instead",
    );
  });
});
