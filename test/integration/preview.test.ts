import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { QUERY_COSTS_TABLE } from '../../src/analysis/query-costs.js';
import { portIsFree } from '../../src/client/ports.js';
import { DEFAULT_DASHBOARD_PORT } from '../../src/dashboard/url.js';
import { experimenterSource } from '../../src/experiments/experimenter.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { normalizeSlug } from '../../src/warehouse/identifiers.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { createContrailWorker } from '../../src/worker.js';
import { runMain } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { DEMO_EXPERIMENTS_FILE, lightConfigRepo, sampleWarehouse } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

const DRAFT = 'contrail-draft-sidebar';
const UNKNOWN = 'contrail-not-in-experimenter';

/** A config for an experiment Experimenter has no dates for yet: the config says when it starts. */
const CONFIG = `[experiment]
start_date = "2026-03-02"
enrollment_period = 7

[metrics]
daily = ["active_hours"]

[metrics.active_hours.statistics.bootstrap_mean]
num_samples = 200
`;

/** A config that does not say when its experiment starts: it has not launched. */
const NOT_LAUNCHED_CONFIG = CONFIG.replace('start_date = "2026-03-02"\n', '');

/** The same config with one metric whose SQL the warehouse rejects (a column the data source lacks). */
const BROKEN_CONFIG = `[experiment]
start_date = "2026-03-02"
enrollment_period = 7

[metrics]
daily = ["active_hours", "broken_hours"]

[metrics.active_hours.statistics.bootstrap_mean]
num_samples = 200

[metrics.broken_hours]
data_source = "clients_daily"
select_expression = "SUM(no_such_column)"

[metrics.broken_hours.statistics.bootstrap_mean]
num_samples = 200
`;

/**
 * `contrail preview` against a running Temporal whose worker reads experiments from a loopback
 * Experimenter (the demo experiment launched, a draft of it), on an in-memory warehouse with a
 * small synthetic sample: the cost estimate comes first and `--max-bytes` refuses before any
 * query runs; a draft, and a config for an experiment Experimenter does not know (`--platform`),
 * preview end to end with a generated population, and keep their per-query costs.
 */
