import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { healthActivities } from '../../../src/activities/health.js';
import { doctorReport } from '../../../src/client/commands/doctor.js';
import { releaseRecordLines } from '../../../src/client/commands/worker.js';
import { defaultActivityDeps, workerSourceProblems, workerSources } from '../../../src/client/runtime.js';
import { CONFIG_REPO_LAYOUT } from '../../../src/config/repo-layout.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { DEMO_CONFIG_REPO } from '../../helpers/sample.js';

test("a worker's start line names the warehouse, experiments and config repos it serves", () => {
  const home = mkdtempSync(join(tmpdir(), 'contrail-worker-home-'));
  const env = {
    CONTRAIL_HOME: home,
    CONTRAIL_EXPERIMENTS_FILE: '/srv/fleet/experiments.json',
    CONTRAIL_CONFIG_REPOS: '/srv/metric-hub,/srv/private-configs',
  };
  assert.equal(
    workerSources(env),
    `warehouse DuckDB ${join(home, 'warehouse.duckdb')}; experiments /srv/fleet/experiments.json; config repos /srv/metric-hub, /srv/private-configs`,
  );
  assert.match(
    workerSources({
      ...env,
      CONTRAIL_WAREHOUSE: 'bigquery',
      CONTRAIL_BIGQUERY_PROJECT: 'my-analysis-project',
      CONTRAIL_EXPERIMENTER_URL: 'https://experimenter.example',
    }),
    /^warehouse BigQuery project my-analysis-project; experiments Experimenter https:\/\/experimenter\.example; /,
  );
});

test('a worker whose experiments file or config repo is not there is told which, and by which setting', () => {
  const home = mkdtempSync(join(tmpdir(), 'contrail-worker-home-'));
  const file = join(home, 'experiments.json');
  writeFileSync(file, '[]');
  assert.deepEqual(
    workerSourceProblems({
      CONTRAIL_HOME: home,
      CONTRAIL_EXPERIMENTS_FILE: file,
      CONTRAIL_CONFIG_REPOS: DEMO_CONFIG_REPO,
    }),
    [],
  );
  assert.deepEqual(workerSourceProblems({ CONTRAIL_HOME: home }), [], 'the demo experiments and configs');
  assert.deepEqual(
    workerSourceProblems({
      CONTRAIL_HOME: home,
      CONTRAIL_EXPERIMENTS_FILE: join(home, 'fleet.json'),
      // The data directory holds no config: as --config_repos, it is refused, not read as a repo of no platform.
      CONTRAIL_CONFIG_REPOS: `${DEMO_CONFIG_REPO},/srv/no-such-metric-hub,${home}`,
    }),
    [
      `experiments file ${join(home, 'fleet.json')} (CONTRAIL_EXPERIMENTS_FILE) does not exist: name an Experimenter v8 JSON file, or set CONTRAIL_EXPERIMENTER_URL`,
      `config repo /srv/no-such-metric-hub (CONTRAIL_CONFIG_REPOS): no such directory (${CONFIG_REPO_LAYOUT}); several are separated by commas`,
      `config repo ${home} (CONTRAIL_CONFIG_REPOS): not a config repo: it has none of definitions/, jetstream/, defaults/, outcomes/ and no .toml file (${CONFIG_REPO_LAYOUT}); several are separated by commas`,
    ],
  );
  // Experiments from Experimenter: no file is read.
  assert.deepEqual(
    workerSourceProblems({
      CONTRAIL_HOME: home,
      CONTRAIL_EXPERIMENTS_FILE: join(home, 'fleet.json'),
      CONTRAIL_EXPERIMENTER_URL: 'https://experimenter.example',
    }),
    [],
  );
});

test('a versioned worker says in words what its start recorded on its deployment version', () => {
  assert.deepEqual(
    releaseRecordLines(
      { recorded: { version: '0.2.0', breaking: false }, current: { kind: 'made' } },
      'contrail',
      'b2',
    ),
    [
      'recorded the release on contrail:b2: version=0.2.0, breaking=false',
      "made contrail:b2 the deployment's current version (it had none)",
    ],
  );
  // A restarted worker of the current build finds its release recorded: nothing to say.
  assert.deepEqual(
    releaseRecordLines({ recorded: {}, current: { kind: 'had', buildId: 'b2' } }, 'contrail', 'b2'),
    [],
  );
  // Another build is current (released before, or its worker's claim came first).
  assert.deepEqual(
    releaseRecordLines({ recorded: {}, current: { kind: 'had', buildId: 'b1' } }, 'contrail', 'b2'),
    ["contrail:b1 is the deployment's current version; contrail:b2 serves the runs pinned to it"],
  );
  // Started beside another build on a deployment without a current version, and that build won.
  assert.deepEqual(
    releaseRecordLines({ recorded: {}, current: { kind: 'taken', buildId: 'b1' } }, 'contrail', 'b2'),
    [
      "contrail:b1 became the deployment's current version first (its worker claimed it at the same time); contrail:b2 serves the runs pinned to it",
    ],
  );
  assert.deepEqual(
    releaseRecordLines({ recorded: {}, current: { kind: 'taken', buildId: 'b2' } }, 'contrail', 'b2'),
    ["contrail:b2 is the deployment's current version: another worker of this build made it so first"],
  );
});

test("doctor's warehouse line names the project and endpoint, or the DuckDB file, the worker reached", async () => {
  const home = mkdtempSync(join(tmpdir(), 'contrail-worker-home-'));
  const bigquery = {
    CONTRAIL_HOME: home,
    CONTRAIL_WAREHOUSE: 'bigquery',
    CONTRAIL_BIGQUERY_PROJECT: 'my-analysis-project',
  };
  // The worker's own settings, through its activity: doctor may run on another machine than the worker.
  const answered = async (env: NodeJS.ProcessEnv) => {
    const deps = defaultActivityDeps({}, env);
    const warehouse = { dialect: 'bigquery', query: async () => [{ answer: 42 }] } as unknown as Warehouse;
    const report = await healthActivities({ ...deps, warehouse: async () => warehouse }).checkWarehouse();
    const lines = doctorReport({
      ...report,
      address: '127.0.0.1:7233',
      embedded: false,
      roundTripMs: 12,
      ranBy: null,
      workers: "1 worker polls task queue 'contrail'",
      workerLines: [],
      waitingVersions: [],
    }).split('\n');
    return lines.find((l) => l.startsWith('  warehouse'));
  };
  assert.equal(
    await answered(bigquery),
    '  warehouse  BigQuery project my-analysis-project answered a query',
  );
  assert.equal(
    await answered({ ...bigquery, CONTRAIL_BIGQUERY_ENDPOINT: 'http://127.0.0.1:9050' }),
    '  warehouse  BigQuery project my-analysis-project at http://127.0.0.1:9050 (CONTRAIL_BIGQUERY_ENDPOINT) answered a query',
  );
  assert.equal(
    await answered({ CONTRAIL_HOME: home }),
    `  warehouse  DuckDB ${join(home, 'warehouse.duckdb')} answered a query`,
  );
  // The worker's start line names the same warehouse.
  assert.match(
    workerSources({ ...bigquery, CONTRAIL_BIGQUERY_ENDPOINT: 'http://127.0.0.1:9050' }),
    /^warehouse BigQuery project my-analysis-project at http:\/\/127\.0\.0\.1:9050 \(CONTRAIL_BIGQUERY_ENDPOINT\); /,
  );
});
