import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ViewSelection } from '../../../src/dashboard/api.js';
import {
  intervalLevel,
  selectionCaption,
  significantCell,
  windowLabel,
} from '../../../src/dashboard/labels.js';
import { confidenceLevel, excludesNoChange } from '../../../src/statistics/significance.js';

describe('what the page writes beside its numbers', () => {
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
});
