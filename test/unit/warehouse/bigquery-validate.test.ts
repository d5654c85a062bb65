import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type ReplayServer, startReplayServer, startSilentServer } from '../../helpers/bigquery-replay.js';
import { runCli, runMain, spawnCli } from '../../helpers/cli.js';
import { allowOnlyLoopback, assertOnlyLoopback } from '../../helpers/loopback.js';
import { DEMO_CONFIG_REPO } from '../../helpers/sample.js';

/**
 * `contrail validate --dry_run` on BigQuery (recorded responses on loopback): every enrollment
 * and metric query of the config dry-run, bytes and dollars per query, and jetstream's exit
 * codes — 2 above the moderate threshold, 3 above the high one, 1 when BigQuery rejects a query.
 */
const CONFIG = join(DEMO_CONFIG_REPO, 'jetstream', 'contrail-demo-sidebar.toml');
let server: ReplayServer;

const command = (extra: string[]) => [
  'validate',
  CONFIG,
  '--config_repos',
  DEMO_CONFIG_REPO,
  '--dry_run',
  ...extra,
];
// A data directory of this file's own: the run's shared one may hold telemetry another test
// file is writing, which the SQL check beside the dry run reads.
const home = mkdtempSync(join(tmpdir(), 'contrail-validate-home-'));
const settings = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  CONTRAIL_HOME: home,
  METADATA_SERVER_DETECTION: 'none',
  CONTRAIL_WAREHOUSE: 'bigquery',
  CONTRAIL_BIGQUERY_PROJECT: 'contrail-recorded',
  CONTRAIL_BIGQUERY_ENDPOINT: server.endpoint,
  ...env,
});

/**
 * The real CLI in its own process, pointed at the recorded responses on loopback: for the exit
 * codes a CI job reads from the process.
 */
async function validate(...extra: string[]): Promise<{ code: number | null; out: string }> {
  const result = await runCli(command(extra), { env: settings({}), timeoutMs: 60_000 });
  return { code: result.code, out: result.stdout + result.stderr };
}

/**
 * The CLI's main in this process, pointed at the recorded responses on loopback: where what is
 * checked is what the command says and asks of BigQuery, a process of its own would only add a
 * node start and a second load of every module.
 */
async function validateWith(
  env: NodeJS.ProcessEnv,
  ...extra: string[]
): Promise<{ code: number | null; out: string; ms: number }> {
  const result = await runMain(command(extra), settings(env));
  return { code: result.code, out: result.stdout + result.stderr, ms: result.ms };
}

before(async () => {
  allowOnlyLoopback();
  server = await startReplayServer();
});

beforeEach(() => {
  server.requests.length = 0;
  server.insertAnswers = [];
  server.resets = 0;
});

after(async () => {
  rmSync(home, { recursive: true, force: true });
  await server?.stop();
  assertOnlyLoopback();
});

