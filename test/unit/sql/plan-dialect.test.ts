import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runMain } from '../../helpers/cli.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/** `contrail plan` of the demo experiment on a date it has windows due. */
const DEMO_PLAN = [
  'plan',
  '--experiment_slug',
  'contrail-demo-sidebar',
  '--date',
  '2026-03-15',
  '--config_repos',
  DEMO_CONFIG_REPO,
  '--experiments_file',
  DEMO_EXPERIMENTS_FILE,
];

describe('contrail plan --dialect', () => {
  it('writes the same tables in BigQuery SQL as in DuckDB SQL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'contrail-plan-dialect-'));
    const args = (dialect: string) => [
      ...DEMO_PLAN,
      '--dialect',
      dialect,
      '--sql-output-dir',
      join(dir, dialect),
    ];
    assert.equal((await runMain(args('duckdb'))).code, 0);
    assert.equal((await runMain(args('bigquery'))).code, 0);
    const files = (await readdir(join(dir, 'bigquery'))).sort();
    assert.deepEqual(files, (await readdir(join(dir, 'duckdb'))).sort());
    const scan = files.find((f) => f.startsWith('metrics_21_contrail_demo_sidebar_clients_daily_week_1'));
    assert.ok(scan, files.join(', '));
    const bigquery = await readFile(join(dir, 'bigquery', scan), 'utf8');
    const duckdb = await readFile(join(dir, 'duckdb', scan), 'utf8');
    assert.match(bigquery, /FROM `contrail\.enrollments_contrail_demo_sidebar` e/);
    assert.match(bigquery, /DATE_ADD\(e\.enrollment_date, INTERVAL 6 DAY\)/);
    assert.match(bigquery, /mozdata\.telemetry\.clients_daily/);
    assert.doesNotMatch(bigquery, /"contrail"|struct_extract|json_extract_string/);
    assert.match(duckdb, /"contrail"\."enrollments_contrail_demo_sidebar"/);
  });

  it("without --dialect, the configured warehouse's: BigQuery SQL with CONTRAIL_WAREHOUSE=bigquery, in its results dataset", async () => {
    const args = DEMO_PLAN;
    const onBigQuery = await runMain(args, {
      CONTRAIL_WAREHOUSE: 'bigquery',
      CONTRAIL_BIGQUERY_PROJECT: 'my-project',
      CONTRAIL_BIGQUERY_DATASET: 'analysis',
    });
    assert.equal(onBigQuery.code, 0, onBigQuery.stderr);
    assert.match(onBigQuery.stdout, /^-- destination: analysis\.enrollments_contrail_demo_sidebar$/m);
    assert.match(onBigQuery.stdout, /FROM `my-project\.analysis\.enrollments_contrail_demo_sidebar` e/);
    const embedded = await runMain(args, { CONTRAIL_WAREHOUSE: 'duckdb' });
    assert.equal(embedded.code, 0, embedded.stderr);
    assert.match(embedded.stdout, /"contrail"\."enrollments_contrail_demo_sidebar"/);
  });

  it('refuses an unknown dialect, naming the valid ones', async () => {
    const { code, stderr } = await runMain([
      'plan',
      '--experiment_slug',
      'x',
      '--date',
      '2026-03-15',
      '--dialect',
      'snowflake',
    ]);
    assert.notEqual(code, 0);
    assert.match(stderr, /dialect.*duckdb.*bigquery|Choices: "duckdb", "bigquery"/s);
  });
});
