import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { healthActivities } from '../../../src/activities/health.js';
import { doctorReport } from '../../../src/client/commands/doctor.js';
import { releaseRecordLines } from '../../../src/client/commands/worker.js';
import { defaultActivityDeps, workerSourceProblems, workerSources } from '../../../src/client/runtime.js';
import { temporalCliCommand } from '../../../src/client/temporal-binary.js';
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

test('a versioned worker says in words what its start recorded and whether it is the current version', () => {
  const own = { deployment: 'contrail', buildId: 'b2' };
  const temporal = '.tools/venv/bin/temporal';
  const promote =
    'make it current with `.tools/venv/bin/temporal worker deployment set-current-version --deployment-name contrail --build-id b2 --yes`';
  assert.deepEqual(
    releaseRecordLines(
      {
        recorded: { version: '0.2.0', breaking: false },
        claim: 'made',
        routing: 'current',
        currentBuildId: 'b2',
      },
      own,
      temporal,
    ),
    [
      'recorded the release on contrail:b2: version=0.2.0, breaking=false',
      "made contrail:b2 the deployment's current version (it had none): daily runs, backfills and reruns run on it, and new experiments pin to it",
    ],
  );
  // A restarted worker finds its release recorded: it still says where its version stands.
  assert.deepEqual(
    releaseRecordLines(
      { recorded: {}, claim: 'had', routing: 'current', currentBuildId: 'b2' },
      own,
      temporal,
    ),
    [
      "contrail:b2 is the deployment's current version: daily runs, backfills and reruns run on it, and new experiments pin to it",
    ],
  );
  // A second build beside a current one serves only what is pinned to it, and says how to release it.
  const notCurrent = `this worker runs only the analyses pinned to this build (experiments pinned to it, runs given --use-version b2), while daily runs, backfills and reruns run on contrail:b1 and new experiments pin to it; to release this build, ${promote}`;
  assert.deepEqual(
    releaseRecordLines(
      { recorded: { version: '0.2.0' }, claim: 'had', routing: 'inactive', currentBuildId: 'b1' },
      own,
      temporal,
    ),
    [
      'recorded the release on contrail:b2: version=0.2.0',
      `contrail:b2 is NOT the deployment's current version (contrail:b1 is): ${notCurrent}`,
    ],
  );
  assert.deepEqual(
    releaseRecordLines(
      { recorded: {}, claim: 'had', routing: 'ramping', currentBuildId: 'b1' },
      own,
      temporal,
    ),
    [
      `contrail:b2 is the deployment's ramping version (contrail:b1 is current): it takes the ramp's share of new runs and the analyses pinned to it; ${promote}`,
    ],
  );
  // Started beside another build on a deployment without a current version, and that build's
  // worker claimed it first: one line says both that and how to release this build.
  assert.deepEqual(
    releaseRecordLines(
      { recorded: {}, claim: 'taken', routing: 'inactive', currentBuildId: 'b1' },
      own,
      temporal,
    ),
    [
      `contrail:b2 is NOT the deployment's current version (contrail:b1 is: its worker, starting at the same time, claimed it first): ${notCurrent}`,
    ],
  );
  // Another worker of this build claimed it first: the build is current all the same.
  assert.deepEqual(
    releaseRecordLines(
      { recorded: {}, claim: 'taken', routing: 'current', currentBuildId: 'b2' },
      own,
      temporal,
    ),
    [
      "contrail:b2 is the deployment's current version (another worker of this build, starting at the same time, made it so): daily runs, backfills and reruns run on it, and new experiments pin to it",
    ],
  );
});

test('a printed Temporal CLI command names the binary this installation runs, which a checkout has off PATH', () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail temporal-'));
  const own = join(dir, 'temporal');
  writeFileSync(own, '');
  assert.equal(temporalCliCommand({ TEMPORAL_CLI_PATH: own }), `'${own}'`);
  const checkout = join(
    fileURLToPath(new URL('../../../', import.meta.url)),
    '.tools',
    'venv',
    'bin',
    'temporal',
  );
  const home = { CONTRAIL_HOME: dir };
  assert.equal(temporalCliCommand(home), existsSync(checkout) ? checkout : 'temporal');
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