describe('contrail validate --dry_run on BigQuery', () => {
  test('dry-runs the enrollments and every metrics scan: bytes and cost per query, exit 0 under the thresholds', async () => {
    // A data directory without embedded telemetry, as a BigQuery user's is.
    const { code, out } = await validateWith({});
    assert.equal(code, 0, out);
    // How the bytes were found and for which days.
    assert.match(
      out,
      /^dry run {2}\S+contrail-demo-sidebar\.toml \(BigQuery dry run; the experiment's windows from 2026-03-02\)$/m,
    );
    assert.match(out, /ok: enrollments_contrail_demo_sidebar: 3\.00 TiB billed, about \$18\.75/);
    // Every recorded dry run answers 3 TiB: a scan, dry-run with the enrollments query written in,
    // is counted without it (that query counted once, as its own), here nothing: nothing billed.
    assert.match(out, /ok: metrics_21_contrail_demo_sidebar_clients_daily_week_1: 0 B billed, about \$0\.00/);
    const dryRuns = server.requests.filter(
      (r) => (r.body as { configuration?: { dryRun?: boolean } } | null)?.configuration?.dryRun,
    );
    assert.ok(dryRuns.length >= 4, `${dryRuns.length} dry runs`);
    // The metrics scans read the enrollments query inline: the table does not exist yet.
    const scan = dryRuns.map((r) => JSON.stringify(r.body)).find((b) => b.includes('metrics per client'));
    assert.ok(scan?.includes('-- contrail: enrollments'));
    // BigQuery checks the SQL here: no advice to get it checked by the dry run being run.
    assert.doesNotMatch(out, /embedded warehouse holds no telemetry/);
  });

  test('a small query is said at what BigQuery bills, 10 MB for each table it references, beside what it scans', async () => {
    // The enrollments query scans 1.5 MB of two tables.
    server.insertAnswers = ['dryRunSmall'];
    const { code, out } = await validateWith({});
    assert.equal(code, 0, out);
    assert.match(
      out,
      /^ {2}ok: enrollments_contrail_demo_sidebar: 20\.00 MiB billed \(1\.46 MiB scanned\), about \$0\.0001 at \$6\.25\/TiB on demand$/m,
    );
  });

  for (const [setting, value, said] of [
    ['CONTRAIL_BIGQUERY_PROJECT', '', /^contrail: CONTRAIL_BIGQUERY_PROJECT \(or --project_id\) must name/m],
    [
      'CONTRAIL_BIGQUERY_LOCATION',
      'us central',
      /^contrail: CONTRAIL_BIGQUERY_LOCATION="us central": expected/m,
    ],
  ] as const) {
    test(`${setting}=${JSON.stringify(value)} is said first, before any config is checked, and nothing is asked of BigQuery`, async () => {
      const { code, out } = await validateWith({ [setting]: value, GOOGLE_CLOUD_PROJECT: '' });
      assert.equal(code, 1, out);
      assert.match(out, said);
      assert.doesNotMatch(out, /^(ok|invalid) {2}/m, 'no config was reported before the setting');
      assert.equal(server.requests.length, 0);
    });
  }

  test('above the moderate threshold exits 2, above the high one 3', async () => {
    // One real process, for the code a CI job reads from it; main's own code for the other.
    const moderate = await validate('--moderate_tb', '3');
    assert.equal(moderate.code, 2, moderate.out);
    const high = await validateWith({}, '--moderate_tb', '1', '--high_tb', '3');
    assert.equal(high.code, 3, high.out);
  });

  test('an endpoint that accepts and never answers stops the dry run within CONTRAIL_BIGQUERY_TIMEOUT_MS, saying BigQuery gave no answer', async () => {
    const silent = await startSilentServer();
    try {
      const { code, out, ms } = await validateWith({
        CONTRAIL_BIGQUERY_ENDPOINT: silent.endpoint,
        CONTRAIL_BIGQUERY_TIMEOUT_MS: '1000',
      });
      assert.equal(code, 1, out);
      assert.match(out, /^dry run {2}\S+contrail-demo-sidebar\.toml/m);
      assert.match(
        out,
        /^contrail: dry run stopped: BigQuery gave no answer: .*no answer within 1000 ms \(CONTRAIL_BIGQUERY_TIMEOUT_MS; ETIMEDOUT\)/m,
      );
      // Each attempt timed out and was said, the first in full; then the dry run stopped.
      assert.match(out, /^ {2}retrying the dry run \(attempt 1 failed\): .*no answer within 1000 ms/m);
      assert.deepEqual(
        out.match(/^ {2}retrying the dry run \(attempt \d failed the same way\)$/gm)?.map((l) => l.trim()),
        [2, 3, 4].map((n) => `retrying the dry run (attempt ${n} failed the same way)`),
        out,
      );
      // A guard against hanging, not a speed target: five requests' timeouts, the waits between them and the CLI's start.
      assert.ok(ms < 30_000, `took ${ms} ms`);
    } finally {
      await silent.stop();
    }
  });

  for (const typo of ['bigqeury', 'BigQuery']) {
    test(`CONTRAIL_WAREHOUSE=${typo} is refused as preview refuses it, not dry-run on the embedded DuckDB`, async () => {
      const { code, out } = await validateWith({ CONTRAIL_WAREHOUSE: typo });
      assert.equal(code, 1, out);
      assert.match(
        out,
        new RegExp(`^contrail: CONTRAIL_WAREHOUSE=${typo}: valid warehouses are duckdb and bigquery$`, 'm'),
      );
      assert.doesNotMatch(out, /^dry run /m, 'nothing was dry-run');
      assert.equal(server.requests.length, 0);
    });
  }

  test('a lost connection or a BigQuery backend error is tried again, said, and the dry run goes on', async () => {
    const clean = await validateWith({});
    server.requests.length = 0;
    server.resets = 1;
    server.insertAnswers = ['dryRun', 'backendError'];
    const { code, out } = await validateWith({});
    assert.equal(code, clean.code, out);
    assert.match(
      out,
      /^ {2}retrying the dry run \(attempt 1 failed\): BigQuery gave no answer: .*(ECONNRESET|socket hang up)/m,
    );
    assert.match(out, /^ {2}retrying the dry run \(attempt 1 failed\): BigQuery \(backendError\)/m);
    // Every query was still dry-run, and reported as when nothing failed.
    const lines = (text: string) =>
      text.split('\n').filter((l) => /^ {2}(ok|moderate|high|error|not checked):/.test(l));
    assert.ok(lines(clean.out).length >= 4, clean.out);
    assert.deepEqual(lines(out), lines(clean.out));
  });

  test('a query BigQuery rejects exits 1, naming the config lines of what it computes', async () => {
    server.insertAnswers = ['dryRun', 'invalidQuery'];
    const { code, out } = await validateWith({});
    assert.equal(code, 1, out);
    assert.match(
      out,
      /error: metrics_21_contrail_demo_sidebar_\w+: BigQuery \(invalidQuery\): Unrecognized name: active_hours_sum2.*config: \w+ \(.*\.toml: metrics\.\w+.*line \d+\)/,
    );
  });

  test('a config whose SQL cannot be planned is its own error, and the next config is still dry-run', async () => {
    const dir = join(home, 'unplanned');
    mkdirSync(join(dir, 'jetstream'), { recursive: true });
    // As metric-hub's older configs do: the enrollments query selects client_id, not analysis_id.
    const broken = join(dir, 'jetstream', 'old-enrollment-query.toml');
    writeFileSync(
      broken,
      readFileSync(CONFIG, 'utf8').replace(
        '[experiment]\n',
        '[experiment]\nenrollment_query = "SELECT client_id, branch, enrollment_date, 1 AS num_enrollment_events FROM t"\n',
      ),
    );
    // The SQL check would find it first: without it, the dry run is what plans the queries.
    const result = await runMain(
      ['validate', broken, CONFIG, '--config_repos', DEMO_CONFIG_REPO, '--dry_run', '--no-check_sql'],
      settings({}),
    );
    const out = result.stdout + result.stderr;
    assert.equal(result.code, 1, out);
    assert.match(
      out,
      /^dry run {2}\S+old-enrollment-query\.toml .*\n {2}error: \S+old-enrollment-query\.toml:\d+: experiment\.enrollment_query: enrollment_query selects no analysis_id column/m,
    );
    assert.match(
      out,
      /^dry run {2}\S+contrail-demo-sidebar\.toml .*\n {2}ok: enrollments_contrail_demo_sidebar: /m,
    );
    assert.match(out, /^contrail: 1 config cannot be planned$/m);
  });

  test('Ctrl-C stops between two configs, saying how many were dry-run, and exits 130', async () => {
    // The same config in three places, each dry run slow enough to be stopped after the first.
    const files = ['a', 'b', 'c'].map((place) => {
      const file = join(home, 'interrupted', place, 'contrail-demo-sidebar.toml');
      mkdirSync(join(file, '..'), { recursive: true });
      copyFileSync(CONFIG, file);
      return file;
    });
    server.latencyMs = 200;
    const run = spawnCli(
      ['validate', ...files, '--config_repos', DEMO_CONFIG_REPO, '--dry_run', '--no-check_sql'],
      { env: settings({}) },
    );
    try {
      while (!/^dry run {2}\S+\/b\/contrail-demo-sidebar\.toml/m.test(run.stdout())) {
        assert.equal(run.child.exitCode, null, run.stdout() + run.stderr());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      run.child.kill('SIGINT');
      const result = await run.done;
      assert.equal(result.code, 130, result.stdout + result.stderr);
      assert.match(
        result.stderr,
        /^contrail: interrupted \(SIGINT\) after dry-running 2 of 3 config files; the others were not dry-run$/m,
      );
      assert.doesNotMatch(
        result.stdout,
        /^dry run {2}\S+\/c\/contrail-demo-sidebar\.toml/m,
        'the third was not dry-run',
      );
    } finally {
      server.latencyMs = 0;
      run.child.kill('SIGKILL');
    }
  });
});
