import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { parseConfigFile } from '../../../src/config/parse.js';
import { choosePlatform, closestPlatform, inferPlatform } from '../../../src/config/platform.js';
import { validateConfigFile } from '../../../src/config/validate.js';
import { testExperiment } from '../../helpers/experiment.js';

/**
 * Which platform an experiment config is checked for, and which keys strict mode refuses, on a
 * small repo where two platforms define the same metric (as real metric-hub platforms do).
 */
const DEFINITIONS = `
[metrics.uri_count]
select_expression = "SUM(uri_count)"
data_source = "clients_daily"
statistics = { bootstrap_mean = {} }

[data_sources.clients_daily]
from_expression = "mozdata.telemetry.clients_daily"

[segments.data_sources.clients_last_seen]
from_expression = "mozdata.telemetry.clients_last_seen"
`;

let dir: string;
let collection: ConfigCollection;

function config(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'contrail-platform-'));
  mkdirSync(join(dir, 'repo', 'definitions'), { recursive: true });
  for (const platform of ['firefox_desktop', 'fenix'])
    writeFileSync(join(dir, 'repo', 'definitions', `${platform}.toml`), DEFINITIONS);
  writeFileSync(join(dir, 'repo', 'definitions', 'functions.toml'), '[functions]\n');
  collection = await loadConfigCollection({ repos: [join(dir, 'repo')] });
});

after(() => rmSync(dir, { recursive: true, force: true }));

const WEEKLY = '[metrics]\nweekly = ["uri_count"]\n';

describe('platform of an experiment config', () => {
  it('an ambiguous config is checked as firefox_desktop (jetstream default), said in one note', () => {
    const path = config('ambiguous-experiment.toml', WEEKLY);
    const result = validateConfigFile(collection, path);
    assert.equal(result.platform, 'firefox_desktop');
    assert.deepEqual(result.errors, []);
    assert.equal(result.notes.length, 1);
    assert.match(result.notes[0] ?? '', /not in the experiments source.*checked as firefox_desktop/);
  });

  it("the experiment's own record decides, before inference and without a note", () => {
    const path = config('mobile-experiment.toml', WEEKLY);
    const experiment = testExperiment({ slug: 'mobile-experiment', appName: 'fenix' });
    const result = validateConfigFile(collection, path, { experiment });
    assert.equal(result.platform, 'fenix');
    assert.deepEqual(result.notes, []);
    assert.equal(result.resolved?.spec.experiment.appName, 'fenix');
  });

  it('--platform wins over everything', () => {
    const file = parseConfigFile(config('x.toml', WEEKLY));
    assert.deepEqual(choosePlatform(collection, file, { platform: 'fenix', experiment: testExperiment() }), {
      platform: 'fenix',
      source: 'option',
      note: null,
    });
  });

  it('a fenix slug or dataset picks fenix among candidates (`_` separates words)', () => {
    for (const name of ['fenix-onboarding-test.toml', 'onboarding-android-test.toml']) {
      assert.equal(inferPlatform(collection, parseConfigFile(config(name, WEEKLY))).platform, 'fenix', name);
    }
    const sql = config(
      'sql-marker.toml',
      `${WEEKLY}[data_sources.own]\nfrom_expression = "mozdata.org_mozilla_firefox.baseline"\n`,
    );
    assert.equal(inferPlatform(collection, parseConfigFile(sql)).platform, 'fenix');
  });
});

