import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { workerSources } from '../../../src/client/runtime.js';

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
