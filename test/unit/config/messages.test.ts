import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { z } from 'zod';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { friendlyIssue, requirement } from '../../../src/config/describe.js';
import { ConfigError } from '../../../src/config/problems.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { testExperiment } from '../../helpers/experiment.js';

/** Schema and system messages in the words of the rest of contrail's, never zod's or the OS's own. */
const REPO = join('test', 'fixtures', 'config', 'repo');

/** The first issue of parsing `value` with `schema`. */
function issueOf(schema: z.ZodType, value: unknown): z.core.$ZodIssue {
  const parsed = schema.safeParse(value, { reportInput: true });
  assert.ok(!parsed.success);
  const [issue] = parsed.error.issues;
  assert.ok(issue);
  return issue;
}

describe('a value out of its range', () => {
  it("says the number's whole rule, whichever part of it the value breaks", () => {
    const options = z.object({ sampleSize: z.number().int().min(1).max(100).nullable().default(null) });
    for (const value of [0, 0.5, 120])
      assert.equal(
        friendlyIssue(issueOf(options, { sampleSize: value }), options),
        `must be a whole number from 1 to 100, got number ${value}`,
      );
    const rules: [z.ZodType, unknown, string][] = [
      [z.number().int().min(1), 0.5, 'must be a whole number of at least 1'],
      [z.number().int().nonnegative(), -3, 'must be a whole number of at least 0'],
      [z.number().positive(), 0, 'must be a number above 0'],
      [z.number().gt(0).lte(1), 2, 'must be a number above 0 and at most 1'],
      [z.number().int().max(1_000_000), 2_000_000, 'must be a whole number of at most 1,000,000'],
    ];
    for (const [schema, value, rule] of rules)
      assert.equal(requirement(issueOf(schema, value), schema), rule);
  });

  it("without the schema, says what the issue tells; a schema's own words are kept", () => {
    assert.equal(requirement(issueOf(z.number().int().min(1), 0.5)), 'must be a whole number');
    assert.equal(requirement(issueOf(z.number().min(1), 0)), 'must be at least 1');
    assert.equal(requirement(issueOf(z.number().lt(5), 5)), 'must be less than 5');
    assert.equal(requirement(issueOf(z.array(z.string()).min(1), [])), 'must not be empty');
    assert.equal(requirement(issueOf(z.number().max(0.5, 'must be in [0, 0.5]'), 1)), 'must be in [0, 0.5]');
    assert.equal(requirement(issueOf(z.string(), 1)), null);
  });
});

describe('config messages', () => {
  let collection: ConfigCollection;
  before(async () => {
    collection = await loadConfigCollection({ repos: [REPO] });
  });

  const problems = (configFile: string): string[] => {
    try {
      resolveAnalysisSpec(collection, testExperiment({ slug: 'messages' }), { configFile });
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems.map((p) => `${p.keyPath}: ${p.message}`);
    }
  };

  it('a number that is not whole, or out of range, in a config or a statistic', () => {
    assert.deepEqual(
      problems(`[experiment]
enrollment_period = 7.5

[metrics]
weekly = ["active_hours"]

[metrics.active_hours.statistics.bootstrap_mean]
num_samples = 0.5

[metrics.active_hours.statistics.kernel_density_estimate]
grid_size = 200000
`),
      [
        'experiment.enrollment_period: must be a whole number of at least 0, got number 7.5',
        "metrics.active_hours.statistics.bootstrap_mean.num_samples: invalid parameter 'num_samples' for statistic 'bootstrap_mean': must be a whole number, got number 0.5",
        "metrics.active_hours.statistics.kernel_density_estimate.grid_size: invalid parameter 'grid_size' for statistic 'kernel_density_estimate': must be a whole number from 2 to 100,000, got number 200000",
      ],
    );
  });

  it('a metric table that only adds statistics to a metric defined nowhere says so, and names the outcome that defines it', () => {
    assert.deepEqual(
      problems(`[metrics]
weekly = ["demo_clicks", "nowhere_clicks"]

[metrics.demo_clicks.statistics.bootstrap_mean]
[metrics.nowhere_clicks.statistics.bootstrap_mean]
`),
      [
        `metrics.demo_clicks: metric 'demo_clicks' is not defined in the experiment's config, its outcomes or definitions/firefox_desktop.toml, and [metrics.demo_clicks] here has no select_expression and data_source (and no depends_on) to define it; the outcome 'demo' of firefox_desktop defines it, and this experiment does not use it: add outcomes = ["demo"] to [experiment], or check the config with the experiment's Experimenter record, which names its outcomes (--experiments_file) (used at messages.toml (custom config):2: metrics.weekly.0)`,
        `metrics.nowhere_clicks: metric 'nowhere_clicks' is not defined in the experiment's config, its outcomes or definitions/firefox_desktop.toml, and [metrics.nowhere_clicks] here has no select_expression and data_source (and no depends_on) to define it (used at messages.toml (custom config):2: metrics.weekly.1)`,
      ],
    );
  });

  it('a custom config that cannot be read says why in words', () => {
    assert.deepEqual(problems(join(REPO, 'no-such-experiment.toml')), [
      ': cannot read the custom config: no such file',
    ]);
  });
});