describe('contrail preview', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  let worker: Worker;
  let running: Promise<void>;
  let server: Server;
  let env: NodeJS.ProcessEnv;
  let configFile: string;
  let brokenConfigFile: string;
  let notLaunchedConfigFile: string;
  const requested: string[] = [];

  before(async () => {
    temporal = await testTemporal();
    warehouse = await sampleWarehouse(2000);
    const demo = (JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[]).find(
      (e) => e.slug === DEMO_SLUG,
    );
    assert.ok(demo);
    const draft = {
      ...demo,
      slug: DRAFT,
      status: 'Draft',
      startDate: null,
      enrollmentEndDate: null,
      endDate: null,
    };
    server = createServer((req, res) => {
      requested.push(req.url ?? '');
      const body =
        req.url === '/api/v8/experiments/'
          ? [demo]
          : req.url === '/api/v8/draft-experiments/'
            ? [draft]
            : { detail: 'Not found.' };
      res.writeHead(Array.isArray(body) ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      // Light bootstraps: the checks are on estimates, tables, costs and reported errors, not intervals.
      deps: testDeps(warehouse, {
        configRepos: [lightConfigRepo()],
        experiments: experimenterSource({ baseUrl, cacheTtlMs: 0 }),
      }),
    });
    running = worker.run();
    env = temporal.env;
    configFile = join(mkdtempSync(join(tmpdir(), 'contrail-preview-')), 'config.toml');
    writeFileSync(configFile, CONFIG);
    brokenConfigFile = join(mkdtempSync(join(tmpdir(), 'contrail-preview-')), 'broken.toml');
    writeFileSync(brokenConfigFile, BROKEN_CONFIG);
    notLaunchedConfigFile = join(mkdtempSync(join(tmpdir(), 'contrail-preview-')), 'not-launched.toml');
    writeFileSync(notLaunchedConfigFile, NOT_LAUNCHED_CONFIG);
  });
  after(async () => {
    worker.shutdown();
    await running;
    await warehouse.close();
    await temporal.close();
    await new Promise((resolve) => server.close(resolve));
  });

  test('--max-bytes below the estimate refuses before any query runs, after printing the estimate', async () => {
    const refused = (maxBytes: string) =>
      runMain(
        [
          'preview',
          '--experiment_slug',
          DEMO_SLUG,
          '--dataset_id',
          'refused',
          '--end_date',
          '2026-03-15',
          '--max-bytes',
          maxBytes,
        ],
        env,
      );
    const result = await refused('1KB');
    assert.equal(result.code, 1, result.stderr);
    const estimateAt = result.stderr.indexOf(
      'cost before running (estimate from the sizes of the columns read',
    );
    const refusalAt = result.stderr.indexOf('more than --max_bytes 1000 B');
    assert.ok(estimateAt >= 0, result.stderr);
    assert.ok(refusalAt > estimateAt, `the estimate comes first:\n${result.stderr}`);
    assert.match(result.stderr, /enrollments_contrail_demo_sidebar {2}\d/);
    assert.match(
      result.stderr,
      /biggest queries: (enrollments|metrics)_contrail_demo_sidebar\w* \(2026-03-1\d\): [\d.]+ [KM]iB/,
    );
    // What lowers the bill, and not what does not: a sample still reads whole columns; with the
    // enrollments query alone over the limit, fewer days do not either.
    assert.match(
      result.stderr,
      /The enrollments query alone is over it, however few days or periods are previewed: raise --max_bytes \(a smaller --sample_size does not help/,
    );
    // Over the enrollments query's bill (its 10 MB a table read) but under the preview's, which
    // counts each query of the preview's own tables at BigQuery's 10 MB too.
    const withinEnrollments = await refused('100MB');
    assert.equal(withinEnrollments.code, 1, withinEnrollments.stderr);
    assert.match(
      withinEnrollments.stderr,
      /Preview fewer days \(--num_days\) or periods \(--analysis_periods\), or raise --max_bytes \(a smaller --sample_size does not help/,
    );
    // Nothing ran: the preview dataset was not even created.
    assert.deepEqual(await warehouse.listTables('refused'), []);
  });

  test('a preview with nothing due on any date leaves the earlier preview as it was', async () => {
    const preview = (...dates: string[]) =>
      runMain(['preview', '--experiment_slug', DEMO_SLUG, '--dataset_id', 'kept', ...dates], env);
    const first = await preview('--end_date', '2026-03-15', '--num-days', '1');
    assert.equal(first.code, 0, first.stderr);
    const tables = async () => (await warehouse.listTables('kept')).map((t) => t.ref.table);
    const earlier = await tables();
    assert.ok(earlier.includes('statistics_contrail_demo_sidebar_day_7'), earlier.join(', '));
    // Before the experiment started: a mistyped date, say.
    const idle = await preview('--start_date', '2026-01-01', '--end_date', '2026-01-02');
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /nothing was due on any previewed date/);
    assert.deepEqual(await tables(), earlier);
  });

  test('a malformed --max-bytes is a usage error naming the option', async () => {
    const result = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--max-bytes', 'lots'], env);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--max_bytes "lots": expected a number of bytes/);
  });

  test('a draft served by Experimenter previews end to end with a generated population', async () => {
    const common = ['--config_file', configFile, '--end_date', '2026-03-10', '--num-days', '2'];
    const result = await runMain(
      ['preview', '--experiment_slug', DRAFT, '--generate-population', '--sample_size', '50', ...common],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.ok(requested.includes('/api/v8/draft-experiments/'), 'the preview asked for drafts');
    assert.match(
      result.stdout,
      new RegExp(`preview of ${DRAFT}, 2026-03-09 … 2026-03-10, 50% sample, dataset tmp`),
    );
    assert.match(result.stdout, /statistics_contrail_draft_sidebar_day_2/);
    const url = 'http://127.0.0.1:8050/?dataset=tmp&experiment=contrail-draft-sidebar';
    assert.equal(result.stdout.trim().split('\n').at(-1), `dashboard: ${url}`);
    // No dashboard runs for this warehouse: the hint, on stderr, names the page itself, since the
    // report it follows is on stdout (here, as when redirected, not "above" it). Said only when
    // nothing else listens on the dashboard's port.
    assert.doesNotMatch(result.stderr, /URL above/);
    if (await portIsFree(DEFAULT_DASHBOARD_PORT))
      assert.equal(
        result.stderr.trim().split('\n').at(-1),
        `the dashboard is not running: start it with \`contrail dashboard\` (in another terminal) and open ${url}`,
      );
    const costs = await warehouse.query<{
      destination: string;
      elapsed_ms: number | null;
      estimated_bytes: number | null;
    }>(
      `SELECT destination, elapsed_ms, estimated_bytes FROM tmp.${QUERY_COSTS_TABLE} WHERE experiment = '${DRAFT}'`,
    );
    const scans = costs.filter((c) =>
      c.destination.startsWith('metrics_22_contrail_draft_sidebar_clients_daily_day'),
    );
    assert.equal(scans.length, 2, JSON.stringify(costs));
    for (const scan of scans) {
      assert.ok((scan.estimated_bytes ?? 0) > 0, 'estimated before running');
      assert.ok(scan.elapsed_ms !== null, 'timed when it ran');
    }
    // The generated population's query ran too, and is counted as having run.
    const population = costs.filter((c) => c.destination === 'enrollments_contrail_draft_sidebar');
    assert.equal(population.length, 1, JSON.stringify(costs));
    assert.ok(
      population[0]?.elapsed_ms != null,
      `the population query is timed: ${JSON.stringify(population)}`,
    );

    // With --json, stdout is the JSON alone, and no hint follows it (run after the costs above
    // are counted: it runs the queries again).
    const json = await runMain(
      [
        'preview',
        '--experiment_slug',
        DRAFT,
        '--generate-population',
        '--sample_size',
        '50',
        ...common,
        '--json',
      ],
      env,
    );
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { slug: string }).slug, DRAFT);
    assert.doesNotMatch(json.stderr, /dashboard/);

    // The daily analysis never analyses drafts, and says the slug is one.
    const daily = await runMain(['run', '--experiment_slug', DRAFT, '--date', '2026-03-10'], env);
    assert.notEqual(daily.code, 0);
    assert.match(
      `${daily.stdout}${daily.stderr}`,
      /experiment 'contrail-draft-sidebar' is a draft in the experiment source, not launched/,
    );
  });

  test('a config whose start_date moves enrollment off when the sample enrolled names those dates and keys, not the sample size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-preview-'));
    const moved = join(dir, 'moved.toml');
    // The demo experiment enrolled 2026-03-02 … 2026-03-08: a month earlier nobody did.
    writeFileSync(moved, CONFIG.replace('start_date = "2026-03-02"', 'start_date = "2026-02-02"'));
    const result = await runMain(
      [
        'preview',
        '--experiment_slug',
        DEMO_SLUG,
        '--config_file',
        moved,
        '--end_date',
        '2026-03-10',
        '--num-days',
        '1',
        '--dataset_id',
        'moved',
      ],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(
        `^ {2}no results: no client of the 1% sample is enrolled in ${DEMO_SLUG} on 2026-02-02 … 2026-02-09, ` +
          `the enrollment dates set by ${moved}:2 experiment\\.start_date and ${moved}:3 experiment\\.enrollment_period ` +
          "\\(the experiment's own: 2026-03-02 … 2026-03-09\\): if its clients enrolled on other dates, correct those keys; else try a larger --sample_size$",
        'm',
      ),
    );
  });

  test('a preview that fails as a whole leaves no --sql-output-dir it made behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-preview-'));
    const unknown = join(dir, 'unknown-metric.toml');
    writeFileSync(unknown, '[metrics]\nweekly = ["no_such_metric"]\n');
    const result = await runMain(
      [
        'preview',
        '--experiment_slug',
        DEMO_SLUG,
        '--config_file',
        unknown,
        '--end_date',
        '2026-03-10',
        '--dataset_id',
        'failed',
        '--sql-output-dir',
        join(dir, 'sql', 'out'),
      ],
      env,
    );
    assert.equal(result.code, 1, result.stderr);
    // The worker refused the config: nothing ran, nothing to write.
    assert.match(result.stderr, /metric 'no_such_metric' is not defined/);
    assert.deepEqual(readdirSync(dir), ['unknown-metric.toml']);
  });

  /** A one-day preview of the custom config for an experiment Experimenter does not know, on a generated population. */
  const previewOfUnknown = (slug: string, file: string, ...extra: string[]) =>
    runMain(
      [
        'preview',
        '--experiment_slug',
        slug,
        '--config_file',
        file,
        '--end_date',
        '2026-03-10',
        '--num-days',
        '1',
        '--generate-population',
        ...extra,
      ],
      env,
    );
  const ON_DESKTOP = ['--sample_size', '50', '--platform', 'firefox_desktop'];

  test('a config for an experiment Experimenter does not know, with no start date, previews on --platform', async () => {
    const refused = await previewOfUnknown(UNKNOWN, notLaunchedConfigFile);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /unknown experiment 'contrail-not-in-experimenter'.*pass --platform/);

    // Nothing says when it starts: the population enrolls over its enrollment period (7 days)
    // up to the previewed date, so the date is its first day.
    const result = await previewOfUnknown(UNKNOWN, notLaunchedConfigFile, ...ON_DESKTOP);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^ {2}contrail-not-in-experimenter has no start date \(not launched\): the generated population enrolled 2026-03-03 … 2026-03-10, /m,
    );
    assert.match(result.stdout, /2026-03-10: statistics_contrail_not_in_experimenter_day_1 \([1-9]\d* rows/);
  });

  test('an experiment whose slug starts with a digit previews end to end: its tables and views start with the digit', async () => {
    const slug = '1-click-contrail-test';
    const result = await previewOfUnknown(slug, configFile, ...ON_DESKTOP, '--dataset_id', 'digits');
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /statistics_1_click_contrail_test_day_2/);
    const tables = (await warehouse.listTables('digits')).map((t) => t.ref.table);
    for (const table of [
      'enrollments_1_click_contrail_test',
      '1_click_contrail_test_enrollments_clients_daily_day_2',
      '1_click_contrail_test_enrollments_daily',
      'statistics_1_click_contrail_test_daily',
    ])
      assert.ok(tables.includes(table), `${table} in ${tables.join(', ')}`);
    assert.ok(!tables.some((t) => t.startsWith('staging_')), tables.join(', '));
    const [row] = await warehouse.query<{ n: number }>(
      `SELECT count(*) AS n FROM digits."1_click_contrail_test_enrollments_daily"`,
    );
    assert.ok(Number(row?.n) > 0, 'the published view reads the published table');
  });

  test('a metric the warehouse rejects is reported at the end, under its config file and key, once with its dates; the SQL is written', async () => {
    const sqlDir = mkdtempSync(join(tmpdir(), 'contrail-preview-sql-'));
    const result = await runMain(
      [
        'preview',
        '--experiment_slug',
        UNKNOWN,
        '--config_file',
        brokenConfigFile,
        '--end_date',
        '2026-03-10',
        '--num-days',
        '2',
        '--generate-population',
        '--sample_size',
        '50',
        '--platform',
        'firefox_desktop',
        '--dataset_id',
        'broken',
        '--sql-output-dir',
        sqlDir,
      ],
      env,
    );
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    // The failed run's SQL is written all the same: its author needs it most.
    assert.match(result.stderr, new RegExp(`^wrote \\d+ queries to ${sqlDir}$`, 'm'));
    const written = readdirSync(join(sqlDir, '2026-03-10'));
    assert.ok(
      written.some((f) => readFileSync(join(sqlDir, '2026-03-10', f), 'utf8').includes('no_such_column')),
      written.join(', '),
    );
    // The enrollments written are the generated population's, the query that ran: once, on the
    // first date (the experiment's own enrollment query never ran).
    const population = readFileSync(
      join(sqlDir, '2026-03-09', `enrollments_${normalizeSlug(UNKNOWN)}.sql`),
      'utf8',
    );
    assert.match(population, /^-- contrail: population sample \(preview --generate_population\)$/m);
    assert.ok(!written.some((f) => f.startsWith('enrollments_')), written.join(', '));
    const report = result.stdout;
    // Per query, what happened: each failed date's scan failed (it did not go unrun), and the
    // generated population's query ran.
    for (const date of ['2026-03-09', '2026-03-10']) {
      assert.match(
        report,
        new RegExp(
          `^ {2}${date} {2}metrics_28_contrail_not_in_experimenter_clients_daily_day_\\d+ {2}FAILED`,
          'm',
        ),
        report,
      );
    }
    assert.doesNotMatch(report, /not run/, report);
    assert.match(report, /; 2 failed$/m, report);
    const section = report.slice(report.indexOf('errors and warnings, by config file:'));
    assert.ok(section.length < report.length, `${report}\n${result.stderr}`);
    // The file, then the key of the rejected expression with its line, then the error once for both dates.
    const lines = section.split('\n');
    const fileAt = lines.findIndex((l) => l.trim().endsWith('broken.toml'));
    assert.ok(fileAt > 0, section);
    const keyAt = lines.findIndex((l) =>
      /^ {4}metrics\.broken_hours\.select_expression \(line 13\) \(metric broken_hours\)$/.test(l),
    );
    assert.ok(keyAt > fileAt, section);
    assert.match(
      lines[keyAt + 1] ?? '',
      /^ {6}ERROR PlannedQueryError: warehouse said: Binder Error: .*no_such_column.* \[2 dates: 2026-03-09, 2026-03-10\]$/,
    );
    assert.equal(section.match(/PlannedQueryError/g)?.length, 1, section);
    // The command ends with what failed, not with what was previewed.
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      `contrail: preview of ${UNKNOWN} failed on 2 of 2 dates (2026-03-09, 2026-03-10): the errors are listed in its report, under their config files`,
    );

    // The logs table the dashboard reads has the same facts in its own columns.
    const logged = await warehouse.query<Record<string, unknown>>(
      "SELECT analysis_date, metric, config_file, config_key, config_line, query, message FROM broken.logs WHERE log_level = 'ERROR' ORDER BY analysis_date",
    );
    assert.equal(logged.length, 2, JSON.stringify(logged));
    assert.doesNotMatch(`${JSON.stringify(logged)}\n${report}`, /staging_/);
    for (const row of logged) {
      assert.equal(row.metric, 'broken_hours');
      assert.match(String(row.config_file), /broken\.toml$/);
      assert.equal(row.config_key, 'metrics.broken_hours.select_expression');
      assert.equal(Number(row.config_line), 13);
      // The table people know (the run wrote it under a staging name first).
      assert.match(String(row.query), /^metrics_28_contrail_not_in_experimenter_clients_daily_day_\d+$/);
    }
  });
});
