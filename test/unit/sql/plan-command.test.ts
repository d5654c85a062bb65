import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runMain } from '../../helpers/cli.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';

const experiments = [
  {
    slug: 'plan-test',
    appName: 'firefox_desktop',
    appId: 'firefox-desktop',
    branches: [
      { slug: 'control', ratio: 1 },
      { slug: 'treatment', ratio: 1 },
    ],
    startDate: '2024-01-01',
    endDate: '2024-02-15',
    proposedEnrollment: 7,
  },
];

/** A config for an experiment no experiments source knows: the config says when it starts. */
const NEW_EXPERIMENT_CONFIG = `[experiment]
start_date = "2024-01-02"
enrollment_period = 7

[metrics]
daily = ["active_hours"]

[metrics.active_hours.statistics.bootstrap_mean]
`;

/** A scratch directory holding an experiments file with `records`: its path and the directory. */
async function experimentsFile(records: object[]): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'contrail-plan-'));
  const file = join(dir, 'experiments.json');
  await writeFile(file, JSON.stringify(records));
  return { dir, file };
}

/**
 * `contrail plan` of `slug` on 2024-01-14 with the metric-hub fixtures, its SQL written to `out`;
 * its exit code. Through runMain: a command run in this process reads process.exitCode, which
 * node's test runner sets to 1 once any test of the process (a batch of files) fails.
 */
const plan = async (slug: string, out: string, file: string, ...extra: string[]) =>
  (
    await runMain([
      'plan',
      '--experiment-slug',
      slug,
      '--date',
      '2024-01-14',
      '--sql_output_dir',
      out,
      '--config_repos',
      metricHubFixtures(),
      '--experiments-file',
      file,
      ...extra,
    ])
  ).code;

/** `contrail plan` of a config for the experiment no source knows, on 2024-01-10 and --platform firefox_desktop. */
const planNewConfig = (config: string, file: string) =>
  runMain([
    'plan',
    '--experiment_slug',
    'plan-new',
    '--date',
    '2024-01-10',
    '--config_file',
    config,
    '--experiments_file',
    file,
    '--platform',
    'firefox_desktop',
  ]);

