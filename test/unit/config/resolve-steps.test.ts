import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { ConfigError, formatProblem } from '../../../src/config/problems.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { testExperiment } from '../../helpers/experiment.js';

/**
 * The problems each step of reading a file and resolving an experiment reports on its own,
 * for the messages no fixture file reaches: every one located at its line, worded exactly.
 */
const REPO = join('test', 'fixtures', 'config', 'repo');
const CUSTOM = 'steps.toml (custom config)';
const experiment = testExperiment({ slug: 'steps' });

/** The problems a custom config's resolution fails with, as `file:line: key: message` lines. */
function resolveProblems(collection: ConfigCollection, toml: string): string[] {
  try {
    resolveAnalysisSpec(collection, experiment, { configFile: toml });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems.map(formatProblem);
  }
  assert.fail('expected the config not to resolve');
}

describe('resolution steps', () => {
  let collection: ConfigCollection;
  before(async () => {
    collection = await loadConfigCollection({ repos: [REPO] });
  });

  it('reports a data source or segment data source whose FROM cannot be made, and a segment without SQL', () => {
    const toml = `[experiment]
segments = ["heavy", "light", "half"]

[metrics]
weekly = ["m"]

[metrics.m]
select_expression = "COUNT(*)"
data_source = "nowhere"
statistics = { bootstrap_mean = {} }

[data_sources.nowhere]
client_id_column = "id"

[segments.heavy]
data_source = "heavy_source"
select_expression = "TRUE"

[segments.light]
data_source = "light_source"
select_expression = "TRUE"

[segments.half]
data_source = "heavy_source"

[segments.data_sources.heavy_source]
from_expression = "{dataset}.clients"

[segments.data_sources.light_source]
window_end = 7
`;
    assert.deepEqual(resolveProblems(collection, toml), [
      `${CUSTOM}:12: data_sources.nowhere: data source 'nowhere' has no from_expression`,
      `${CUSTOM}:27: segments.data_sources.heavy_source.from_expression: from_expression of 'heavy_source' uses {dataset} but the data source has no default_dataset`,
      `${CUSTOM}:29: segments.data_sources.light_source: segment data source 'light_source' has no from_expression`,
      `${CUSTOM}:23: segments.half: segment 'half' needs select_expression`,
    ]);
  });

  it('refuses a private experiment, or one with a dataset of its own, rather than publish it with the others', () => {
    const problems = resolveProblems(
      collection,
      '[experiment]\nis_private = true\ndataset_id = "mozanalysis_private"\n',
    );
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      /^steps\.toml \(custom config\):2: experiment\.is_private: is_private = true: contrail writes each experiment's results to the dataset the run names \(--dataset_id\) and exports them, and has no per-experiment dataset; a private experiment, or one with a dataset of its own, is refused rather than published there/,
    );
    assert.match(
      problems[1] ?? '',
      /:3: experiment\.dataset_id: dataset_id = "mozanalysis_private": contrail writes/,
    );
    // Saying it is not private is saying nothing new.
    assert.doesNotThrow(() =>
      resolveAnalysisSpec(collection, experiment, { configFile: '[experiment]\nis_private = false\n' }),
    );
  });

  it('renders a per-branch parameter as a CASE on the branch and warns about branches it does not match', () => {
    const toml = `[metrics]
weekly = ["picked"]

[metrics.picked]
select_expression = "COUNTIF(choice = {{ parameters.choice }})"
data_source = "clients_daily"
statistics = { binomial = {} }

[parameters.choice]
distinct_by_branch = true
value.control = "it's"
value.treatmnt = "b"
`;
    const { spec, warnings } = resolveAnalysisSpec(collection, experiment, { configFile: toml });
    assert.equal(
      spec.metrics.week.find((m) => m.name === 'picked')?.selectExpression,
      "COUNTIF(choice = CASE e.branch WHEN 'control' THEN 'it''s' WHEN 'treatmnt' THEN 'b' END)",
    );
    assert.deepEqual(warnings.map(formatProblem), [
      `${CUSTOM}:11: parameters.choice.value: parameter 'choice' has a value for 'treatmnt', which is not a branch of the experiment (did you mean 'treatment'?); branches: control, treatment`,
      `${CUSTOM}:11: parameters.choice.value: parameter 'choice' has no value for branch 'treatment' (its clients get NULL)`,
    ]);
  });

  it('names the platforms there are when the experiment is for one without definitions', () => {
    assert.throws(
      () => resolveAnalysisSpec(collection, testExperiment({ appName: 'firefox_desktp' })),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.map(formatProblem).join('\n') ===
          "(Experimenter): no definitions for platform 'firefox_desktp' (did you mean 'firefox_desktop'?); platforms: firefox_desktop",
    );
  });

  it('says there are no platforms at all when the config repos define none, not an empty list', async () => {
    // A repo of experiment configs alone (an overlay meant to be given after a metric-hub).
    const overlay = mkdtempSync(join(tmpdir(), 'contrail-overlay-'));
    writeFileSync(join(overlay, 'my-exp.toml'), '[experiment]\n');
    const onlyOverlay = await loadConfigCollection({ repos: [overlay] });
    assert.throws(
      () => resolveAnalysisSpec(onlyOverlay, testExperiment({ slug: 'my-exp' })),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.map(formatProblem).join('\n') ===
          "(Experimenter): no definitions for platform 'firefox_desktop'; platforms: none (the config repos hold no definitions/<platform>.toml)",
    );
  });
});

describe('exposure signal', () => {
  it("keeps the signal's data source in the spec when no metric reads it", async () => {
    const collection = await loadConfigCollection({ repos: [REPO] });
    const toml = `[experiment.exposure_signal]
name = "saw_it"
friendly_name = "Saw it"
description = "Opened the panel"
data_source = "only_for_exposure"
select_expression = "TRUE"
window_start = 0
window_end = "analysis_window_end"

[data_sources.only_for_exposure]
from_expression = "mozdata.telemetry.panel_events"
`;
    const { spec } = resolveAnalysisSpec(collection, experiment, { configFile: toml });
    assert.equal(spec.exposureSignal?.dataSource, 'only_for_exposure');
    assert.ok(spec.dataSources.only_for_exposure, 'the signal reads a data source the spec must define');
  });
});

describe('file checks', () => {
  it("checks an outcome's header and that its default metrics are its own", () => {
    const toml = `description = 3
default_metrics = ["clicks", "click"]

[metrics.clicks]
select_expression = "COUNT(*)"
data_source = "events"
`;
    const file = parseConfigText('outcomes/p/o.toml', toml, 'outcome', 'o', 'p');
    assert.deepEqual(file.errors.map(formatProblem), [
      "outcomes/p/o.toml: friendly_name: an outcome needs 'friendly_name' (a string shown on the results page)",
      'outcomes/p/o.toml:1: description: expected a string, got number 3',
      "outcomes/p/o.toml:2: default_metrics.1: default metric 'click' is not defined in this outcome (did you mean 'clicks'?)",
    ]);
    assert.deepEqual(
      file.outcome?.defaultMetrics.map((r) => r.name),
      ['clicks', 'click'],
    );
  });

  it('keeps period lists out of definitions files', () => {
    const file = parseConfigText('definitions/p.toml', '[metrics]\nweekly = ["a"]\n', 'definition', 'p', 'p');
    assert.deepEqual(file.errors.map(formatProblem), [
      'definitions/p.toml:2: metrics.weekly: period lists belong in experiment or defaults files, not in definitions',
    ]);
    assert.deepEqual(file.metricLists, {});
  });
});
