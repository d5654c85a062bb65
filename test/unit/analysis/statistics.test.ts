import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leavesResultsMissing } from '../../../src/analysis/results.js';
import { enrolledClients, summaryWarnings } from '../../../src/analysis/statistics.js';
import type { StatisticResultRow } from '../../../src/statistics/index.js';

describe('summaryWarnings', () => {
  it('keeps the warnings that leave results null or missing first, so informational ones cannot crowd them out', () => {
    const informing = Array.from({ length: 30 }, (_, i) => ({
      message: `m${i}/mean: left out 3 client(s) of branch 'control' with a missing value (all, enrollments)`,
      subjects: [],
    }));
    const nulled = {
      message: "x/mean: branch 'treatment' has no data; its results are null (all, enrollments)",
      subjects: [],
    };
    const kept = summaryWarnings([...informing, nulled, ...informing.slice(0, 2)]);
    assert.equal(kept.length, 20);
    assert.equal(kept[0], nulled);
    assert.deepEqual(kept.slice(1), informing.slice(0, 19));
  });

  it("keeps a statistic's error before any warning, so the run's report shows it however many warnings there are", () => {
    const nulled = Array.from({ length: 30 }, (_, i) => ({
      message: `m${i}/mean: branch 'treatment' has no data; its results are null (all, enrollments)`,
      subjects: [],
    }));
    const error = {
      message:
        'x/bootstrap_mean: error while computing the statistic: RangeError: Invalid array length; no results (enrollments basis, segment all)',
      subjects: [],
      exceptionType: 'StatisticComputationException' as const,
    };
    const kept = summaryWarnings([...nulled, error]);
    assert.equal(kept.length, 20);
    assert.equal(kept[0], error);
    assert.deepEqual(kept.slice(1), nulled.slice(0, 19));
  });

  it('tells the warnings that leave results null or missing by what they say', () => {
    for (const message of [
      "m/mean: every one of the 3 client(s) of branch 'control' has a missing value; its results are null (COALESCE(…, 0) in the metric's select_expression counts them as 0; the remove_nulls pre-treatment leaves them out without this warning)",
      "m/binomial: values must be 0 or 1 (or booleans), but branch 'control' has 2; no results",
      "m/linear_model_mean: relative uplift of 'treatment' over 'control' is undefined (reference mean is zero); written as null",
      "m/mean: reference branch 'control' is not in the input (branches: treatment); no comparisons with it",
      'm/mean (enrollments, segment us): no statistic input rows; nothing computed',
      'exposures basis, segment all: no enrolled client has an exposure; no statistics for it but its enrolment count (identity), 0 in every branch',
      'enrollments: no client is enrolled in any branch of the experiment (a, b); nothing can be analysed, and the sample ratio test is not computed',
    ])
      assert.ok(leavesResultsMissing(message), message);
    for (const message of [
      "m/mean: left out 3 client(s) of branch 'control' with a missing value, as jetstream does (COALESCE(…, 0) in the metric's select_expression counts them as 0; the remove_nulls pre-treatment leaves them out without this warning)",
      "m/mean: branch 'control' has 200000 distinct values; rounded to 4 significant digits",
      'm/linear_model_mean: no client has a value of the pre-period covariate; falling back to unadjusted inferences',
      "null_clicks/sum: every one of the 3 client(s) of branch 'control' has a missing value; its sum is 0 by convention, not from data",
    ])
      assert.ok(!leavesResultsMissing(message), message);
  });
});

describe('enrolledClients', () => {
  const row = (fields: Partial<StatisticResultRow>): StatisticResultRow => ({
    metric: 'identity',
    statistic: 'count',
    parameter: null,
    branch: 'control',
    comparison: null,
    comparison_to_branch: null,
    ci_width: null,
    point: 0,
    lower: null,
    upper: null,
    segment: 'all',
    analysis_basis: 'enrollments',
    window_index: '1',
    ...fields,
  });

  it("adds the branches' enrolment counts of all clients on the enrollments basis, and nothing else", () => {
    const rows = [
      row({ point: 40 }),
      row({ branch: 'treatment', point: 44 }),
      row({ segment: 'us', point: 10 }),
      row({ analysis_basis: 'exposures', point: 30 }),
      row({ metric: 'active_hours', statistic: 'mean', point: 2.5 }),
    ];
    assert.equal(enrolledClients(rows), 84);
  });

  it('is 0 for a window whose table holds only counts of 0 (nobody enrolled)', () => {
    assert.equal(enrolledClients([row({}), row({ branch: 'treatment' })]), 0);
  });
});