describe('contrail plan', () => {
  it('writes one file per destination table for the analysis of a date', async () => {
    const { dir, file } = await experimentsFile(experiments);
    const out = join(dir, 'sql');
    const code = await plan('plan-test', out, file);
    assert.equal(code, 0);
    const files = (await readdir(out)).sort();
    assert.ok(files.includes('enrollments_plan_test.sql'));
    assert.ok(files.includes('plan_test_enrollments_clients_daily_week_1.sql'));
    assert.ok(files.includes('statistic_inputs_plan_test_exposures_clients_daily_day_7.sql'));
    // One scan of clients_daily for both bases; jetstream's per-basis tables are split from it.
    const scan = await readFile(join(out, 'metrics_9_plan_test_clients_daily_week_1.sql'), 'utf8');
    assert.match(scan, /^-- contrail: metrics per client and analysis basis/);
    assert.match(scan, /-- analysis basis: enrollments, exposures/);
    assert.match(
      scan,
      /CASE WHEN e\.analysis_basis = 'exposures' THEN e\.exposure_date ELSE e\.enrollment_date END \+ 6/,
    );
    const sql = await readFile(join(out, 'plan_test_exposures_clients_daily_week_1.sql'), 'utf8');
    assert.match(
      sql,
      /^-- contrail: metrics per client, split from metrics_9_plan_test_clients_daily_week_1/,
    );
    assert.match(
      sql,
      /FROM "contrail"\."metrics_9_plan_test_clients_daily_week_1"\nWHERE analysis_basis = 'exposures'/,
    );
  });

  it('names the unknown experiment and exits 1', async () => {
    const { file } = await experimentsFile(experiments);
    const { code } = await runMain([
      'plan',
      '--experiment_slug',
      'nope',
      '--date',
      '2024-01-14',
      '--experiments_file',
      file,
    ]);
    assert.equal(code, 1);
  });

  it('plans an experiment whose slug starts with a digit, in both dialects', async () => {
    const { dir, file } = await experimentsFile([{ ...experiments[0], slug: '1-click-plan-test' }]);
    for (const dialect of ['duckdb', 'bigquery']) {
      const out = join(dir, dialect);
      const code = await plan('1-click-plan-test', out, file, '--dialect', dialect);
      assert.equal(code, 0, dialect);
      const files = await readdir(out);
      assert.ok(files.includes('1_click_plan_test_enrollments_clients_daily_week_1.sql'), dialect);
      const split = await readFile(join(out, '1_click_plan_test_exposures_clients_daily_week_1.sql'), 'utf8');
      assert.match(
        split,
        dialect === 'duckdb'
          ? /FROM "contrail"\."metrics_17_1_click_plan_test_clients_daily_week_1"/
          : /FROM `contrail\.metrics_17_1_click_plan_test_clients_daily_week_1`/,
      );
    }
  });

  it('plans a config for an experiment no source knows on --platform, and says so when it is missing', async () => {
    const { dir, file } = await experimentsFile(experiments);
    const config = join(dir, 'new-experiment.toml');
    await writeFile(config, NEW_EXPERIMENT_CONFIG);
    const unknown = ['plan', '--experiment_slug', 'plan-new', '--date', '2024-01-10'];
    const args = [...unknown, '--config_file', config];
    const refused = await runMain([
      ...unknown,
      '--experiments_file',
      file,
      '--config_repos',
      metricHubFixtures(),
    ]);
    assert.equal(refused.code, 1);
    const hint = /; to plan a config for an experiment no source knows, pass (.*?) \(experiments from /.exec(
      refused.stderr,
    );
    assert.ok(hint, refused.stderr);
    // The hint names options plan takes, and only those.
    const named = hint[1]?.match(/--[a-z_-]+/g) ?? [];
    assert.deepEqual(named, ['--config_file', '--platform']);
    const help = (await runMain(['plan', '--help'])).stdout;
    for (const option of named) assert.match(help, new RegExp(`^ +${option}\\b`, 'm'), option);
    // Its config alone does not choose among the several platforms that define what it references.
    const ambiguous = await runMain([
      ...args,
      '--experiments_file',
      file,
      '--config_repos',
      metricHubFixtures(),
    ]);
    // A usage error naming the platforms to choose from, not the experiment as unknown.
    assert.equal(ambiguous.code, 2, ambiguous.stderr);
    assert.match(
      ambiguous.stderr,
      /^contrail: --platform is needed: experiment 'plan-new' is in no experiments source and \d+ platforms define everything .*new-experiment\.toml references \((\w+, )+\w+\); pass --platform with the app it runs on$/m,
    );
    assert.doesNotMatch(ambiguous.stderr, /^platform: /m);

    const out = join(dir, 'sql');
    const planned = await runMain([
      ...args,
      '--experiments_file',
      file,
      '--config_repos',
      metricHubFixtures(),
      '--platform',
      'firefox_desktop',
      '--sql-output-dir',
      out,
    ]);
    assert.equal(planned.code, 0, planned.stderr);
    const files = await readdir(out);
    assert.ok(files.includes('enrollments_plan_new.sql'), files.join(', '));
    assert.ok(
      files.includes('statistic_inputs_plan_new_enrollments_clients_daily_day_2.sql'),
      files.join(', '),
    );
    // The enrollment period starts on the config's own start date.
    const enrollments = await readFile(join(out, 'enrollments_plan_new.sql'), 'utf8');
    assert.match(enrollments, /2024-01-02/);
  });

  it("a config file in a metric-hub checkout is planned with that checkout's definitions, and says so", async () => {
    const { dir, file } = await experimentsFile(experiments);
    const checkout = join(dir, 'metric-hub');
    await cp(join(metricHubFixtures(), 'definitions'), join(checkout, 'definitions'), { recursive: true });
    await mkdir(join(checkout, 'jetstream'));
    // organic_search_count is defined in the checkout, not in the demo config repo.
    const config = join(checkout, 'jetstream', 'plan-new.toml');
    await writeFile(
      config,
      NEW_EXPERIMENT_CONFIG.replace('daily = ["active_hours"]', 'daily = ["organic_search_count"]').replace(
        'metrics.active_hours.statistics',
        'metrics.organic_search_count.statistics',
      ),
    );
    const result = await planNewConfig(config, file);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`^config repos: ${checkout} \\(the metric-hub checkout the config file is in\\)$`, 'm'),
    );
    assert.match(result.stdout, /organic_search_count/);
  });

  it('a --config_file that cannot be read is a usage error naming it, with why and what it takes', async () => {
    const { dir, file } = await experimentsFile(experiments);
    const result = await planNewConfig(join(dir, 'missing.toml'), file);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^contrail: --config_file \S+missing\.toml: no such file \(expected an experiment config, a \.toml file\)$/m,
    );
  });

  it('without --sql-output-dir prints the SQL of every query, headed by its table, and says how to get files', async () => {
    const { dir, file } = await experimentsFile(experiments);
    const out = join(dir, 'sql');
    const args = [
      'plan',
      '--experiment_slug',
      'plan-test',
      '--date',
      '2024-01-14',
      '--config_repos',
      metricHubFixtures(),
      '--experiments_file',
      file,
    ];
    const written = await runMain([...args, '--sql-output-dir', out]);
    assert.equal(written.code, 0, written.stderr);
    const printed = await runMain(args);
    assert.equal(printed.code, 0, printed.stderr);
    // The same queries as the files, in the same order, each after its destination.
    const listed = written.stdout.trim().split('\n');
    assert.ok(listed.length > 5, written.stdout);
    const expected: string[] = [];
    for (const line of listed) {
      const [table, path] = line.split('\t') as [string, string];
      expected.push(`-- destination: ${table}\n${(await readFile(path, 'utf8')).trimEnd()}\n`);
    }
    assert.equal(printed.stdout, expected.join('\n'));
    assert.match(
      printed.stderr,
      new RegExp(`^${listed.length} queries; --sql_output_dir DIR writes one file per table`, 'm'),
    );
  });

  it('rejects a bad date as a usage error', async () => {
    assert.equal((await runMain(['plan', '--experiment_slug', 'plan-test', '--date', '2024-02-30'])).code, 2);
  });
});
