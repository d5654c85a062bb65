import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatisticsFailedError } from '../../../src/analysis/errors.js';
import { STATISTICS_PROGRESS_MS, statisticRows } from '../../../src/analysis/statistic-rows.js';
import { type AnalysisBasis, AnalysisSpec } from '../../../src/config/spec.js';
import { type StatisticInputGroup, statisticInputKey } from '../../../src/sql/plan/statistic-input-rows.js';
import type { AnalysisWindow } from '../../../src/sql/windows.js';

const provenance = (key: string) => ({ file: 'jetstream/edge.toml', key, line: 3 });

const metric = {
  name: 'uri_count',
  selectExpression: 'SUM(uri_count)',
  dataSource: 'clients_daily',
  statistics: [
    { name: 'bootstrap_mean', params: { num_samples: 100 }, provenance: provenance('metrics.uri_count') },
    { name: 'linear_model_mean', provenance: provenance('metrics.uri_count') },
  ],
  provenance: provenance('metrics.uri_count'),
};

const spec = AnalysisSpec.parse({
  experiment: {
    slug: 'edge',
    appName: 'firefox_desktop',
    status: 'live',
    branches: [{ slug: 'control' }, { slug: 'treatment' }],
    referenceBranch: 'control',
    startDate: '2026-03-02',
  },
  enrollmentPeriod: 7,
  enrollmentsQueryType: 'normandy',
  segments: [
    { name: 'us', selectExpression: 'TRUE', dataSource: 'cd', provenance: provenance('segments.us') },
  ],
  dataSources: {
    clients_daily: { name: 'clients_daily', fromExpression: 'cd', provenance: provenance('data_sources.cd') },
  },
  metrics: {
    day: [],
    week: [metric],
    days28: [],
    overall: [],
    preenrollment_week: [],
    preenrollment_days28: [],
  },
});

const WINDOW: AnalysisWindow = { period: 'week', windowIndex: 1, startOffset: 0, endOffset: 6 };

function group(segment: string): [string, StatisticInputGroup] {
  return [
    statisticInputKey('uri_count', 'values', null, segment),
    {
      metric: 'uri_count',
      kind: 'values',
      covariatePeriod: null,
      segment,
      windowDays: 7,
      branches: [
        {
          branch: 'control',
          bins: [
            { y: 1, count: 5 },
            { y: 3, count: 5 },
          ],
        },
        {
          branch: 'treatment',
          bins: [
            { y: 2, count: 5 },
            { y: 4, count: 5 },
          ],
        },
      ],
    },
  ];
}

