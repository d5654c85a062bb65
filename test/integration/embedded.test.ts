import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../../src/client/dev-server.js';
import { CliError } from '../../src/client/errors.js';
import { followWorkflow } from '../../src/client/follow.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import type { DailyAnalysisResult } from '../../src/workflows/daily.js';
import { ownEnv, runCli, runMain, spawnCli } from '../helpers/cli.js';
import { metricHubFixtures } from '../helpers/fixtures.js';
import { marked, processMarker } from '../helpers/processes.js';
import { configRepoWith, DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../helpers/sample.js';

const BROKEN = 'contrail-test-broken';

/** The tables and views (`name (view)`) of the preview dataset in a data directory's warehouse file. */
async function previewTables(home: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(join(home, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      "SELECT table_name AS name FROM duckdb_tables() WHERE schema_name = 'tmp' UNION ALL SELECT view_name || ' (view)' FROM duckdb_views() WHERE schema_name = 'tmp' ORDER BY 1",
    );
    const names = reader.getRowObjectsJS().map((row) => String(row.name));
    connection.closeSync();
    return names;
  } finally {
    instance.closeSync();
  }
}

/** What became of each query a preview kept a cost row of: `date outcome`, each once. */
async function costOutcomes(home: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(join(home, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      "SELECT DISTINCT CAST(analysis_date AS VARCHAR) || ' ' || outcome AS said FROM tmp.query_costs ORDER BY 1",
    );
    const said = reader.getRowObjectsJS().map((row) => String(row.said));
    connection.closeSync();
    return said;
  } finally {
    instance.closeSync();
  }
}

/**
 * Commands in embedded mode (no TEMPORAL_ADDRESS): each starts its own dev server and worker.
 * What a person sees on stdout and stderr, exit codes, and what is left running.
 */
describe('embedded commands', { concurrency: true }, () => {
  // Each test has its own data directory: they run at once, and DuckDB locks its file.
  const homeFor = () => mkdtempSync(join(tmpdir(), 'contrail-embedded-'));
  const home = homeFor();
  const env = { CONTRAIL_HOME: home, TEMPORAL_ADDRESS: '', CONTRAIL_LOG_LEVEL: '' };
  // One experiment whose config has an unknown key: its analysis fails at once, never retried.
  const experimentsFile = join(home, 'experiments.json');
  const demo = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[];
  writeFileSync(
    experimentsFile,
    JSON.stringify([{ ...demo.find((e) => e.slug === DEMO_SLUG)!, slug: BROKEN }]),
  );
  const configRepo = configRepoWith({
    [`jetstream/${BROKEN}.toml`]:
      '[metrics]\nweekly = ["active_hours"]\n\n[metrics.active_hours.statistics.bootstrap_mean]\nnum_sampels = 100\n',
  });
  const brokenDaily = ['run', '--date', '2026-03-15', '--json'];
  const brokenFlags = ['--config_repos', configRepo, '--experiments_file', experimentsFile];

  test('a daily run with a failed experiment: the JSON result alone on stdout, one summary line on stderr, exit 1', async () => {
    const result = await runCli([...brokenDaily, ...brokenFlags], { env });
    assert.equal(result.code, 1, result.stderr);
    const daily = JSON.parse(result.stdout) as DailyAnalysisResult;
    assert.deepEqual(
      daily.failed.map((f) => [f.slug, f.errorType]),
      [[BROKEN, 'ConfigError']],
    );
    const lines = result.stderr.trim().split('\n');
    // One line per stage and the summary: no stack trace from the SDK.
    assert.ok(
      lines.length <= 8 && !lines.some((line) => /^\s+at /.test(line)),
      `stderr is a few lines, not the SDK's stack traces:\n${result.stderr}`,
    );
    assert.equal(lines.at(-1), 'contrail: daily analysis 2026-03-15: 0 analysed, 1 failed');
    assert.doesNotMatch(result.stderr, /\[WARN\]|\n\s+at /);
    // The warehouse was closed before the process ended: no note of it holding the file, and
    // its claim on the dataset released.
    assert.ok(!existsSync(join(home, 'warehouse.duckdb.holder.json')), 'no holder note left');
    assert.deepEqual(readdirSync(join(home, 'warehouse.duckdb.claims')), []);
  });

  test('a preview where `contrail sample` never ran is refused before anything runs: the missing telemetry table, its file and what to do, once; exit 1; no preview tables', async () => {
    const fresh = homeFor();
    // In this process: its own server and worker all the same, without a node process to load them.
    const result = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--num-days', '1'], {
      CONTRAIL_HOME: fresh,
      TEMPORAL_ADDRESS: '',
      CONTRAIL_LOG_LEVEL: '',
    });
    assert.equal(result.code, 1, result.stderr);
    const said = `table mozdata.telemetry.events does not exist in the embedded warehouse (${join(fresh, 'mozdata.duckdb')}), which holds no telemetry yet: run \`contrail sample\``;
    assert.equal(result.stderr.split(said).length - 1, 1, `said once:\n${result.stderr}`);
    assert.match(
      result.stderr,
      /CONTRAIL_HOME to a directory whose mozdata\.duckdb holds your tables, or use BigQuery/,
    );
    assert.doesNotMatch(result.stderr, /Catalog Error|analysing/);
    assert.equal(result.stdout, '', 'no report: nothing ran');
    // Refused at the estimate: the preview's dataset was never made.
    assert.deepEqual(await previewTables(fresh), []);
  });

  // One at a time: both hold the one lock (node's test runner would run them at once, as their parent).
  describe('with the warehouse file locked by another process', { concurrency: false }, () => {
    const lockHome = homeFor();
    // A short wait for the file: the activity gives up (and is retried) in a second, not 30.
    const env = {
      CONTRAIL_HOME: lockHome,
      TEMPORAL_ADDRESS: '',
      CONTRAIL_LOG_LEVEL: '',
      CONTRAIL_WAREHOUSE_WAIT_MS: '1000',
    };
    let lock: { close(): void } | null = null;
    before(async () => {
      const sample = await runMain(['sample', '--clients', '200'], env);
      assert.equal(sample.code, 0, sample.stderr);
    });
    const holdLock = async () => {
      const instance = await DuckDBInstance.create(join(lockHome, 'warehouse.duckdb'));
      const connection = await instance.connect();
      lock = {
        close() {
          connection.closeSync();
          instance.closeSync();
        },
      };
    };
    const releaseLock = () => {
      lock?.close();
      lock = null;
    };
    after(releaseLock);

    test("an activity retried on the lock: the run ends with its result, alone on stdout, and exit 0; the SDK's own lines go to stderr", async () => {
      await holdLock();
      // DEBUG: the SDK's core logs plenty at this level; none of it may reach stdout.
      const run = spawnCli(['run', '--date', '2026-03-01', '--experiment_slug', DEMO_SLUG], {
        env: { ...env, CONTRAIL_LOG_LEVEL: 'DEBUG' },
      });
      await run.waitForStderr(/Activity failed/);
      releaseLock();
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^${DEMO_SLUG} 2026-03-01: nothing due \\([^\\n]*\\)\\n$`));
      assert.match(result.stderr, /sdkComponent: 'core'/, "the SDK core's lines are forwarded to stderr");
      assert.doesNotMatch(result.stderr, /Channel has been shut down/);
    });

    test('killed with SIGKILL mid-run, it leaves no Temporal server behind', async () => {
      await holdLock();
      const marker = processMarker();
      const run = spawnCli(['run', '--date', '2026-03-01', '--experiment_slug', DEMO_SLUG], {
        env: { ...env, ...marker.env, CONTRAIL_LOG_LEVEL: 'WARN' },
      });
      try {
        await run.waitForStderr(/Activity failed/); // its server and worker are up and working
        assert.ok(marker.pids().length >= 2, 'the CLI and the Temporal server it started');
        run.child.kill('SIGKILL');
        await run.done;
        assert.deepEqual(await marked(marker.pids, 10_000), [], 'no orphan');
      } finally {
        releaseLock();
      }
    });
  });

  test("run --config_file of a file in a metric-hub checkout reads that checkout's definitions, as preview and plan do", async () => {
    const checkout = join(mkdtempSync(join(tmpdir(), 'contrail-checkout-')), 'metric-hub');
    cpSync(join(metricHubFixtures(), 'definitions'), join(checkout, 'definitions'), { recursive: true });
    const outcome = join('jetstream', 'outcomes', 'firefox_desktop', 'demo_engagement.toml');
    cpSync(join(DEMO_CONFIG_REPO, outcome), join(checkout, outcome));
    const config = join(checkout, 'jetstream', `${DEMO_SLUG}.toml`);
    mkdirSync(dirname(config), { recursive: true });
    // organic_search_count is defined in the checkout, not in the demo config repo.
    writeFileSync(
      config,
      '[metrics]\nweekly = ["organic_search_count"]\n\n[metrics.organic_search_count.statistics.bootstrap_mean]\nnum_samples = 100\n',
    );
    const result = await runMain(
      ['run', '--date', '2026-03-01', '--experiment_slug', DEMO_SLUG, '--config_file', config],
      { ...env, CONTRAIL_HOME: homeFor() },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^config repos: \S+ \(the metric-hub checkout the config file is in\)$/m);
    assert.match(result.stdout, new RegExp(`^${DEMO_SLUG} 2026-03-01: nothing due`, 'm'));
  });

  test('a --platform the config repos do not define is a usage error before anything starts, with the platforms they do', async () => {
    const result = await runMain(
      ['preview', '--experiment_slug', 'contrail-new', '--platform', 'firefox_dekstop', '--num-days', '1'],
      { ...env, CONTRAIL_HOME: homeFor() },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /^contrail: --platform firefox_dekstop: the config repos define no such platform \(did you mean 'firefox_desktop'\?\); platforms: firefox_desktop \(in .*metric-hub; --config_repos names other repos\)$/m,
    );
    assert.doesNotMatch(result.stderr, /starting an embedded Temporal dev server/);
  });

  test('Ctrl-C mid-preview stops it at once: exit 130, one line saying which dates finished and which did not run, nothing half-written, nothing left running', async () => {
    const home = homeFor();
    const env = { CONTRAIL_HOME: home, TEMPORAL_ADDRESS: '', CONTRAIL_LOG_LEVEL: '' };
    const sample = await runMain(['sample', '--clients', '200'], env);
    assert.equal(sample.code, 0, sample.stderr);
    const marker = processMarker();
    let dates: string[] = [];
    // The first staged table write stops where it is, so the signal comes mid-analysis every time.
    // A process group of its own, signalled whole as a terminal's Ctrl-C signals its foreground
    // group: the dev server must still be there to cancel the workflows on.
    const run = spawnCli(['preview', '--experiment_slug', DEMO_SLUG, '--num-days', '2'], {
      env: { ...env, ...marker.env, CONTRAIL_FAULTS: 'stop:runToTable:staging_@1' },
      detached: true,
    });
    try {
      await run.waitForStderr(/contrail fault: stopped at/);
      // A second preview of the experiment on this warehouse is refused before it starts
      // anything, naming the one that runs (it would overwrite its tables).
      // In this process: the refusal is what is checked, not the process that prints it.
      const second = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--sample_size', '50'], env);
      assert.equal(second.code, 1, second.stderr);
      assert.match(
        second.stderr,
        /^contrail: contrail-demo-sidebar in dataset tmp is being written by another contrail command on this warehouse: `contrail preview --experiment_slug contrail-demo-sidebar --num-days 2` \(pid \d+, since [^)]+\); run this again when it has finished/m,
      );
      assert.doesNotMatch(second.stderr, /starting an embedded Temporal dev server/);
      process.kill(-(run.child.pid as number), 'SIGINT');
      const result = await run.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /^SIGINT: cancelling this command's workflows/m);
      // The first date was stopped part way; the second never started, rather than failing as
      // cancelled after the interrupt. Said once, last.
      const said =
        /^contrail: preview of contrail-demo-sidebar interrupted: no date finished; (\d{4}-\d\d-\d\d) stopped part way \(what it had not published dropped\); not run: (\d{4}-\d\d-\d\d)$/;
      const last = result.stderr.trim().split('\n').at(-1) ?? '';
      const [, stopped, notRun] = said.exec(last) ?? assert.fail(`last line:\n${result.stderr}`);
      assert.ok(notRun! > stopped!, last);
      dates = [stopped!, notRun!];
      assert.equal(result.stderr.split('interrupted:').length - 1, 1, result.stderr);
      assert.match(result.stdout, /^Interrupted: no date finished;/m);
      assert.doesNotMatch(result.stderr, /\n\s+at |Channel has been shut down/);
      assert.deepEqual(await marked(marker.pids, 10_000), [], 'no server or worker left');
    } finally {
      run.child.kill('SIGKILL');
      for (const pid of marker.pids()) process.kill(pid, 'SIGKILL');
    }
    // Nothing published: no statistics table or view in the preview dataset, and nothing staged
    // left behind either (the stopped date's staged tables are dropped).
    assert.deepEqual(
      (await previewTables(home)).filter(
        (t) => !t.startsWith('staging_') && (t.startsWith('statistics_') || t.endsWith(' (view)')),
      ),
      [],
    );
    assert.deepEqual(
      (await previewTables(home)).filter((t) => t.startsWith('staging_')),
      [],
    );
    // The costs kept say of each query what the report said: the dashboard shows the same.
    assert.deepEqual(await costOutcomes(home), [`${dates[0]} stopped`, `${dates[1]} interrupted`]);

    // A backfill stopped the same way says how far it had got, what it cancelled and what that
    // leaves of the published results.
    const backfill = spawnCli(
      ['backfill', '--experiment_slug', DEMO_SLUG, '--start_date', '2026-03-14', '--end_date', '2026-03-15'],
      { env: { ...env, ...marker.env, CONTRAIL_FAULTS: 'stop:runToTable:staging_@1' }, detached: true },
    );
    try {
      await backfill.waitForStderr(/contrail fault: stopped at/);
      process.kill(-(backfill.child.pid as number), 'SIGINT');
      const result = await backfill.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(
        result.stderr.trim().split('\n').at(-1) ?? '',
        /^contrail: interrupted \(SIGINT\) while analysing, 0 of 2 done: cancelled .*backfill\/contrail-demo-sidebar\/2026-03-14\.\.2026-03-15; a backfill publishes at its end: unless it was publishing, the published results are as they were$/,
      );
      assert.deepEqual(await marked(marker.pids, 10_000), [], 'no server or worker left');
    } finally {
      backfill.child.kill('SIGKILL');
      for (const pid of marker.pids()) process.kill(pid, 'SIGKILL');
    }

    // Stopped while it publishes, a run waits for its publication to end, however long (a swap
    // cut short would leave the day's tables part new, part old), and says so; its swap is held
    // here for good, so a second Ctrl-C stops it at once.
    const publishing = spawnCli(['run', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'], {
      env: { ...env, ...marker.env, CONTRAIL_FAULTS: 'stop:swapTables@1' },
      detached: true,
    });
    try {
      await publishing.waitForStderr(/contrail fault: stopped at swapTables/);
      process.kill(-(publishing.child.pid as number), 'SIGINT');
      await publishing.waitForStderr(
        /^waiting for publish\/contrail-demo-sidebar to finish publishing: once begun, publishing runs to its end, so that every table of it is replaced at once \(SIGINT again stops at once and may leave its tables part published\)$/m,
        20_000,
      );
      process.kill(-(publishing.child.pid as number), 'SIGINT');
      const result = await publishing.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /^contrail: stopped at once \(SIGINT again\)/m);
      assert.deepEqual(await marked(marker.pids, 10_000), [], 'no server or worker left');
    } finally {
      publishing.child.kill('SIGKILL');
      for (const pid of marker.pids()) process.kill(pid, 'SIGKILL');
    }
  });

  test('a progress query still in flight when the server goes away does not crash the process', async () => {
    const crashes: unknown[] = [];
    const onUncaught = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onUncaught);
    // Not the environment a command another test runs in-process (runMain) sets meanwhile.
    const server = await startDevServer({ startTimeoutMs: 120_000, env: ownEnv() });
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection });
      // No worker serves this queue: the workflow never moves and every progress query hangs.
      const handle = await client.workflow.start('analyzeExperiment', {
        taskQueue: 'nobody-serves-this',
        workflowId: 'follow-test',
        args: [{ slug: DEMO_SLUG, date: '2026-03-15' }],
      });
      const following = followWorkflow(client, handle.workflowId, {
        progressBar: false,
        log: () => undefined,
      });
      await new Promise((r) => setTimeout(r, 1_500)); // a poll or two are now waiting
      await handle.terminate('the test ends it');
      await assert.rejects(following, CliError);
    } finally {
      await connection.close();
      await server.stop();
    }
    // The SDK retries a failed call after a back-off: give any call left behind time to do so.
    await new Promise((r) => setTimeout(r, 2_000));
    process.off('uncaughtException', onUncaught);
    assert.deepEqual(crashes.map(String), []);
  });
});
