import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  type ConfigCollection,
  defaultConfigRepos,
  loadConfigCollection,
} from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { Experiment } from '../../../src/experiments/experiment.js';
import { testExperiment } from '../../helpers/experiment.js';

const REPO = join('test', 'fixtures', 'config', 'repo');

function experiment(overrides: Partial<Experiment> = {}): Experiment {
  return testExperiment({
    slug: 'good-experiment',
    startDate: '2023-12-01',
    proposedEnrollment: 14,
    ...overrides,
  });
}

describe('resolveAnalysisSpec', () => {
  let collection: ConfigCollection;
  before(async () => {
    collection = await loadConfigCollection({ repos: [REPO] });
  });

  it('refuses a start_date after the end of enrollment unless enrollment_period says how long it enrolls', () => {
    const record = experiment({
      slug: 'moved-start',
      startDate: '2024-01-01',
      enrollmentEndDate: '2024-01-07',
    });
    const moved = '[experiment]\nstart_date = "2024-01-10"\n';
    assert.throws(
      () => resolveAnalysisSpec(collection, record, { configFile: moved }),
      (error: Error) => {
        assert.match(
          error.message,
          /:2: experiment\.start_date: start_date 2024-01-10 is after the experiment's end of enrollment, 2024-01-07 \(its Experimenter record\), so it would have no enrollment period: give the days clients enroll from start_date as \[experiment\] enrollment_period, or a start_date on or before 2024-01-07/,
        );
        return true;
      },
    );
    const { spec } = resolveAnalysisSpec(collection, record, {
      configFile: `${moved}enrollment_period = 3\n`,
    });
    assert.equal(spec.enrollmentPeriod, 3);
    // A start still within enrollment shortens it, as jetstream counts it.
    const within = resolveAnalysisSpec(collection, record, {
      configFile: '[experiment]\nstart_date = "2024-01-05"\n',
    });
    assert.equal(within.spec.enrollmentPeriod, 3);
  });

  it('merges platform defaults with the experiment file, config dates win', () => {
    const { spec, warnings } = resolveAnalysisSpec(collection, experiment());
    assert.deepEqual(warnings, []);
    assert.equal(spec.experiment.startDate, '2024-01-01');
    assert.equal(spec.experiment.endDate, '2024-02-01');
    assert.equal(spec.experiment.status, 'complete');
    assert.equal(spec.enrollmentPeriod, 7);
    assert.deepEqual(
      spec.metrics.week.map((m) => m.name),
      ['active_hours', 'uri_count', 'clicks_per_hour'],
    );
    assert.deepEqual(
      spec.metrics.overall.map((m) => m.name),
      ['active_hours', 'days_of_use'],
    );
    assert.equal(spec.configCommit, null);
  });

  it("lists what the config overrides of Experimenter's record, as jetstream's external config", () => {
    // Experimenter: start 2023-12-01, no end, proposed enrollment 14, reference branch control.
    const { spec } = resolveAnalysisSpec(collection, experiment());
    assert.deepEqual(spec.externalConfig, {
      referenceBranch: null, // the config names the record's own
      startDate: '2024-01-01',
      endDate: '2024-02-01',
      enrollmentPeriod: 7,
    });
    assert.equal(spec.skip, false);
    const agreeing = experiment({ startDate: '2024-01-01', endDate: '2024-02-01', proposedEnrollment: 7 });
    assert.equal(resolveAnalysisSpec(collection, agreeing).spec.externalConfig, null);
    const plain = resolveAnalysisSpec(collection, experiment({ slug: 'other' }), {
      configFile: '[experiment]\n',
    });
    assert.equal(plain.spec.externalConfig, null);
    const reference = resolveAnalysisSpec(collection, experiment({ slug: 'other' }), {
      configFile: '[experiment]\nreference_branch = "treatment"\nskip = true\n',
    });
    assert.deepEqual(reference.spec.externalConfig, {
      referenceBranch: 'treatment',
      startDate: null,
      endDate: null,
      enrollmentPeriod: null,
    });
    assert.equal(reference.spec.skip, true);
  });

  it('takes statistics from the jetstream overlay and renders functions', () => {
    const { spec } = resolveAnalysisSpec(collection, experiment());
    const uri = spec.metrics.week.find((m) => m.name === 'uri_count');
    assert.deepEqual(
      uri?.statistics.map((s) => s.name),
      ['bootstrap_mean', 'deciles'],
    );
    assert.equal(
      uri?.selectExpression,
      'COALESCE(SUM(scalar_parent_browser_engagement_total_uri_count_sum), 0)',
    );
    assert.equal(uri?.provenance.file, join(REPO, 'definitions', 'firefox_desktop.toml'));
    assert.equal(uri?.provenance.line, 9);
    assert.equal(uri?.provenance.key, 'metrics.uri_count.select_expression');
  });

  it('resolves depends_on metrics and lists them first', () => {
    const { spec } = resolveAnalysisSpec(collection, experiment());
    const ratio = spec.metrics.week.find((m) => m.name === 'clicks_per_hour');
    assert.deepEqual(ratio?.dependsOn, ['uri_count', 'active_hours']);
    assert.equal(ratio?.selectExpression, null);
    assert.deepEqual(ratio?.statistics[0], {
      name: 'population_ratio',
      params: { numerator: 'uri_count', denominator: 'active_hours' },
      preTreatments: [],
      // Where its errors point: its key under the metric's statistics table, at that table's line.
      provenance: {
        file: join(REPO, 'jetstream', 'good-experiment.toml'),
        key: 'metrics.clicks_per_hour.statistics.population_ratio',
        line: 13,
      },
    });
  });

  it('resolves segments with their data sources', () => {
    const { spec } = resolveAnalysisSpec(collection, experiment());
    assert.equal(spec.segments[0]?.selectExpression, 'COALESCE(LOGICAL_OR(is_regular_user_v3), FALSE)');
    assert.equal(
      spec.segmentDataSources.clients_last_seen?.fromExpression,
      'mozdata.telemetry.clients_last_seen',
    );
  });

  it('adds outcome metrics to weekly and overall, with parameters and experiment templates', () => {
    const { spec } = resolveAnalysisSpec(collection, experiment({ slug: 'other', outcomes: ['demo'] }));
    assert.ok(spec.metrics.week.some((m) => m.name === 'demo_clicks'));
    assert.ok(spec.metrics.overall.some((m) => m.name === 'demo_clicks'));
    const clicks = spec.metrics.week.find((m) => m.name === 'demo_clicks');
    assert.equal(clicks?.selectExpression, "COUNTIF(event = 'click')");
    assert.equal(
      spec.dataSources.events?.fromExpression,
      "(SELECT * FROM mozdata.telemetry.events WHERE slug = 'other')",
    );
    assert.ok(spec.sources.some((s) => s.endsWith(join('outcomes', 'firefox_desktop', 'demo.toml'))));
  });

  it('renders per-branch parameters as a CASE on the branch', () => {
    const config = `
[experiment]
outcomes = ["demo"]

[parameters.event_name]
value = { control = "a", treatment = "it's" }
distinct_by_branch = true
`;
    const { spec, warnings } = resolveAnalysisSpec(collection, experiment({ slug: 'other' }), {
      configFile: config,
    });
    const clicks = spec.metrics.week.find((m) => m.name === 'demo_clicks');
    // The outcome writes '{{ parameters.event_name }}' in quotes, as metric-hub's spotlight
    // configs do: the CASE is an expression, so the quotes go (inside them it was a string).
    assert.equal(
      clicks?.selectExpression,
      "COUNTIF(event = CASE e.branch WHEN 'control' THEN 'a' WHEN 'treatment' THEN 'it''s' END)",
    );
    const quoted = warnings.filter((w) => w.message.includes("quotes the per-branch parameter 'event_name'"));
    assert.equal(quoted.length, 1, JSON.stringify(warnings));
    assert.match(quoted[0]?.file ?? '', /demo\.toml$/);
    assert.match(quoted[0]?.message ?? '', /write \{\{ parameters\.event_name \}\} without the quotes/);
  });

  it('keeps a per-branch parameter written without quotes, and quotes around a single value', () => {
    const config = `
[experiment]
outcomes = ["demo"]

[parameters.event_name]
value = "tap"

[parameters.by_branch]
value = { control = "a", treatment = "b" }
distinct_by_branch = true

[metrics]
weekly = ["own"]

[metrics.own]
select_expression = "COUNTIF(event = {{ parameters.by_branch }} OR event = \\"{{parameters.event_name}}\\")"
data_source = "events"
statistics = { binomial = {} }
`;
    const { spec, warnings } = resolveAnalysisSpec(collection, experiment({ slug: 'other' }), {
      configFile: config,
    });
    assert.equal(
      spec.metrics.week.find((m) => m.name === 'own')?.selectExpression,
      `COUNTIF(event = CASE e.branch WHEN 'control' THEN 'a' WHEN 'treatment' THEN 'b' END OR event = "tap")`,
    );
    assert.equal(
      spec.metrics.week.find((m) => m.name === 'demo_clicks')?.selectExpression,
      "COUNTIF(event = 'tap')",
    );
    assert.deepEqual(
      warnings.filter((w) => w.message.includes('per-branch')),
      [],
    );
  });

  it('applies wildcard overrides to every matching definition', () => {
    const config = `
[metrics]
weekly = ["uri_count", "days_of_use"]

[metrics."*".statistics]
binomial = {}
`;
    const { spec } = resolveAnalysisSpec(collection, experiment({ slug: 'other' }), { configFile: config });
    // a wildcard matches definitions the layer holds (the experiment's own and the defaults'), not shared ones
    assert.deepEqual(
      spec.metrics.week.map((m) => [m.name, m.statistics.map((s) => s.name)]),
      [
        ['active_hours', ['bootstrap_mean']],
        ['uri_count', ['bootstrap_mean', 'deciles']],
        ['days_of_use', ['deciles']],
      ],
    );
  });

  it('records asOfDate', () => {
    const { spec } = resolveAnalysisSpec(collection, experiment(), { asOfDate: '2024-01-10' });
    assert.equal(spec.asOfDate, '2024-01-10');
  });
});

describe('defaultConfigRepos', () => {
  it('reads CONTRAIL_CONFIG_REPOS', () => {
    assert.deepEqual(defaultConfigRepos({ CONTRAIL_CONFIG_REPOS: 'a, b,' }), ['a', 'b']);
  });
  it('falls back to the demo repo shipped in src/sample', () => {
    const [repo] = defaultConfigRepos({});
    assert.ok(repo?.endsWith(join('src', 'sample', 'metric-hub')));
  });
});