describe('statisticRows', () => {
  it('says how many statistics are done while they compute, and stops at once when its signal aborts', async () => {
    // Bootstraps long enough to outlast a report or two: stopped, they end at once.
    const long = {
      ...spec,
      metrics: {
        ...spec.metrics,
        week: spec.metrics.week.map((m) => ({
          ...m,
          statistics: [{ ...m.statistics[0]!, params: { num_samples: 200_000 } }],
        })),
      },
    };
    const bins = (shift: number) =>
      Array.from({ length: 500 }, (_, i) => ({ y: i + shift, count: 1 + (i % 7) }));
    const wide = (segment: string): [string, StatisticInputGroup] => {
      const [key, g] = group(segment);
      return [
        key,
        {
          ...g,
          branches: [
            { branch: 'control', bins: bins(0) },
            { branch: 'treatment', bins: bins(1) },
          ],
        },
      ];
    };
    const abort = new AbortController();
    const reason = new Error('the analysis was cancelled');
    const said: { elapsedMs: number; detail?: string }[] = [];
    const started = Date.now();
    const computing = statisticRows(
      long,
      WINDOW,
      new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
        ['enrollments', new Map([wide('all'), wide('us')])],
      ]),
      {
        signal: abort.signal,
        onProgress: (info) => {
          said.push(info);
          // The second report, a second later: an activity's cancellation arrives with a heartbeat.
          if (said.length === 2) abort.abort(reason);
        },
      },
    );
    await assert.rejects(computing, (error) => error === reason);
    const took = Date.now() - started;
    assert.deepEqual(
      said.map((s) => s.detail),
      ['0 of 2 statistics', '0 of 2 statistics'],
    );
    assert.equal(said[0]?.elapsedMs, 0);
    assert.ok((said[1]?.elapsedMs ?? 0) >= STATISTICS_PROGRESS_MS - 50, JSON.stringify(said));
    assert.ok(took < STATISTICS_PROGRESS_MS + 2_000, `stopped ${took} ms after it started`);
  });

  it('says once, with the reason, that a basis or segment holds no client, instead of once per statistic', async () => {
    // Enrollments: every client in segment all, none in segment us. Exposures: nobody exposed.
    const groupsByBasis = new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
      ['enrollments', new Map([group('all')])],
      ['exposures', new Map()],
    ]);
    const { rows, warnings } = await statisticRows(spec, WINDOW, groupsByBasis);
    assert.deepEqual(
      warnings.map((w) => w.message),
      [
        'enrollments basis, segment us: no client of the enrollments basis is in segment us; no statistics for it but its enrolment count (identity), 0 in every branch',
        'exposures basis, segment all: no enrolled client has an exposure; no statistics for it but its enrolment count (identity), 0 in every branch',
        'exposures basis, segment us: no client of the exposures basis is in segment us; no statistics for it but its enrolment count (identity), 0 in every branch',
      ],
    );
    assert.deepEqual(warnings[1]?.subjects, [{ analysisBasis: 'exposures', segment: 'all', period: 'week' }]);
    // An empty population is no statistic's error: jetstream's statistics see no branch there and log nothing.
    assert.ok(warnings.every((w) => w.exceptionType === undefined));
    // What there is data for is computed as before.
    assert.ok(rows.some((r) => r.metric === 'uri_count' && r.statistic === 'mean' && r.point !== null));
    assert.ok(rows.some((r) => r.metric === 'identity' && r.analysis_basis === 'enrollments'));
    const elsewhere = rows.filter((r) => r.analysis_basis !== 'enrollments' || r.segment !== 'all');
    assert.ok(elsewhere.every((r) => r.metric === 'identity'));
  });

  it('publishes the enrolment count of a basis or segment that holds no client, 0 in every branch, as jetstream does', async () => {
    const groupsByBasis = new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
      ['enrollments', new Map([group('all')])],
      ['exposures', new Map()],
    ]);
    const { rows } = await statisticRows(spec, WINDOW, groupsByBasis);
    const empty = rows
      .filter((r) => r.analysis_basis !== 'enrollments' || r.segment !== 'all')
      .map((r) => [
        r.analysis_basis,
        r.segment,
        r.metric,
        r.statistic,
        r.branch,
        r.point,
        r.comparison,
        r.lower,
        r.upper,
        r.window_index,
      ]);
    assert.deepEqual(empty, [
      ['enrollments', 'us', 'identity', 'count', 'control', 0, null, null, null, '1'],
      ['enrollments', 'us', 'identity', 'count', 'treatment', 0, null, null, null, '1'],
      ['exposures', 'all', 'identity', 'count', 'control', 0, null, null, null, '1'],
      ['exposures', 'all', 'identity', 'count', 'treatment', 0, null, null, null, '1'],
      ['exposures', 'us', 'identity', 'count', 'control', 0, null, null, null, '1'],
      ['exposures', 'us', 'identity', 'count', 'treatment', 0, null, null, null, '1'],
    ]);
  });

  it('a warning met on several bases names each basis with its own segments', async () => {
    // Every client has the same value, except exposed clients in segment us: no variation on
    // enrollments (all, us) and exposures (all), but not on exposures in us.
    const constant = (segment: string): [string, StatisticInputGroup] => {
      const [key, g] = group(segment);
      return [key, { ...g, branches: g.branches.map((b) => ({ ...b, bins: [{ y: 1, count: 10 }] })) }];
    };
    const groupsByBasis = new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
      ['enrollments', new Map([constant('all'), constant('us')])],
      ['exposures', new Map([constant('all'), group('us')])],
    ]);
    const { warnings } = await statisticRows(spec, WINDOW, groupsByBasis);
    const noVariation = warnings.filter((w) =>
      w.message.includes('linear_model_mean: metric has no variation'),
    );
    assert.equal(noVariation.length, 1);
    assert.match(
      noVariation[0]?.message ?? '',
      /\(enrollments basis, segments all, us; exposures basis, segment all\)$/,
    );
    assert.deepEqual(
      noVariation[0]?.subjects.map((s) => [s.analysisBasis, s.segment, s.metric, s.key]),
      [
        ['enrollments', 'all, us', 'uri_count', 'metrics.uri_count'],
        ['exposures', 'all', 'uri_count', 'metrics.uri_count'],
      ],
    );
  });
});

