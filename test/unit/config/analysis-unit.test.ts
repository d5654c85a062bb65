import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { syntheticExperiment } from '../../../src/analysis/spec-resolver.js';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { parseConfigFile } from '../../../src/config/parse.js';
import { placeholderExperiment } from '../../../src/config/platform.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { ExperimenterV8Record, toExperiment } from '../../../src/experiments/v8.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { querySubjects } from '../../../src/sql/run.js';

/**
 * The unit an experiment is analysed by, as jetstream decides it: the config's `analysis_unit`,
 * else Experimenter's randomization unit (`group_id`: profile groups). A config validated or
 * previewed without an Experimenter record takes the unit its own enrollment query selects,
 * as real desktop configs do (`e.profile_group_id AS analysis_id`).
 */
const REPO = join('test', 'fixtures', 'config', 'repo');
const NOW = new Date('2024-03-01T00:00:00Z');
// Week 1 is due: a metrics scan and the enrollments query.
const DATE = '2024-01-21';
const PROFILE_GROUP_QUERY = `[experiment]
start_date = "2024-01-01"
end_date = "2024-02-20"
enrollment_query = """
SELECT
  e.profile_group_id AS analysis_id,
  \`mozfun.map.get_key\`(e.event_map_values, 'branch') AS branch,
  MIN(e.submission_date) AS enrollment_date,
  COUNT(e.submission_date) AS num_enrollment_events
FROM \`moz-fx-data-shared-prod.telemetry.events\` e
WHERE e.event_category = 'normandy' AND e.event_method = 'enroll'
GROUP BY ALL
"""

[metrics]
weekly = ["uri_count"]
`;
let collection: ConfigCollection;

before(async () => {
  collection = await loadConfigCollection({ repos: [REPO] });
});

function record(bucketConfig?: Record<string, unknown>) {
  return toExperiment(
    ExperimenterV8Record.parse({
      slug: 'unit-test',
      appName: 'firefox_desktop',
      startDate: '2024-01-01',
      endDate: '2024-02-20',
      proposedEnrollment: 7,
      branches: [{ slug: 'control' }, { slug: 'treatment' }],
      referenceBranch: 'control',
      ...(bucketConfig ? { bucketConfig } : {}),
    }),
    NOW,
  );
}

function configFile(toml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'contrail-unit-')), 'unit-test.toml');
  writeFileSync(path, toml);
  return path;
}

const plan = (spec: ReturnType<typeof resolveAnalysisSpec>['spec']) =>
  planAnalysis(spec, DATE, { dataset: 'contrail', dialect: duckdbDialect() });

