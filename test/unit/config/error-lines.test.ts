import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { ConfigError, type ConfigProblem } from '../../../src/config/problems.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { testExperiment } from '../../helpers/experiment.js';

/** Errors point at the line to edit, and at the line that pulled the definition in. */
const REPO = join('test', 'fixtures', 'config', 'repo');
let collection: ConfigCollection;

before(async () => {
  collection = await loadConfigCollection({ repos: [REPO] });
});

function problems(toml: string): ConfigProblem[] {
  try {
    resolveAnalysisSpec(collection, testExperiment({ slug: 'lines' }), { configFile: toml });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('error lines', () => {
  it('a metric with only a statistics table is reported at that table, not at [metrics]', () => {
    const found = problems(`[metrics]
weekly = ["no_sql"]

[metrics.no_sql.statistics.bootstrap_mean]
`);
    assert.equal(found.length, 1);
    assert.equal(found[0]?.line, 4);
    assert.equal(found[0]?.keyPath, 'metrics.no_sql');
    assert.match(found[0]?.message ?? '', /has no select_expression .*\(used at .*:2: metrics\.weekly\.0\)/);
  });

  it('an error in a metric reached through depends_on names its definition and the depends_on line', () => {
    const found = problems(`[metrics]
weekly = ["ratio"]

[metrics.ratio]
depends_on = ["broken"]
statistics = { bootstrap_mean = {} }

[metrics.broken]
select_expression = "{{ agg_summ(x) }}"
data_source = "clients_daily"
statistics = { bootstrap_mean = {} }
`);
    assert.equal(found.length, 1);
    assert.equal(found[0]?.line, 9, 'the definition');
    assert.equal(found[0]?.keyPath, 'metrics.broken.select_expression');
    assert.match(
      found[0]?.message ?? '',
      /unknown function 'agg_summ'.*\(used at .*:5: metrics\.ratio\.depends_on\)/,
    );
  });

  it('a metric name that cannot be a SQL column is reported when the config is read', () => {
    const found = problems(
      '[metrics]\nweekly = ["my-metric"]\n\n[metrics.my-metric]\nselect_expression = "1"\ndata_source = "clients_daily"\nstatistics = { bootstrap_mean = {} }\n',
    );
    assert.ok(
      found.some((p) => p.line === 4 && /metric name 'my-metric' is not usable in SQL/.test(p.message)),
      JSON.stringify(found),
    );
  });

  it("each statistic of a metric points at its own table, not at the metric's first statistic", () => {
    // The line a statistic's warnings and errors name in a preview's report and the logs table.
    const { spec } = resolveAnalysisSpec(collection, testExperiment({ slug: 'lines' }), {
      configFile: `[metrics]
weekly = ["searches"]

[metrics.searches]
select_expression = "SUM(1)"
data_source = "clients_daily"

[metrics.searches.statistics.binomial]

[metrics.searches.statistics.bootstrap_mean]
num_samples = 100
`,
    });
    const searches = spec.metrics.week.find((m) => m.name === 'searches');
    assert.deepEqual(
      searches?.statistics.map((s) => [s.provenance?.key, s.provenance?.line]),
      [
        ['metrics.searches.statistics.binomial', 8],
        ['metrics.searches.statistics.bootstrap_mean', 10],
      ],
    );
  });

  it('a ratio statistic naming an undefined metric is reported at that statistic', () => {
    const found = problems(`[metrics]
weekly = ["searches"]

[metrics.searches]
select_expression = "SUM(1)"
data_source = "clients_daily"

[metrics.searches.statistics.bootstrap_mean]

[metrics.searches.statistics.population_ratio]
numerator = "searches"
denominator = "serches"
`);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0]?.line, 10);
    assert.match(found[0]?.message ?? '', /denominator 'serches' is not a defined metric/);
  });
});