describe('the closest platform of a config no platform fits', () => {
  it('is the one that lacks the fewest names, whatever the default', async () => {
    const repo = join(dir, 'closest-repo');
    mkdirSync(join(repo, 'definitions'), { recursive: true });
    writeFileSync(join(repo, 'definitions', 'firefox_desktop.toml'), DEFINITIONS);
    writeFileSync(
      join(repo, 'definitions', 'fenix.toml'),
      `${DEFINITIONS}\n[metrics.baseline_metric]\nselect_expression = "1"\ndata_source = "clients_daily"\n`,
    );
    const withBaseline = await loadConfigCollection({ repos: [repo] });
    const file = parseConfigFile(
      config('mobile-only.toml', '[metrics]\nweekly = ["uri_count", "baseline_metric", "typo_metric"]\n'),
    );
    assert.deepEqual(inferPlatform(withBaseline, file).candidates, []);
    assert.equal(closestPlatform(withBaseline, file), 'fenix');
  });

  it("on a tie, the platform the slug names, then jetstream's default", () => {
    const typo = '[metrics]\nweekly = ["uri_cont"]\n';
    assert.equal(closestPlatform(collection, parseConfigFile(config('plain.toml', typo))), 'firefox_desktop');
    assert.equal(closestPlatform(collection, parseConfigFile(config('fenix-typo.toml', typo))), 'fenix');
  });
});

describe('strict mode: errors for typos, warnings for keys jetstream ignores', () => {
  it('keys metric-config-parser reads elsewhere are warnings that say so', () => {
    const path = config(
      'misplaced-keys.toml',
      `[experiment]
enrollment_end_date = "2024-01-08"
segments = ["regular"]

${WEEKLY}
[segments.regular]
data_source = "clients_last_seen"
select_expression = "TRUE"
window_start = -7
window_end = -1

[segments.data_sources.own_segment_source]
from_expression = "mozdata.telemetry.clients_last_seen"
experiments_column_type = "none"
`,
    );
    const result = validateConfigFile(collection, path, { platform: 'firefox_desktop' });
    assert.deepEqual(result.errors, []);
    const warnings = result.warnings.map((w) => `${w.line}: ${w.keyPath}: ${w.message}`);
    assert.deepEqual(warnings, [
      "2: experiment.enrollment_end_date: 'enrollment_end_date' has no effect in [experiment]: it is read only in the Experimenter record (a config cannot override it); jetstream ignores it here, and so does contrail",
      "11: segments.regular.window_start: 'window_start' has no effect in segment 'regular': it is read only in segment data sources ([segments.data_sources.<name>]) and [experiment.exposure_signal]; jetstream ignores it here, and so does contrail",
      "12: segments.regular.window_end: 'window_end' has no effect in segment 'regular': it is read only in segment data sources ([segments.data_sources.<name>]) and [experiment.exposure_signal]; jetstream ignores it here, and so does contrail",
      "16: segments.data_sources.own_segment_source.experiments_column_type: 'experiments_column_type' has no effect in segment data source 'own_segment_source': it is read only in data sources; jetstream ignores it here, and so does contrail",
    ]);
  });

  it('a key read nowhere, or a near miss of a valid key, is still an error', () => {
    const path = config(
      'typos.toml',
      `[experiment]\nenrollments_query = "SELECT 1"\n\n${WEEKLY}\n[metrics.uri_count]\nexposure_basis = "x"\n`,
    );
    const result = validateConfigFile(collection, path, { platform: 'firefox_desktop' });
    assert.deepEqual(
      result.errors.map((e) => e.keyPath),
      ['experiment.enrollments_query', 'metrics.uri_count.exposure_basis'],
    );
    assert.match(result.errors[0]?.message ?? '', /did you mean 'enrollment_query'/);
  });

  it("metric-config-parser's aggregation metrics are recognised and refused when used", () => {
    const path = config(
      'aggregation.toml',
      '[metrics]\nweekly = ["agg"]\n\n[metrics.agg]\naggregation = "sum"\ncolumn = "y"\ndata_source = "clients_daily"\nstatistics = { bootstrap_mean = {} }\n',
    );
    const result = validateConfigFile(collection, path, { platform: 'firefox_desktop' });
    assert.ok(result.errors.some((e) => /'agg' is defined by 'aggregation'/.test(e.message)));
    assert.ok(!result.errors.some((e) => /unknown key/.test(e.message)));
  });
});
