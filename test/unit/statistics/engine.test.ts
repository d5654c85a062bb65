import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeStatistic, STATISTIC_NAMES } from '../../../src/statistics/index.js';
import { StatisticResultRow } from '../../../src/statistics/results.js';
import type { StatisticSpec } from '../../../src/statistics/spec.js';
import { binsInput, CTX } from './helpers.js';

const paramsFor = (name: string): StatisticSpec['params'] =>
  name === 'population_ratio'
    ? { numerator: 'a', denominator: 'b', num_samples: 500 }
    : ['bootstrap_mean', 'deciles'].includes(name)
      ? { num_samples: 500 }
      : {};

const degenerate = {
  'one branch empty': binsInput({
    control: [
      { y: 1, x: 2, count: 5 },
      { y: 0, x: 1, count: 5 },
    ],
    treatment: [],
  }),
  'zero variance': binsInput({
    control: [{ y: 0, x: 0, count: 10 }],
    treatment: [{ y: 0, x: 0, count: 10 }],
  }),
  'non-finite values': binsInput({
    control: [
      { y: Number.NaN, x: 1, count: 3 },
      { y: Number.POSITIVE_INFINITY, x: 0, count: 2 },
      { y: 1, x: 1, count: 1 },
    ],
    treatment: [
      { y: null, x: null, count: 3 },
      { y: 2, x: Number.NEGATIVE_INFINITY, count: 4 },
    ],
  }),
};

/** Statistics that give every point an interval, so a missing bound needs a reason. */
const WITH_INTERVALS = new Set([
  'bootstrap_mean',
  'binomial',
  'deciles',
  'linear_model_mean',
  'per_client_dau_impact',
  'population_ratio',
]);