describe('statisticRows counts', () => {
  it("counts every enrolled client as identity, and only the clients with a value as the metric's count", async () => {
    const counted = AnalysisSpec.parse({
      ...spec,
      metrics: {
        ...spec.metrics,
        week: [{ ...metric, statistics: [{ name: 'count', provenance: provenance('metrics.uri_count') }] }],
      },
    });
    const [key, g] = group('all');
    const control = g.branches[0];
    assert.ok(control);
    control.bins.push({ y: null, count: 4 });
    const groupsByBasis = new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
      ['enrollments', new Map([[key, g]])],
    ]);
    const { rows } = await statisticRows(counted, WINDOW, groupsByBasis);
    const point = (m: string, branch: string) =>
      rows.find(
        (r) => r.metric === m && r.statistic === 'count' && r.branch === branch && r.segment === 'all',
      )?.point;
    assert.equal(point('identity', 'control'), 14);
    assert.equal(point('uri_count', 'control'), 10);
    assert.equal(point('identity', 'treatment'), 10);
    assert.equal(point('uri_count', 'treatment'), 10);
  });

  it('counts a branch of the experiment that no client of a segment is in as 0, as jetstream does, not by leaving it out', async () => {
    // Clients in segment us are all in control: treatment has no input row there.
    const [key, g] = group('us');
    g.branches = g.branches.filter((b) => b.branch === 'control');
    const groupsByBasis = new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
      ['enrollments', new Map([group('all'), [key, g]])],
    ]);
    const { rows } = await statisticRows(spec, WINDOW, groupsByBasis);
    const identity = rows
      .filter((r) => r.metric === 'identity' && r.segment === 'us')
      .map((r) => [r.branch, r.statistic, r.point, r.comparison]);
    assert.deepEqual(identity, [
      ['control', 'count', 10, null],
      ['treatment', 'count', 0, null],
    ]);
  });

  it('what jetstream logs as a StatisticComputationException is one, not a warning: an all-zero reference branch, a binomial of values other than 0 and 1', async () => {
    const zeroControl = (segment: string): [string, StatisticInputGroup] => {
      const [key, g] = group(segment);
      return [
        key,
        {
          ...g,
          branches: g.branches.map((b) =>
            b.branch === 'control' ? { ...b, bins: [{ y: 0, count: 10 }] } : b,
          ),
        },
      ];
    };
    const { warnings } = await statisticRows(
      spec,
      WINDOW,
      new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
        ['enrollments', new Map([zeroControl('all')])],
      ]),
    );
    // The other linear-model notes (no variation in control, control's zero mean over treatment's) stay warnings.
    const lm = warnings.filter(
      (w) => w.message.startsWith('uri_count/linear_model_mean') && w.exceptionType !== undefined,
    );
    assert.ok(warnings.some((w) => w.message.startsWith('uri_count/linear_model_mean') && !w.exceptionType));
    assert.deepEqual(
      lm.map((w) => [w.exceptionType, w.message]),
      [
        [
          'StatisticComputationException',
          "uri_count/linear_model_mean: every one of the 10 client(s) of reference branch 'control' has the value 0, so the relative uplift over it is undefined; no relative uplift with it as reference (enrollments basis, segment all)",
        ],
      ],
    );
    // bootstrap_mean's undefined relative uplift stays a warning: jetstream writes it as null.
    const bootstrap = warnings.filter((w) => w.message.startsWith('uri_count/bootstrap_mean'));
    assert.ok(bootstrap.length > 0);
    assert.ok(bootstrap.every((w) => w.exceptionType === undefined));

    const binomial = AnalysisSpec.parse({
      ...spec,
      metrics: {
        ...spec.metrics,
        week: [
          { ...metric, statistics: [{ name: 'binomial', provenance: provenance('metrics.uri_count') }] },
        ],
      },
    });
    const counted = await statisticRows(
      binomial,
      WINDOW,
      new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([['enrollments', new Map([group('all')])]]),
    );
    assert.deepEqual(
      counted.warnings.filter((w) => w.message.includes('binomial')).map((w) => [w.exceptionType, w.message]),
      [
        [
          'StatisticComputationException',
          "uri_count/binomial: values must be 0 or 1 (or booleans), but branch 'control' has 3; no results (enrollments basis, segment all)",
        ],
      ],
    );
  });
});