describe('analysis unit', () => {
  it("Experimenter's randomization unit decides it unless the config names one", () => {
    const grouped = record({ randomizationUnit: 'group_id', namespace: 'desktop-1', count: 100 });
    assert.equal(grouped.randomizationUnit, 'group_id');
    const metrics = configFile('[metrics]\nweekly = ["uri_count"]\n');
    const byGroup = resolveAnalysisSpec(collection, grouped, { configFile: metrics }).spec;
    assert.equal(byGroup.analysisUnit, 'profile_group');
    const scan = plan(byGroup).windows.flatMap((w) => w.metricsScans)[0];
    assert.match(scan?.sql ?? '', /profile_group_id/, 'metrics are joined on the profile group');

    const configured = configFile(
      '[experiment]\nanalysis_unit = "client_id"\n\n[metrics]\nweekly = ["uri_count"]\n',
    );
    assert.equal(
      resolveAnalysisSpec(collection, grouped, { configFile: configured }).spec.analysisUnit,
      'client',
    );
    for (const other of [record({ randomizationUnit: 'normandy_id' }), record()]) {
      assert.equal(
        resolveAnalysisSpec(collection, other, { configFile: metrics }).spec.analysisUnit,
        'client',
      );
    }
  });

  it('a config alone that selects profile_group_id AS analysis_id is planned over profile groups', () => {
    const path = configFile(PROFILE_GROUP_QUERY);
    const experiment = placeholderExperiment(parseConfigFile(path), 'firefox_desktop');
    assert.equal(experiment.randomizationUnit, 'group_id');
    const spec = resolveAnalysisSpec(collection, experiment, { configFile: path }).spec;
    assert.equal(spec.analysisUnit, 'profile_group');
    assert.match(plan(spec).enrollments?.sql ?? '', /e\.profile_group_id AS analysis_id/);
    // A preview by --platform of an experiment Experimenter does not know reads the same.
    assert.equal(
      syntheticExperiment('unit-test', 'firefox_desktop', PROFILE_GROUP_QUERY).randomizationUnit,
      'group_id',
    );
    assert.equal(syntheticExperiment('unit-test', 'firefox_desktop', null).randomizationUnit, null);
  });

  it('an enrollment_query that selects client_id, not analysis_id, is refused when planned, saying which column to select', () => {
    // As older metric-hub configs write it (vpn-moments-page-july-release-v2 and others).
    const path = configFile(PROFILE_GROUP_QUERY.replace('e.profile_group_id AS analysis_id', 'e.client_id'));
    const experiment = placeholderExperiment(parseConfigFile(path), 'firefox_desktop');
    const spec = resolveAnalysisSpec(collection, experiment, { configFile: path }).spec;
    assert.throws(
      () => plan(spec),
      /^PlanError: enrollment_query selects no analysis_id column: the enrollments read analysis_id, branch, enrollment_date and num_enrollment_events from it; select client_id AS analysis_id$/,
    );
    // A query selecting every column of a subquery may have one: that is left to the warehouse.
    const starPath = configFile(
      PROFILE_GROUP_QUERY.replace('e.profile_group_id AS analysis_id', 'e.client_id')
        .replace('enrollment_query = """\n', 'enrollment_query = """\nSELECT * FROM (\n')
        .replace('GROUP BY ALL\n', 'GROUP BY ALL\n)\n'),
    );
    const star = placeholderExperiment(parseConfigFile(starPath), 'firefox_desktop');
    assert.match(
      plan(resolveAnalysisSpec(collection, star, { configFile: starPath }).spec).enrollments?.sql ?? '',
      /SELECT \* FROM \(/,
    );
  });

  it('a warehouse error in a custom enrollment_query is about that key, not the segments or the exposure signal', () => {
    const path = configFile(PROFILE_GROUP_QUERY);
    const experiment = placeholderExperiment(parseConfigFile(path), 'firefox_desktop');
    const enrollments = plan(
      resolveAnalysisSpec(collection, experiment, { configFile: path }).spec,
    ).enrollments;
    assert.ok(enrollments);
    const lines = enrollments.sql.split('\n');
    const [ref] = enrollments.references ?? [];
    assert.ok(ref, 'the enrollment_query is traced');
    assert.deepEqual(
      [ref.column, ref.provenance.key, ref.provenance.line],
      [null, 'experiment.enrollment_query', 4],
    );
    // Its lines are the query's, first to last.
    assert.match(lines[ref.lines.start - 1] ?? '', /^\s*SELECT$/);
    assert.match(lines[ref.lines.end - 1] ?? '', /GROUP BY ALL$/);
    const said = 'BigQuery (invalidQuery): Unrecognized name: x';
    for (const line of [ref.lines.start + 1, null]) {
      const [subject, ...more] = querySubjects(enrollments, line, said);
      assert.equal(more.length, 0);
      assert.equal(subject?.key, 'experiment.enrollment_query', `line ${line}`);
      assert.equal(subject?.metric ?? null, null);
    }
  });

  it('a config that names client_id as its unit and selects profile groups is still refused', () => {
    const path = configFile(
      PROFILE_GROUP_QUERY.replace('[experiment]\n', '[experiment]\nanalysis_unit = "client_id"\n'),
    );
    const experiment = placeholderExperiment(parseConfigFile(path), 'firefox_desktop');
    const spec = resolveAnalysisSpec(collection, experiment, { configFile: path }).spec;
    assert.throws(
      () => plan(spec),
      /enrollment_query mentions profile_group_id, but the experiment's analysis unit uses client_id/,
    );
  });
});
