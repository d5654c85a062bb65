import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { placeholderExperiment } from '../../../src/config/platform.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { testExperiment } from '../../helpers/experiment.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';

/**
 * How the statistics of one metric written in several files combine, as jetstream combines
 * them (metric-config-parser's `MetricDefinition.merge`: each field is the later file's unless
 * that is empty, `statistics` included). Files, earliest first: the platform's shared
 * definitions and their jetstream overlay, the platform defaults, the experiment's own config,
 * then its outcomes under all of those.
 */

const FIXTURE_REPO = join('test', 'fixtures', 'config', 'repo');

/** The small fixture repo with its defaults file replaced, and an outcome added. */
function repoWithDefaults(defaults: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-statmerge-'));
  cpSync(FIXTURE_REPO, dir, { recursive: true });
  writeFileSync(join(dir, 'jetstream', 'defaults', 'firefox_desktop.toml'), defaults);
  writeFileSync(
    join(dir, 'jetstream', 'outcomes', 'firefox_desktop', 'hours.toml'),
    `friendly_name = "Hours"
description = "Active hours"

[metrics.active_hours.statistics.kernel_density_estimate]
[metrics.active_hours.statistics.bootstrap_mean]
num_samples = 500
`,
  );
  return dir;
}

const DEFAULTS = `[metrics]
weekly = ["active_hours", "uri_count"]

[metrics.active_hours.statistics.linear_model_mean]
drop_highest = 0.0
[metrics.active_hours.statistics.linear_model_mean.covariate_adjustment]
period = "preenrollment_week"
[metrics.active_hours.statistics.deciles]

[metrics.uri_count.statistics.binomial]
`;

type Stats = [string, Record<string, unknown>][];

/** Each weekly metric's statistics as name and parameters. */
function weekly(spec: AnalysisSpec): Record<string, Stats> {
  return Object.fromEntries(
    spec.metrics.week.map((m) => [
      m.name,
      m.statistics.map((s): [string, Record<string, unknown>] => [s.name, s.params]),
    ]),
  );
}

describe('statistics of a metric written in several files', () => {
  let collection: ConfigCollection;
  before(async () => {
    collection = await loadConfigCollection({ repos: [repoWithDefaults(DEFAULTS)] });
  });
  const resolve = (config: string, outcomes: string[] = []) =>
    resolveAnalysisSpec(collection, testExperiment({ slug: 'other', outcomes }), { configFile: config }).spec;

  it("are the later file's whole table: the earlier statistics are dropped, not merged", () => {
    const spec = resolve(`[metrics.active_hours.statistics.bootstrap_mean]
drop_highest = 0.01
`);
    assert.deepEqual(weekly(spec), {
      active_hours: [['bootstrap_mean', { drop_highest: 0.01 }]],
      // the defaults' own table replaced the jetstream overlay's (bootstrap_mean and deciles)
      uri_count: [['binomial', {}]],
    });
  });

  it("take the later file's parameters of a statistic both files configure, none of the earlier ones", () => {
    const spec = resolve(`[metrics.active_hours.statistics.linear_model_mean]
drop_highest = 0.05
[metrics.active_hours.statistics.deciles]
`);
    assert.deepEqual(weekly(spec).active_hours, [
      ['linear_model_mean', { drop_highest: 0.05 }],
      ['deciles', {}],
    ]);
  });

  it("of an outcome's metric give way to the config's and the defaults' table", () => {
    const spec = resolve('[experiment]\n', ['hours']);
    assert.deepEqual(weekly(spec).active_hours, [
      ['linear_model_mean', { drop_highest: 0, covariate_adjustment: { period: 'preenrollment_week' } }],
      ['deciles', {}],
    ]);
  });

  it('are kept when a later file writes an empty statistics table for the metric', () => {
    const spec = resolve(`[metrics.active_hours.statistics]
[metrics.uri_count]
statistics = {}
`);
    assert.deepEqual(weekly(spec), {
      active_hours: [
        ['linear_model_mean', { drop_highest: 0, covariate_adjustment: { period: 'preenrollment_week' } }],
        ['deciles', {}],
      ],
      uri_count: [['binomial', {}]],
    });
  });

  it("set by a wildcard replace those of earlier files' metrics, not of the metrics its own file defines", () => {
    const spec = resolve(`[metrics]
weekly = ["own"]

[metrics.own]
select_expression = "COUNT(*)"
data_source = "clients_daily"
statistics = { binomial = {} }

[metrics."*".statistics.deciles]
`);
    assert.deepEqual(weekly(spec), {
      active_hours: [['deciles', {}]],
      uri_count: [['deciles', {}]],
      own: [['binomial', {}]],
    });
  });
});

describe('statistics of a default metric in real metric-hub configs', () => {
  let collection: ConfigCollection;
  before(async () => {
    collection = await loadConfigCollection({ repos: [metricHubFixtures()] });
  });
  const statistics = (slug: string, metric: string): Stats => {
    const file = collection.experimentFiles(slug)[0];
    assert.ok(file, slug);
    const { spec } = resolveAnalysisSpec(collection, placeholderExperiment(file, 'firefox_desktop'));
    const found = spec.metrics.week.find((m) => m.name === metric);
    assert.ok(found, `${slug}: weekly ${metric}`);
    return found.statistics.map((s) => [s.name, s.params]);
  };

  it("are the experiment's own, the defaults' linear_model_mean, deciles and empirical_cdf dropped", () => {
    // jetstream/defaults/firefox_desktop.toml: active_hours linear_model_mean (covariate
    // adjusted) and deciles; days_of_use linear_model_mean, deciles and empirical_cdf.
    assert.deepEqual(
      statistics(
        'bug-1689450-pref-pre-xul-skeleton-ui-startup-improvement-experimen-release-86-90',
        'active_hours',
      ),
      [
        ['bootstrap_mean', { drop_highest: 0.01 }],
        ['deciles', {}],
      ],
    );
    assert.deepEqual(statistics('multi-stage-onboarding-ask-and-show-to-pin', 'days_of_use'), [
      ['bootstrap_mean', {}],
    ]);
  });
});