describe('computeStatistic', () => {
  for (const [label, input] of Object.entries(degenerate)) {
    for (const name of STATISTIC_NAMES) {
      it(`${name}: ${label} gives finite-or-null rows, and a warning for every null`, () => {
        const out = computeStatistic({ name, params: paramsFor(name), preTreatments: [] }, input, CTX);
        const rows = out.rows;
        // What jetstream logs as an exception says why as well as a warning does.
        const warnings = [...out.warnings, ...(out.computationErrors ?? [])];
        for (const r of rows) StatisticResultRow.parse(r);
        assert.ok(rows.length > 0 || warnings.length > 0, 'no rows at all, and no warning saying why');
        const unexplained = rows.filter(
          (r) => r.point === null || (WITH_INTERVALS.has(name) && (r.lower === null || r.upper === null)),
        );
        if (unexplained.length > 0) {
          assert.ok(warnings.length > 0, `${unexplained.length} null results and no warning saying why`);
        }
        if (label === 'one branch empty') {
          // The branch with data keeps its own results; the empty one's are null and named.
          const own = (branch: string) => rows.filter((r) => r.branch === branch && r.comparison === null);
          if (name !== 'per_client_dau_impact') {
            assert.ok(own('control').length > 0, 'control has rows');
            assert.ok(
              own('control').every((r) => r.point !== null),
              'control keeps its points',
            );
          }
          if (!['count', 'sum'].includes(name)) {
            assert.ok(
              own('treatment').every((r) => r.point === null),
              'the empty branch has no points',
            );
            assert.ok(
              warnings.some((w) => w.includes("'treatment'")),
              'a warning names the empty branch',
            );
          }
        }
      });
    }
  }

  it('is reproducible bit for bit and depends on the seed', () => {
    const input = binsInput({
      control: [
        { y: 1, count: 5 },
        { y: 3, count: 2 },
      ],
      treatment: [
        { y: 2, count: 4 },
        { y: 5, count: 1 },
      ],
    });
    const s = { name: 'bootstrap_mean', params: {}, preTreatments: [] };
    const a = computeStatistic(s, input, CTX);
    assert.deepEqual(computeStatistic(s, input, CTX), a);
    assert.notDeepEqual(computeStatistic(s, input, { ...CTX, seed: 8 }).rows, a.rows);
    assert.equal(a.rows.length, 2 + 4);
    assert.deepEqual(
      a.rows.map((r) => r.statistic),
      Array(6).fill('mean'),
    );
  });

  it('names the statistic, parameter or seed that is wrong', () => {
    const input = { metric: 'm', windowDays: 1, branches: [] };
    assert.throws(
      () => computeStatistic({ name: 'bootstrap', params: {}, preTreatments: [] }, input, CTX),
      /unknown statistic 'bootstrap'; valid statistics: bootstrap_mean/,
    );
    assert.throws(
      () =>
        computeStatistic({ name: 'deciles', params: { quantiles: [0.5] }, preTreatments: [] }, input, CTX),
      /unknown parameter 'quantiles' for statistic 'deciles'; valid parameters: confidence_interval, num_samples/,
    );
    assert.throws(
      () =>
        computeStatistic(
          {
            name: 'linear_model_mean',
            params: { covariate_adjustment: { period: 'week' } },
            preTreatments: [],
          },
          input,
          CTX,
        ),
      /covariate_adjustment.period/,
    );
    assert.throws(
      () => computeStatistic({ name: 'count', params: {}, preTreatments: [] }, input, { ...CTX, seed: -2 }),
      /seed/,
    );
  });

  it('deciles give parameters 0.1…0.9 with comparisons', () => {
    const input = binsInput({
      control: Array.from({ length: 50 }, (_, i) => ({ y: i, count: 2 })),
      treatment: Array.from({ length: 50 }, (_, i) => ({ y: i + 10, count: 2 })),
    });
    const { rows } = computeStatistic(
      { name: 'deciles', params: { num_samples: 2000 }, preTreatments: [] },
      input,
      CTX,
    );
    const params = [...new Set(rows.map((r) => r.parameter))];
    assert.deepEqual(params, ['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9']);
    const median = rows.find((r) => r.branch === 'control' && r.parameter === '0.5' && r.comparison === null);
    // numpy's median of 0,0,1,1,…,49,49 is 24.5; the bootstrap mean is close to it.
    assert.ok(
      median &&
        Math.abs((median.point as number) - 24.5) < 1.5 &&
        (median.lower as number) < 24.5 &&
        (median.upper as number) > 24.5,
    );
    const diff = rows.find(
      (r) =>
        r.branch === 'treatment' &&
        r.parameter === '0.5' &&
        r.comparison === 'difference' &&
        r.comparison_to_branch === 'control',
    );
    assert.ok(diff && Math.abs((diff.point as number) - 10) < 2);
  });
  it('says once per branch that no client has a value, not "left out" and "no data" twice over', () => {
    const input = binsInput({ control: [{ y: null, count: 200 }], treatment: [{ y: 1, count: 3 }] });
    for (const name of ['bootstrap_mean', 'deciles', 'binomial', 'empirical_cdf']) {
      const { warnings } = computeStatistic({ name, params: paramsFor(name), preTreatments: [] }, input, CTX);
      const aboutControl = warnings.filter((w) => w.includes("branch 'control'"));
      assert.deepEqual(
        aboutControl,
        [
          `m/${name}: every one of the 200 client(s) of branch 'control' has a missing value; its results are null (COALESCE(…, 0) in the metric's select_expression counts them as 0; the remove_nulls pre-treatment leaves them out without this warning)`,
        ],
        name,
      );
    }
  });

  it('bootstrap_mean of branches with one and the same value compares them as exactly equal', () => {
    const input = binsInput({
      control: [{ y: 5, count: 200 }],
      treatment: [{ y: 5, count: 300 }],
    });
    const { rows } = computeStatistic(
      { name: 'bootstrap_mean', params: { num_samples: 1000 }, preTreatments: [] },
      input,
      CTX,
    );
    assert.deepEqual(
      rows.map((r) => [r.branch, r.comparison, r.point, r.lower, r.upper]),
      [
        ['control', null, 5, null, null],
        ['treatment', null, 5, null, null],
        ['treatment', 'difference', 0, null, null],
        ['treatment', 'relative_uplift', 0, null, null],
        ['control', 'difference', 0, null, null],
        ['control', 'relative_uplift', 0, null, null],
      ],
    );
  });

  it('gives no interval to a bootstrap comparison with a single-client branch, and says why', () => {
    // One treatment client: its resamples are always that client, so the interval of
    // treatment − control was control's spread alone, and read as a significant +108 %.
    const input = binsInput({
      control: [
        { y: -1, count: 1 },
        { y: -2, count: 1 },
        { y: -3, count: 1 },
      ],
      treatment: [{ y: -4, count: 1 }],
    });
    for (const [name, statistic] of [
      ['bootstrap_mean', 'mean'],
      ['deciles', 'deciles'],
    ] as const) {
      const { rows, warnings } = computeStatistic(
        { name, params: { num_samples: 500 }, preTreatments: [] },
        input,
        CTX,
      );
      const comparisons = rows.filter((r) => r.comparison !== null);
      assert.ok(comparisons.length > 0);
      // Rows carry the output's name; the warning below, the statistic's name as configured.
      assert.ok(
        rows.every((r) => r.statistic === statistic),
        `${name} rows are '${statistic}'`,
      );
      for (const r of comparisons) {
        assert.ok(r.point !== null, `${name}: the point stays`);
        assert.deepEqual([r.lower, r.upper], [null, null], `${name} ${r.comparison} ${r.parameter}`);
      }
      // Control's own interval is its own business.
      const own = rows.find((r) => r.branch === 'control' && r.comparison === null);
      assert.ok(own?.lower !== null && own?.upper !== null, `${name}: control keeps its interval`);
      assert.ok(
        warnings.includes(
          `m/${name}: branch 'treatment' has a single client, whose resamples are always that client, so the intervals of its comparisons would ignore its spread; they are null`,
        ),
        warnings.join('\n'),
      );
    }
  });

  it('tags every warning with the statistic as configured, and says in how many samples a ratio is undefined', () => {
    const input = binsInput({
      control: [
        { y: 1, x: 0, count: 5 },
        { y: 2, x: 0, count: 5 },
      ],
      treatment: [
        { y: 1, x: 2, count: 5 },
        { y: 2, x: 1, count: 5 },
      ],
    });
    const { warnings } = computeStatistic(
      { name: 'population_ratio', params: paramsFor('population_ratio'), preTreatments: [] },
      input,
      CTX,
    );
    assert.deepEqual(warnings, [
      "m/population_ratio: the denominator of branch 'control' sums to zero in every sample (all 500); its results are null",
    ]);
    const mean = computeStatistic(
      { name: 'bootstrap_mean', params: { num_samples: 200 }, preTreatments: [] },
      binsInput({ control: [{ y: 0, count: 3 }], treatment: [{ y: 1, count: 3 }] }),
      CTX,
    );
    assert.ok(mean.warnings.length > 0);
    for (const w of mean.warnings) assert.match(w, /^m\/bootstrap_mean: /);
  });

  it('reports undefined relative uplifts once per statistic, naming the pairs and parameters', () => {
    // The control's lower deciles are zero, so uplifts over control are undefined there.
    const input = binsInput({
      control: [...Array.from({ length: 30 }, (_, i) => ({ y: i + 1, count: 1 })), { y: 0, count: 30 }],
      treatment: Array.from({ length: 60 }, (_, i) => ({ y: i + 1, count: 1 })),
    });
    const { rows, warnings } = computeStatistic(
      { name: 'deciles', params: { num_samples: 500 }, preTreatments: [] },
      input,
      CTX,
    );
    const undefinedUplifts = rows.filter((r) => r.comparison === 'relative_uplift' && r.point === null);
    assert.ok(undefinedUplifts.length > 1, 'several deciles have undefined uplifts');
    const upliftWarnings = warnings.filter((w) => /relative uplift/.test(w));
    assert.equal(upliftWarnings.length, 1, upliftWarnings.join('\n'));
    assert.match(
      upliftWarnings[0] ?? '',
      /^m\/deciles: relative uplift is undefined at parameters 0\.1, .* for 'treatment' over 'control' \(the reference value is zero in some samples\); written as null$/,
    );
  });
});