describe('statisticRows when a statistic throws', () => {
  // Two metrics; the second's input is one no statistic can take (a branch listed twice), so its
  // statistic throws on its thread.
  const broken = {
    ...metric,
    name: 'ad_clicks',
    selectExpression: 'SUM(ad_clicks)',
    statistics: [
      { name: 'bootstrap_mean', params: { num_samples: 100 }, provenance: provenance('metrics.ad_clicks') },
    ],
    provenance: { file: 'jetstream/edge.toml', key: 'metrics.ad_clicks', line: 9 },
  };
  const twoMetrics = AnalysisSpec.parse({ ...spec, metrics: { ...spec.metrics, week: [metric, broken] } });
  const adClicks = (
    segment: string,
    branches: StatisticInputGroup['branches'],
  ): [string, StatisticInputGroup] => {
    const [, g] = group(segment);
    return [statisticInputKey('ad_clicks', 'values', null, segment), { ...g, metric: 'ad_clicks', branches }];
  };

  it("logs that statistic's StatisticComputationException, naming it and its config line, and keeps every other metric's rows", async () => {
    const [, g] = group('all');
    const twice = [...g.branches, { branch: 'control', bins: [{ y: 7, count: 2 }] }];
    const { rows, warnings } = await statisticRows(
      twoMetrics,
      WINDOW,
      new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
        ['enrollments', new Map([group('all'), adClicks('all', twice)])],
      ]),
    );
    // uri_count's statistics and the enrolment counts are all there; ad_clicks has none.
    const computed = new Set(rows.map((r) => `${r.metric}/${r.statistic}`));
    assert.deepEqual([...computed].sort(), ['identity/count', 'uri_count/mean', 'uri_count/mean_lm']);
    assert.ok(rows.some((r) => r.metric === 'uri_count' && r.statistic === 'mean' && r.point !== null));
    const errors = warnings.filter((w) => w.exceptionType !== undefined);
    assert.deepEqual(
      errors.map((w) => [w.exceptionType, w.message]),
      [
        [
          'StatisticComputationException',
          "ad_clicks/bootstrap_mean: error while computing the statistic: StatisticConfigError: input for metric 'ad_clicks' lists a branch twice: control, treatment, control; no results (enrollments basis, segment all)",
        ],
      ],
    );
    assert.deepEqual(errors[0]?.subjects, [
      {
        metric: 'ad_clicks',
        statistic: 'bootstrap_mean',
        period: 'week',
        file: 'jetstream/edge.toml',
        key: 'metrics.ad_clicks',
        line: 3,
        analysisBasis: 'enrollments',
        segment: 'all',
      },
    ]);
  });

  it('still fails the window when the statistics threads cannot run a statistic, which is not its fault', async () => {
    // A value no thread can be sent (as a thread that crashed, the pool fails it): nothing the
    // statistic did, so no result of the window is published without it.
    const unsendable = [{ branch: 'control', bins: [{ y: Symbol('y') as unknown as number, count: 1 }] }];
    await assert.rejects(
      statisticRows(
        twoMetrics,
        WINDOW,
        new Map<AnalysisBasis, Map<string, StatisticInputGroup>>([
          ['enrollments', new Map([group('all'), adClicks('all', unsendable)])],
        ]),
      ),
      (error) => {
        assert.ok(error instanceof StatisticsFailedError, String(error));
        assert.match(
          error.message,
          /^1 statistic failed:\n {2}ad_clicks\/bootstrap_mean \(enrollments basis, segment all\)/,
        );
        assert.equal(error.permanent, false);
        return true;
      },
    );
  });
});