describe('undefined relative uplifts, said for what they are', () => {
  it('a reference that is zero in every sample is said to be, not "in some samples"', () => {
    const { warnings } = computeStatistic(
      { name: 'bootstrap_mean', params: { num_samples: 200 }, preTreatments: [] },
      binsInput({
        control: [{ y: 0, count: 40 }],
        treatment: [
          { y: 1, count: 20 },
          { y: 2, count: 20 },
        ],
      }),
      CTX,
    );
    assert.ok(
      warnings.includes(
        "m/bootstrap_mean: relative uplift is undefined for 'treatment' over 'control' (the reference value is zero in every sample); written as null",
      ),
      warnings.join('\n'),
    );
  });
});

describe('input order', () => {
  it('shuffled branches and bins give bit-identical rows for the same seed, for every statistic', () => {
    // Fractional values and joint (y, x) bins: summation order would show in the last bits.
    const bins = Array.from({ length: 60 }, (_, i) => ({
      y: ((i * 7) % 23) * 0.37,
      x: (i % 5) * 1.3 + 0.1,
      count: 1 + (i % 4),
    }));
    const input = {
      metric: 'm',
      windowDays: 7,
      branches: [
        { branch: 'control', bins },
        { branch: 'treatment', bins: bins.map((b) => ({ ...b, y: b.y + 1 })) },
      ],
    };
    const shuffled = {
      ...input,
      branches: [...input.branches].reverse().map((b) => ({ ...b, bins: [...b.bins].reverse() })),
    };
    const binary = (i: typeof input) => ({
      ...i,
      branches: i.branches.map((b) => ({
        ...b,
        bins: b.bins.map((x) => ({ ...x, y: Math.round(x.y) % 2 })),
      })),
    });
    const key = (r: StatisticResultRow) => JSON.stringify(r);
    for (const name of STATISTIC_NAMES) {
      const spec: StatisticSpec = { name, params: paramsFor(name), preTreatments: [] };
      const [a, b] = name === 'binomial' ? [binary(input), binary(shuffled)] : [input, shuffled];
      assert.deepEqual(
        computeStatistic(spec, a, CTX).rows.map(key).sort(),
        computeStatistic(spec, b, CTX).rows.map(key).sort(),
        name,
      );
    }
  });
});
