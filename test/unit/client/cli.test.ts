import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yargs from 'yargs';
import { buildParser } from '../../../src/client/cli.js';
import { commands } from '../../../src/client/commands/index.js';
import { commonOptions } from '../../../src/client/options.js';
import { planSql } from '../../../src/client/plan-sql.js';
import { defaultConfigRepos } from '../../../src/config/collection.js';
import { dateRange } from '../../../src/dates.js';
import { defaultExperimentsFile } from '../../../src/experiments/source.js';
import { DEMO_DATA } from '../../../src/sample/defaults.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { cliLauncher, repoRoot, runCliListingModules, runMain, spawnCli } from '../../helpers/cli.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';
import { DEMO_CONFIG_REPO } from '../../helpers/sample.js';

describe('command line options', () => {
  it('repeatable options take one value per flag, as jetstream does', async () => {
    const args = await commonOptions(yargs([]))
      .parserConfiguration({ 'greedy-arrays': false })
      .parseAsync([
        '--config_repos',
        DEMO_CONFIG_REPO,
        '--config-repos',
        metricHubFixtures(),
        '--analysis_periods',
        'week',
        'file.toml',
      ]);
    assert.deepEqual(args.config_repos, [DEMO_CONFIG_REPO, metricHubFixtures()]);
    assert.deepEqual(args.analysis_periods, ['week']);
    assert.deepEqual(args._, ['file.toml']);
  });

  it('validate FILE after --config_repos DIR validates the file against that repo', async () => {
    const file = join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`);
    const result = await runMain(['validate', '--config_repos', DEMO_CONFIG_REPO, file], {
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-validate-')),
    });
    assert.doesNotMatch(result.stderr, /Not enough non-option arguments/);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split('\n')[0], `config repos: ${DEMO_CONFIG_REPO} (--config_repos)`);
    assert.match(result.stdout, new RegExp(`^ok\\s+${file.replaceAll('.', '\\.')}`, 'm'));
  });

  it('a repeatable option without its value is a usage error naming it', async () => {
    const result = await runMain([
      'backfill',
      '--start_date',
      '2026-03-09',
      '--end_date',
      '2026-03-15',
      '--experiment_slug',
    ]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      'contrail: --experiment_slug needs a value (nothing follows it)',
    );
    // As any other option's: the parser's own words named neither the option as typed nor why.
    for (const [args, said] of [
      [['stats', 'x.csv', '--statistic', 'count', '--param'], '--param needs a value (nothing follows it)'],
      [
        ['run', '--date', '2026-03-15', '--analysis-periods', '--lenient'],
        '--analysis-periods needs a value (it is followed by the option --lenient)',
      ],
    ] as const) {
      const other = await runMain([...args]);
      assert.equal(other.code, 2, other.stderr);
      assert.equal(other.stderr.trim().split('\n').at(-1), `contrail: ${said}`);
    }
  });

  it('an option left without its value is a usage error naming it, not its default taken silently', async () => {
    // `--dataset_id` followed by another option used to write to the default dataset, and
    // `--config_file` alone to plan the repo's config instead of the one meant.
    const plan = ['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'];
    const cases: [string[], string][] = [
      [
        [...plan, '--dataset_id', '--sql-output-dir', mkdtempSync(join(tmpdir(), 'contrail-valueless-'))],
        '--dataset_id needs a value (it is followed by the option --sql-output-dir)',
      ],
      [[...plan, '--config_file'], '--config_file needs a value (nothing follows it)'],
      [['run', '--date'], '--date needs a value (nothing follows it)'],
      [
        ['preview', '--experiment-slug', '--num-days', '2'],
        '--experiment-slug needs a value (it is followed by the option --num-days)',
      ],
    ];
    for (const [args, said] of cases) {
      const result = await runMain(args, { TEMPORAL_ADDRESS: '' });
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stdout, '', 'no SQL printed or written for a plan the user did not ask for');
      assert.equal(result.stderr.trim().split('\n').at(-1), `contrail: ${said}`);
    }
  });

  it('an option that takes one value, given twice, is a usage error listing both', async () => {
    const result = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--slug', 'other'], {
      TEMPORAL_ADDRESS: '',
    });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr.trim().split('\n').at(-1),
      `contrail: --experiment_slug and --slug (one option) are given 2 values (${DEMO_SLUG}, other): contrail preview takes one`,
    );
    const twice = await runMain([
      'plan',
      '--experiment_slug',
      DEMO_SLUG,
      '--date',
      '2026-03-15',
      '--date',
      '2026-03-16',
    ]);
    assert.equal(twice.code, 2);
    assert.match(
      twice.stderr,
      /^contrail: --date is given 2 times \(2026-03-15, 2026-03-16\): contrail plan takes one$/m,
    );
  });

  it('one value given under two names of its option is that value, not a list refused', async () => {
    // `--slug X --experiment_slug X` was refused as "--slug is given 2 times", and an
    // experiments file named twice failed its own check on the list the parser made of it.
    const experiments = defaultExperimentsFile({});
    const result = await runMain(
      [
        'plan',
        '--slug',
        DEMO_SLUG,
        '--experiment_slug',
        DEMO_SLUG,
        '--experiments_file',
        experiments,
        '--experiments-file',
        experiments,
        '--date',
        '2026-03-15',
        '--date=2026-03-15',
      ],
      { TEMPORAL_ADDRESS: '' },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^-- experiment: ${DEMO_SLUG}$`, 'm'));
  });

  it('a required option or argument left out is named as it is written on the command line', async () => {
    const cases: [string[], string][] = [
      [['run'], '--date is required (see the options above)'],
      [
        ['backfill', '--experiment_slug', DEMO_SLUG],
        '--start_date and --end_date are required (see the options above)',
      ],
      [['validate'], 'missing <files..>: the command is `contrail validate <files..>` (see above)'],
      [
        ['stats', '--statistic', 'count'],
        'missing <file>: the command is `contrail stats <file>` (see above)',
      ],
      [['cancel'], 'missing <workflow_id>: the command is `contrail cancel <workflow_id>` (see above)'],
      [
        ['cancel', '--no-wait'],
        'missing <workflow_id>: the command is `contrail cancel <workflow_id>` (see above)',
      ],
    ];
    for (const [args, said] of cases) {
      const result = await runMain(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stderr.trim().split('\n').at(-1), `contrail: ${said}`);
    }
  });

  it('a CONTRAIL_EXPERIMENTS_FILE that is not there is refused before anything starts, naming the setting', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-experiments-setting-'));
    const missing = join(home, 'fleet.json');
    const env = {
      TEMPORAL_ADDRESS: '',
      CONTRAIL_EXPERIMENTER_URL: '',
      CONTRAIL_EXPERIMENTS_FILE: missing,
      CONTRAIL_HOME: home,
    };
    const said = `contrail: CONTRAIL_EXPERIMENTS_FILE=${missing}: no such file (expected an Experimenter v8 JSON file; or set CONTRAIL_EXPERIMENTER_URL)`;
    // A run started its embedded server, then failed in the workflow on the worker's ENOENT.
    const run = await runMain(['run', '--date', '2026-03-15', '--experiment_slug', DEMO_SLUG], env);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr.trim(), said);
    const plan = await runMain(['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'], env);
    assert.equal(plan.code, 1, plan.stderr);
    assert.equal(plan.stderr.trim(), said);
    // Experiments from Experimenter: the file is not read, so not checked.
    const help = await runMain(['plan', '--help'], {
      ...env,
      CONTRAIL_EXPERIMENTER_URL: 'https://experimenter.example',
    });
    assert.equal(help.code, 0, help.stderr);
  });

  it('validate names the experiments file it could not read by the setting that gave it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-experiments-setting-'));
    const file = join(home, 'fleet.json');
    writeFileSync(file, Buffer.from('[{"slug": "caf\xe9"}]', 'latin1'));
    const file2 = join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`);
    const result = await runMain(['validate', file2], {
      CONTRAIL_EXPERIMENTER_URL: '',
      CONTRAIL_EXPERIMENTS_FILE: file,
      CONTRAIL_HOME: home,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`^contrail: CONTRAIL_EXPERIMENTS_FILE: ${file}:1: not UTF-8`, 'm'),
    );
  });

  it('a config or experiments file saved as UTF-16 is said to be UTF-16, with the conversion that mends it', async () => {
    // Both were told they held Latin-1 bytes, to be mended with `iconv -f latin1`, which would not.
    const home = mkdtempSync(join(tmpdir(), 'contrail-utf16-'));
    const config = readFileSync(join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`), 'utf8');
    const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
    const cases = [
      ['bom-le.toml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(config, 'utf16le')]), 'utf-16'],
      ['bom-be.toml', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(config)]), 'utf-16'],
      ['le.toml', Buffer.from(config, 'utf16le'), 'utf-16le'],
      ['be.toml', utf16be(config), 'utf-16be'],
    ] as const;
    for (const [name, bytes, from] of cases) {
      const file = join(home, name);
      writeFileSync(file, bytes);
      const result = await runMain(['validate', file], {
        CONTRAIL_HOME: home,
        CONTRAIL_EXPERIMENTER_URL: '',
      });
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(
          `^  error: ${file}:1: not UTF-8 text: the file is UTF-16 \\([^)]+\\); TOML files are UTF-8: save the file as UTF-8 \\(iconv -f ${from} -t utf-8\\)$`,
          'm',
        ),
        name,
      );
      assert.doesNotMatch(result.stdout, /latin1|TOML syntax error/, name);
    }
    const experiments = join(home, 'experiments.json');
    const json = readFileSync(defaultExperimentsFile({}), 'utf8');
    writeFileSync(experiments, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]));
    const plan = await runMain(
      ['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15', '--experiments_file', experiments],
      { CONTRAIL_HOME: home, CONTRAIL_EXPERIMENTER_URL: '', TEMPORAL_ADDRESS: '' },
    );
    assert.equal(plan.code, 1, plan.stderr);
    assert.equal(
      plan.stderr.trim().split('\n').at(-1),
      `contrail: ${experiments}:1: not UTF-8 text: the file is UTF-16 (its first two bytes are a UTF-16 byte order mark); JSON files are UTF-8: save the file as UTF-8 (iconv -f utf-16 -t utf-8)`,
    );
  });

  it('a mistyped experiment slug is refused before an embedded server starts, with the slug meant', async () => {
    const env = {
      TEMPORAL_ADDRESS: '',
      CONTRAIL_EXPERIMENTER_URL: '',
      CONTRAIL_EXPERIMENTS_FILE: '',
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-unknown-slug-')),
    };
    const preview = await runMain(['preview', '--experiment_slug', 'contrail-demo-sidbar'], env);
    assert.equal(preview.code, 1, preview.stderr);
    assert.match(
      preview.stderr,
      /^contrail: unknown experiment 'contrail-demo-sidbar' \(did you mean 'contrail-demo-sidebar'\?\): not in the experiment source \(known: .*\); to preview a config for an experiment no source knows, pass --platform/m,
    );
    assert.doesNotMatch(preview.stderr, /starting an embedded Temporal/);
    // The daily analysis never reads drafts: a backfill refuses a draft's slug, saying it is one.
    const backfill = await runMain(
      [
        'backfill',
        '--experiment_slug',
        DEMO_SLUG,
        '--experiment_slug',
        'contrail-demo-reader-view',
        '--start_date',
        '2026-03-09',
        '--end_date',
        '2026-03-09',
      ],
      env,
    );
    assert.equal(backfill.code, 1, backfill.stderr);
    assert.match(
      backfill.stderr,
      /^contrail: experiment 'contrail-demo-reader-view' is a draft in the experiment source, not launched .*`contrail preview` reads drafts$/m,
    );
    assert.doesNotMatch(backfill.stderr, /starting an embedded Temporal/);
  });

  it("sample's numbers and date are usage errors naming the option, before the warehouse is touched", async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'contrail-sample-usage-')), 'home');
    const cases: [string[], string][] = [
      [['--clients', 'abc'], '--clients "abc": expected a number'],
      [['--clients', '0'], '--clients 0: must be a whole number above 0 and at most 100,000,000'],
      [['--days', '1.5'], '--days 1.5: must be a whole number above 0 and at most 3660'],
      [
        ['--start_date', '2026-02-30'],
        '--start_date 2026-02-30: not a real calendar date (expected YYYY-MM-DD)',
      ],
      [['--seed', '-1'], '--seed -1: must be a whole number from 0 to 2,147,483,647'],
      [['--seed', '1.5'], '--seed 1.5: must be a whole number from 0 to 2,147,483,647'],
      [
        ['--start_date', '0001-01-01'],
        "--start_date 0001-01-01: must be on or after 1970-01-01 (the sample's days are counted in epoch seconds)",
      ],
      [
        ['--effect', 'bogus'],
        '--effect bogus: expected <experiment>:<branch>:<metric>=<relative change>, e.g. 0.05 for +5%',
      ],
      [
        ['--effect', `${DEMO_SLUG}:treatment-z:active_hours=0.2`],
        `--effect ${DEMO_SLUG}:treatment-z:active_hours=0.2: ${DEMO_SLUG} has no branch treatment-z; valid: control, treatment-a, treatment-b`,
      ],
    ];
    for (const [args, said] of cases) {
      const result = await runMain(['sample', ...args], { CONTRAIL_HOME: home });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim(), `contrail: ${said}`);
    }
    assert.equal(existsSync(home), false, 'no data directory or warehouse file made for a refused sample');
  });

  it('sample says where it wrote, and that it is not BigQuery when CONTRAIL_WAREHOUSE=bigquery', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-sample-where-'));
    const result = await runMain(['sample', '--clients', '20', '--days', '7'], {
      CONTRAIL_HOME: home,
      CONTRAIL_WAREHOUSE: 'bigquery',
      CONTRAIL_BIGQUERY_PROJECT: 'my-project',
    });
    assert.equal(result.code, 0, result.stderr);
    const file = join(home, 'mozdata.duckdb');
    assert.ok(result.stdout.includes(`written to ${file}\n`), result.stdout);
    assert.ok(
      result.stderr.includes(
        `contrail: the sample goes to the embedded warehouse (${file}), not to BigQuery: with CONTRAIL_WAREHOUSE=bigquery, previews and runs read your project's tables`,
      ),
      result.stderr,
    );
  });

  it('sample is refused while another command analyses the warehouse, before it writes anything', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-sample-busy-'));
    const claims = join(home, 'warehouse.duckdb.claims');
    mkdirSync(claims);
    // The command analysing it: this test's own runner, a process that runs.
    const command = 'contrail preview --experiment_slug contrail-demo-sidebar';
    const note = {
      pid: process.ppid,
      command,
      since: '2026-03-08T10:00:00.000Z',
      dataset: 'tmp',
      slug: DEMO_SLUG,
    };
    writeFileSync(join(claims, `tmp~${DEMO_SLUG}.json`), JSON.stringify(note));
    const result = await runMain(['sample', '--clients', '50'], { CONTRAIL_HOME: home });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^contrail: contrail sample would replace the telemetry in .*\/mozdata\.duckdb while another contrail command analyses it: `contrail preview --experiment_slug contrail-demo-sidebar` \(pid \d+/,
    );
    assert.deepEqual(readdirSync(home), ['warehouse.duckdb.claims'], 'no warehouse file written');
  });

  it("an in-process command's exit code is its own, not the one a failed test left for the runner", async () => {
    process.exitCode = 1; // as node's test runner leaves it after a failing test of the file
    try {
      const result = await runMain(['--help']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(process.exitCode, 1, "the runner's code is kept");
    } finally {
      process.exitCode = undefined;
    }
  });

  it('plan takes --dataset_id like the other commands', async () => {
    const out = mkdtempSync(join(tmpdir(), 'contrail-plan-dataset-'));
    const result = await runMain([
      'plan',
      '--experiment_slug',
      DEMO_SLUG,
      '--date',
      '2026-03-15',
      '--dataset_id',
      'my_dataset',
      '--sql-output-dir',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /^my_dataset\.statistic_inputs_/m);
    assert.ok(readdirSync(out).length > 0);
  });

  it('validate and plan with a --platform the config repos do not define stop once, naming the option (exit 2)', async () => {
    const config = join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`);
    const said = new RegExp(
      `^contrail: --platform firefox_desktp: the config repos define no such platform \\(did you mean 'firefox_desktop'\\?\\); platforms: firefox_desktop \\(in ${DEMO_CONFIG_REPO}; --config_repos names other repos\\)$`,
      'm',
    );
    const env = { CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-platform-')) };
    const validate = await runMain(
      ['validate', '--config_repos', DEMO_CONFIG_REPO, '--platform', 'firefox_desktp', config, config],
      env,
    );
    assert.equal(validate.code, 2, validate.stdout);
    assert.match(validate.stderr, said);
    assert.doesNotMatch(validate.stdout, /invalid|Experimenter/);
    const plan = await runMain(
      [
        'plan',
        ...['--experiment_slug', DEMO_SLUG, '--date', '2026-03-15', '--config_file', config],
        ...['--config_repos', DEMO_CONFIG_REPO, '--platform', 'firefox_desktp'],
      ],
      env,
    );
    assert.equal(plan.code, 2, plan.stderr);
    assert.match(plan.stderr, said);
  });

  it('plan of a config for an experiment no source knows takes its platform as validate does, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-new-config-'));
    const config = join(dir, 'my-new-experiment.toml');
    writeFileSync(
      config,
      '[experiment]\nstart_date = "2026-03-02"\nenrollment_period = 7\n\n[metrics]\nweekly = ["active_hours"]\n',
    );
    const result = await runMain(
      [
        'plan',
        ...['--experiment_slug', 'my-new-experiment', '--date', '2026-03-15'],
        ...['--config_file', config, '--config_repos', DEMO_CONFIG_REPO],
      ],
      { CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-plan-')) },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /^platform: firefox_desktop \(the one platform whose definitions have everything the config references; --platform chooses another\)$/m,
    );
    assert.match(
      result.stdout,
      /^-- destination: contrail\.metrics_17_my_new_experiment_clients_daily_week_1$/m,
    );
  });

  it('plan and preview of a config for a new experiment with a misspelt name say the name at its line, before anything starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-new-config-typo-'));
    const config = join(dir, 'my.toml');
    writeFileSync(
      config,
      '[experiment]\nstart_date = "2026-03-02"\nenrollment_period = 7\n\n[metrics]\nweekly = ["active_hour"]\n',
    );
    const env = {
      TEMPORAL_ADDRESS: '',
      CONTRAIL_EXPERIMENTER_URL: '',
      CONTRAIL_EXPERIMENTS_FILE: '',
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-typo-')),
    };
    const target = ['--experiment_slug', 'my-new-experiment', '--config_file', config];
    const plan = await runMain(
      ['plan', ...target, '--date', '2026-03-15', '--config_repos', DEMO_CONFIG_REPO],
      env,
    );
    const preview = await runMain(
      ['preview', ...target, '--generate-population', '--config_repos', DEMO_CONFIG_REPO],
      env,
    );
    for (const result of [plan, preview]) {
      assert.equal(result.code, 1, result.stderr);
      // Not "unknown experiment … pass --platform (and --config_file …)": the file is what to fix.
      assert.doesNotMatch(result.stderr, /unknown experiment/);
      assert.match(
        result.stderr,
        /^contrail: .*my\.toml references something no platform of the config repos defines.*checked on firefox_desktop, the closest \(--platform chooses another\): 1 problem$/m,
      );
      assert.match(
        result.stderr,
        /^ {2}.*my\.toml:6: metrics\.weekly\.0: metric 'active_hour' is not defined .*\(did you mean 'active_hours'\?\)$/m,
      );
      assert.doesNotMatch(result.stderr, /starting an embedded Temporal/);
    }
  });

  it('preview with --platform of a config for a new experiment with a misspelt name says it as the run would, before any server starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-new-config-platform-'));
    const config = join(dir, 'my.toml');
    writeFileSync(config, '[metrics]\nweekly = ["active_hour"]\n');
    const env = {
      TEMPORAL_ADDRESS: '',
      CONTRAIL_EXPERIMENTER_URL: '',
      CONTRAIL_EXPERIMENTS_FILE: '',
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-typo-platform-')),
    };
    const preview = await runMain(
      [
        'preview',
        ...['--experiment_slug', 'my-new-experiment', '--config_file', config],
        ...['--platform', 'firefox_desktop', '--generate_population', '--config_repos', DEMO_CONFIG_REPO],
      ],
      env,
    );
    assert.equal(preview.code, 1, preview.stderr);
    assert.doesNotMatch(preview.stderr, /starting an embedded Temporal/);
    assert.match(
      preview.stderr,
      /^contrail: experiment 'my-new-experiment' \(firefox_desktop\) cannot be resolved:\n {2}.*my\.toml:2: metrics\.weekly\.0: metric 'active_hour' is not defined .*\(did you mean 'active_hours'\?\)$/m,
    );
  });

  it('the check before a preview on --platform leaves a config the platform defines everything of to the run, dates or none', async () => {
    const { checkPlatformOf } = await import('../../../src/client/config-repos.js');
    const dir = mkdtempSync(join(tmpdir(), 'contrail-new-config-platform-'));
    const config = join(dir, 'my.toml');
    // No start date: resolved as it is, its {{experiment.start_date_str}} has no value; the
    // preview resolves it as its generated population enrolls.
    writeFileSync(
      config,
      '[metrics]\nweekly = ["active_hours", "since_start"]\n\n[metrics.since_start]\ndata_source = "clients_daily"\nselect_expression = "COUNTIF(submission_date >= \'{{experiment.start_date_str}}\')"\n',
    );
    const experimentsFile = join(dir, 'experiments.json');
    writeFileSync(experimentsFile, '[]');
    const target = { slug: 'my-new-experiment', config: { configFile: config, experimentsFile } };
    await assert.doesNotReject(checkPlatformOf('firefox_desktop', [DEMO_CONFIG_REPO], target));
  });

  it('preview with --platform whose definitions do not parse says where, before any server starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-broken-definitions-'));
    const repo = join(dir, 'metric-hub');
    cpSync(DEMO_CONFIG_REPO, repo, { recursive: true });
    const definitions = join(repo, 'definitions', 'firefox_desktop.toml');
    const lines = readFileSync(definitions, 'utf8').split('\n');
    const at = lines.findIndex((line) => line.startsWith('friendly_name = "'));
    lines[at] = lines[at]?.replace(/"$/, '') ?? '';
    writeFileSync(definitions, lines.join('\n'));
    // A config that references nothing of the platform: nothing but its definitions is wrong.
    const config = join(dir, 'my.toml');
    writeFileSync(config, '[experiment]\n');
    const env = {
      TEMPORAL_ADDRESS: '',
      CONTRAIL_EXPERIMENTER_URL: '',
      CONTRAIL_EXPERIMENTS_FILE: '',
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-broken-definitions-home-')),
    };
    // A new experiment's config, and an experiment the experiments file knows, run on --platform.
    for (const [slug, extra] of [
      ['my-new-experiment', ['--config_file', config, '--generate_population']],
      [DEMO_SLUG, []],
    ] as const) {
      const preview = await runMain(
        [
          'preview',
          ...['--experiment_slug', slug, ...extra],
          ...['--platform', 'firefox_desktop', '--config_repos', repo],
        ],
        env,
      );
      assert.equal(preview.code, 1, preview.stderr);
      assert.doesNotMatch(preview.stderr, /starting an embedded Temporal/);
      assert.match(
        preview.stderr,
        new RegExp(
          `^contrail: experiment '${slug}' has an invalid config:\n {2}${definitions.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${at + 1}: TOML syntax error`,
          'm',
        ),
      );
    }
  });

  it('plan says why nothing is due on a date, not only that nothing is', async () => {
    const lines = await planSql({
      slug: DEMO_SLUG,
      dates: ['2020-01-01'],
      experimentsFile: defaultExperimentsFile({}),
      configRepos: defaultConfigRepos({}),
      configFile: null,
      dataset: 'contrail',
      outputDir: null,
    });
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^nothing to compute for ${DEMO_SLUG} on 2020-01-01: ${DEMO_SLUG} starts \\d{4}-\\d\\d-\\d\\d, after 2020-01-01$`,
      ),
    );
    const printed = await runMain(['plan', '--experiment_slug', DEMO_SLUG, '--date', '2020-01-01']);
    assert.equal(printed.code, 0, `${printed.stderr}|${printed.stdout}`);
    assert.equal(printed.stdout, `-- ${lines[0]}\n`);
  });

  it('preview with an end date before its start date is a usage error naming both options', async () => {
    const result = await runMain(
      ['preview', '--experiment_slug', DEMO_SLUG, '--start_date', '2026-03-15', '--end_date', '2026-03-09'],
      { TEMPORAL_ADDRESS: '' },
    );
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr.trim(),
      'contrail: --end_date 2026-03-09 is before --start_date 2026-03-15: give an end date on or after the start date',
    );
  });

  it("a preview's dates span at most 365 days, as --num-days does, and --num-days is not taken beside --start_date", async () => {
    const preview = ['preview', '--experiment_slug', DEMO_SLUG];
    const env = { TEMPORAL_ADDRESS: '' };
    const both = await runMain([...preview, '--start_date', '2024-01-01', '--end_date', '2024-12-31'], env);
    assert.equal(both.code, 2, both.stderr);
    assert.equal(
      both.stderr.trim(),
      'contrail: --start_date 2024-01-01 to --end_date 2024-12-31 is 366 days: a preview analyses at most 365 days (as --num_days); give a later --start_date',
    );
    // --num-days counts back from the end: beside a start date it was silently ignored.
    const days = await runMain([...preview, '--start_date', '2026-03-09', '--num-days', '3'], env);
    assert.equal(days.code, 2, days.stderr);
    assert.equal(
      days.stderr.trim(),
      'contrail: --start_date 2026-03-09 and --num_days 3 contradict each other: --num_days counts the days back from the end date when no --start_date is given; give one of them',
    );
  });

  it("a preview's option values refused by its input are named as its help lists them first", async () => {
    // They were named --num-days and --price-per-tib, while the help lists --num_days and --price_per_tib.
    const result = await runMain(
      ['preview', '--experiment_slug', DEMO_SLUG, '--num-days', '0', '--price-per-tib', '-1'],
      { TEMPORAL_ADDRESS: '' },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.equal(
      result.stderr.trim(),
      'contrail: --num_days 0: must be a whole number from 1 to 365; --price_per_tib -1: must be a number above 0',
    );
    const help = await runMain(['preview', '--help']);
    for (const option of [
      '--num_days, --num-days',
      '--price_per_tib, --price-per-tib',
      '--max_bytes, --max-bytes',
    ])
      assert.ok(help.stdout.includes(option), option);
  });

  it("each command's --dataset_id help says what the dataset is to it and its default there", async () => {
    // All said "for result tables (… else contrail; a preview: tmp)": preview's own help as if
    // it wrote result tables, and commands no preview runs with a preview's default.
    const results = '(default: CONTRAIL_BIGQUERY_DATASET on BigQuery, else contrail)';
    const said = {
      preview: "Dataset for the preview's tables (default: tmp; never contrail, the production one)",
      run: `Dataset for result tables ${results}`,
      backfill: `Dataset for result tables ${results}`,
      rerun: `Dataset for result tables ${results}`,
      'rerun-skip': `Dataset holding the experiment's tables, which are relabelled ${results}`,
      versions: `Dataset whose experiments' pinned releases are reported ${results}`,
    };
    for (const [command, text] of Object.entries(said)) {
      const help = await runMain([command, '--help']);
      assert.equal(help.code, 0, help.stderr);
      const option = /--dataset_id, --dataset-id, --dataset\s+([^[]+)\[string\]/.exec(help.stdout)?.[1];
      assert.equal(option?.replace(/\s+/g, ' ').trim(), text, command);
    }
  });

  it('an experiment given twice to run or backfill is analysed once', async () => {
    let slugs: unknown = null;
    const capturing = commands.map((c) => ({
      ...c,
      handler: (args: Record<string, unknown>) => {
        slugs = args.experiment_slug;
      },
    }));
    const twice = [
      '--experiment_slug',
      DEMO_SLUG,
      '--experiment-slug',
      'other',
      '--experiment_slug',
      DEMO_SLUG,
    ];
    await buildParser(
      ['backfill', '--start_date', '2026-03-09', '--end_date', '2026-03-15', ...twice],
      capturing,
    ).parseAsync();
    assert.deepEqual(slugs, [DEMO_SLUG, 'other']);
    slugs = null;
    await buildParser(['run', '--date', '2026-03-15', ...twice], capturing).parseAsync();
    assert.deepEqual(slugs, [DEMO_SLUG, 'other']);
  });

  it('an --experimenter-url that is no http(s) address is a usage error naming the option, before anything starts', async () => {
    for (const url of ['notaurl', 'ftp://experimenter.example']) {
      const result = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--experimenter-url', url], {
        TEMPORAL_ADDRESS: '',
      });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(
        result.stderr.trim().split('\n').at(-1),
        `contrail: --experimenter_url ${url}: expected an http:// or https:// address, e.g. https://experimenter.services.mozilla.com`,
      );
      assert.doesNotMatch(result.stderr, /starting an embedded Temporal/);
    }
  });

  it('backfill with an end date before its start date names the options, not the workflow fields', async () => {
    const result = await runMain([
      'backfill',
      '--experiment_slug',
      DEMO_SLUG,
      '--start_date',
      '2026-03-15',
      '--end_date',
      '2026-03-09',
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--end_date 2026-03-09 is before --start_date 2026-03-15/);
  });

  it('a value that starts with - and a digit reaches its option, which says what it takes', async () => {
    const env = { TEMPORAL_ADDRESS: '' };
    const preview = ['preview', '--experiment_slug', DEMO_SLUG];
    // The parser reads -1GB as the short options -1 -G -B: its message named those, not --max-bytes.
    const bytes = await runMain([...preview, '--max-bytes', '-1GB'], env);
    assert.equal(bytes.code, 2);
    assert.equal(
      bytes.stderr.trim(),
      'contrail: --max_bytes "-1GB": expected a number of bytes (0 or more), optionally with a unit (KB, MB, GB, TB, PB: powers of 1000; KiB, MiB, GiB, TiB, PiB: of 1024), e.g. 2GB',
    );
    const days = await runMain([...preview, '--num-days', '-1x'], env);
    assert.equal(days.code, 2);
    assert.equal(days.stderr.trim(), 'contrail: --num-days "-1x": expected a number');
    // Such a word after no option that takes a value is still an unknown argument.
    const stray = await runMain([...preview, '--json', '-1GB'], env);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /^contrail: Unknown arguments: 1, G, B$/m);
  });

  it('a flag given a value other than true or false is a usage error naming it, not read as one of them', async () => {
    const preview = ['preview', '--experiment_slug', DEMO_SLUG];
    for (const [flag, said] of [
      ['--verbose=maybe', '--verbose=maybe'],
      ['--generate-population=maybe', '--generate-population=maybe'],
      ['--export=yes', '--export=yes'],
    ]) {
      const result = await runMain([...preview, flag as string], { TEMPORAL_ADDRESS: '' });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim(), `contrail: ${said}: a flag takes no value, or true or false`);
    }
    // true and false stay what they say.
    const plan = await runMain([
      'plan',
      '--experiment_slug',
      DEMO_SLUG,
      '--date',
      '2026-03-15',
      '--lenient=false',
      '--lenient=maybe',
    ]);
    assert.equal(plan.code, 2);
    assert.equal(plan.stderr.trim(), 'contrail: --lenient=maybe: a flag takes no value, or true or false');
  });

  it('a number option given something else names the option and what it takes', async () => {
    const result = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--num-days', 'abc'], {
      TEMPORAL_ADDRESS: '',
    });
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), 'contrail: --num-days "abc": expected a number');
    // Every command's number options alike, with no help before it (the option is right).
    for (const args of [
      ['schedule', 'create', '--hour', 'abc'],
      ['run', '--date', '2026-03-15', '--concurrency=1x'],
      ['sample', '--clients', 'many'],
    ]) {
      const refused = await runMain(args);
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr.trim(), /^contrail: --\w+ "[^"]+": expected a number$/, args.join(' '));
    }
  });

  it('a number option out of its range says the whole rule, and a config file that is not there says so', async () => {
    for (const value of ['0', '0.5']) {
      const result = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--sample_size', value], {
        TEMPORAL_ADDRESS: '',
      });
      assert.equal(result.code, 2);
      assert.equal(
        result.stderr.trim(),
        `contrail: --sample_size ${value}: must be a whole number from 1 to 100`,
      );
    }
    const missing = await runMain(
      ['preview', '--experiment_slug', DEMO_SLUG, '--config_file', 'nonexist.toml'],
      {
        TEMPORAL_ADDRESS: '',
      },
    );
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr.trim(),
      'contrail: --config_file nonexist.toml: no such file (expected an experiment config, a .toml file)',
    );
  });

  it('run --config_file without the one experiment it is for is refused, not a daily run of every experiment', async () => {
    // The file is not even there: before, the daily run started with the repos' configs and
    // never read it. An unreachable TEMPORAL_ADDRESS shows nothing was started.
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const cases: [string[], string][] = [
      [[], 'given none'],
      [['--experiment_slug', DEMO_SLUG, '--experiment_slug', 'other'], `given 2: ${DEMO_SLUG}, other`],
    ];
    for (const [slugs, given] of cases) {
      const result = await runMain(
        ['run', '--date', '2026-03-15', '--config_file', 'nonexist.toml', ...slugs],
        env,
      );
      assert.equal(result.code, 2, result.stderr);
      assert.equal(
        result.stderr.trim(),
        `contrail: --config_file applies to one --experiment_slug (${given}): name the experiment the config is for`,
      );
    }
  });

  it('an --experiments_file that is missing or a directory is a usage error of every command, before anything starts', async () => {
    // Before, the workflow commands started an embedded server and workflow that then failed
    // (exit 1, "EISDIR: illegal operation on a directory").
    const home = join(mkdtempSync(join(tmpdir(), 'contrail-experiments-file-')), 'home');
    const env = { TEMPORAL_ADDRESS: '', CONTRAIL_HOME: home };
    const dir = mkdtempSync(join(tmpdir(), 'contrail-not-a-file-'));
    const commandLines = [
      ['run', '--date', '2026-03-15', '--experiment_slug', DEMO_SLUG],
      ['backfill', '--experiment_slug', DEMO_SLUG, '--start_date', '2026-03-09', '--end_date', '2026-03-09'],
      ['preview', '--experiment_slug', DEMO_SLUG],
      ['rerun', '--experiment_slug', DEMO_SLUG],
      ['rerun-skip', '--experiment_slug', DEMO_SLUG],
      ['versions'],
      ['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'],
      ['validate', join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`)],
      ['sample'],
    ];
    for (const args of commandLines) {
      for (const [file, why] of [
        [dir, 'a directory, not an experiments file'],
        [join(dir, 'experiments.json'), 'no such file'],
      ]) {
        const result = await runMain([...args, '--experiments-file', file as string], env);
        assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
        assert.doesNotMatch(result.stderr, /starting an embedded Temporal/);
        assert.equal(
          result.stderr.trim().split('\n').at(-1),
          `contrail: --experiments_file ${file}: ${why} (expected an Experimenter v8 JSON file)`,
        );
      }
    }
    assert.equal(existsSync(home), false, 'no data directory made');
  });

  it("server's ports are usage errors naming the option, as the dashboard's are, before any server starts", async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'contrail-server-ports-')), 'home');
    const range = 'give a port number from 1 to 65535';
    const cases: [string[], string][] = [
      [['server', '--port', '-1'], `--port -1: ${range}`],
      [['server', '--port', '70000'], `--port 70000: ${range}`],
      [['server', '--port', '0'], `--port 0: ${range}`],
      [['server', '--ui-port', '70000'], `--ui-port 70000: ${range}`],
      [
        ['server', '--port', '65000'],
        '--port 65000: the Web UI would listen on port 66000 (--port + 1000), above 65535; pass --ui-port, or a --port of at most 64535',
      ],
      [
        ['server', '--port', '7300', '--ui-port', '7300'],
        "--ui-port 7300 is --port's too: give the Web UI another port",
      ],
      [['dashboard', '--port', '70000'], `--port 70000: ${range}, or 0 for a free one`],
      // The server's database is checked as its ports are: Temporal said `out of memory (14)`.
      [
        ['server', '--db-filename', tmpdir()],
        `--db-filename ${tmpdir()}: a directory, not a SQLite file (give a file's path, e.g. ${join(tmpdir(), 'temporal.sqlite')})`,
      ],
      [
        ['server', '--db-filename', join(home, 'temporal.sqlite')],
        `--db-filename ${join(home, 'temporal.sqlite')}: no such directory ${home} to create the SQLite file in`,
      ],
    ];
    for (const [args, said] of cases) {
      const result = await runMain(args, { CONTRAIL_HOME: home });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim(), `contrail: ${said}`);
    }
    assert.equal(existsSync(home), false, 'no data directory or server database made');
  });

  it('every command refuses a --dataset_id alike: exit 2, naming it, before anything starts', async () => {
    // plan said `invalid dataset "bad name!"` with exit 1, the workflow commands another
    // sentence with exit 2, and the dashboard took `TMP` for a dataset of its own.
    const env = {
      TEMPORAL_ADDRESS: '',
      CONTRAIL_HOME: join(mkdtempSync(join(tmpdir(), 'contrail-dataset-')), 'home'),
    };
    const commandLines = [
      ['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'],
      ['run', '--date', '2026-03-15'],
      ['backfill', '--experiment_slug', DEMO_SLUG, '--start_date', '2026-03-09', '--end_date', '2026-03-09'],
      ['preview', '--experiment_slug', DEMO_SLUG],
      ['rerun', '--experiment_slug', DEMO_SLUG],
      ['rerun-skip', '--experiment_slug', DEMO_SLUG],
      ['versions'],
      ['dashboard', '--port', '0'],
    ];
    for (const args of commandLines) {
      for (const [dataset, said] of [
        ['bad name!', 'use letters, digits and underscores, with no project prefix'],
        [
          'TMP',
          "the embedded warehouse's dataset names ignore case, so this is the dataset tmp; write it in lower case",
        ],
      ]) {
        const result = await runMain([...args, '--dataset_id', dataset as string], env);
        assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
        // The dashboard, which reads any dataset, adds why a prefix is refused on this warehouse.
        const line = result.stderr.trim().split('\n').at(-1) ?? '';
        assert.ok(line.startsWith(`contrail: --dataset_id ${dataset}: ${said}`), `${args[0]}: ${line}`);
        assert.doesNotMatch(result.stderr, /starting an embedded Temporal/);
      }
    }
    assert.equal(existsSync(env.CONTRAIL_HOME), false, 'no data directory made');
  });

  it('validate --dry_run refuses its thresholds before it checks any config', async () => {
    const file = join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`);
    for (const thresholds of [
      ['--moderate_tb', '-1'],
      ['--moderate_tb', '30', '--high_tb', '20'],
    ]) {
      const result = await runMain(['validate', file, '--dry_run', ...thresholds], {
        CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-validate-tb-')),
      });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '', 'no config checked, nothing printed');
      assert.match(
        result.stderr,
        /^contrail: --moderate_tb \(-?\d+\) must be positive and at most --high_tb \(20\)$/m,
      );
    }
  });

  it('a mistyped warehouse setting is the only message: no embedded server is started for it', async () => {
    const result = await runMain(['preview', '--experiment_slug', DEMO_SLUG], {
      TEMPORAL_ADDRESS: '',
      CONTRAIL_WAREHOUSE: 'bigqeury',
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr.trim(),
      'contrail: CONTRAIL_WAREHOUSE=bigqeury: valid warehouses are duckdb and bigquery',
    );
  });

  it('a setting value contrail cannot take is the only message, before anything starts: no embedded server, no config blamed', async () => {
    const threads = 'contrail: CONTRAIL_DUCKDB_THREADS = "0": expected a whole number of threads, 1 or more';
    const run = ['run', '--date', '2026-03-15', '--experiment_slug', DEMO_SLUG];
    const cases: [string[], NodeJS.ProcessEnv, string | RegExp][] = [
      [
        ['preview', '--experiment_slug', DEMO_SLUG],
        { TEMPORAL_ADDRESS: '', CONTRAIL_DUCKDB_THREADS: '0' },
        threads,
      ],
      [
        run,
        { TEMPORAL_ADDRESS: '', CONTRAIL_WAREHOUSE_WAIT_MS: '5s' },
        /^contrail: CONTRAIL_WAREHOUSE_WAIT_MS = "5s": expected a whole number of milliseconds/,
      ],
      [
        run,
        { TEMPORAL_ADDRESS: '', CONTRAIL_EXPORT_DIR: 's3://bucket/contrail' },
        'contrail: CONTRAIL_EXPORT_DIR: export location s3://bucket/contrail: exports go to a directory or to Google Cloud Storage (gs://<bucket>[/<prefix>]), not to s3://',
      ],
      // The dashboard would otherwise serve, failing every answer.
      [
        ['dashboard', '--port', '0'],
        { CONTRAIL_WAREHOUSE_WAIT_MS: '-1' },
        /^contrail: CONTRAIL_WAREHOUSE_WAIT_MS = "-1": expected a whole number of milliseconds/,
      ],
      // A worker stops before it connects (nothing listens at this address).
      [
        ['worker'],
        { TEMPORAL_ADDRESS: '127.0.0.1:1', CONTRAIL_DUCKDB_MEMORY_LIMIT: 'lots' },
        /^contrail: CONTRAIL_DUCKDB_MEMORY_LIMIT = "lots": expected a size/,
      ],
      // BigQuery's too, whichever command: plan renders BigQuery SQL, with no project set.
      [
        ['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15', '--dialect', 'bigquery'],
        { CONTRAIL_WAREHOUSE: 'bigquery', CONTRAIL_BIGQUERY_TIMEOUT_MS: 'abc' },
        /^contrail: CONTRAIL_BIGQUERY_TIMEOUT_MS="abc": expected a whole number of milliseconds/,
      ],
      [
        ['status'],
        {
          CONTRAIL_WAREHOUSE: 'bigquery',
          CONTRAIL_BIGQUERY_PROJECT: 'my-project',
          CONTRAIL_BIGQUERY_MAX_BYTES_BILLED: '10 GBs',
          TEMPORAL_ADDRESS: '127.0.0.1:1',
        },
        /^contrail: CONTRAIL_BIGQUERY_MAX_BYTES_BILLED="10 GBs": expected a number of bytes \(more than 0\), optionally with a unit/,
      ],
    ];
    for (const [args, env, said] of cases) {
      const result = await runMain(args, env);
      assert.equal(result.code, 1, args.join(' '));
      if (typeof said === 'string') assert.equal(result.stderr.trim(), said);
      else assert.match(result.stderr.trim(), said);
    }
    const config = join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`);
    const validate = await runMain(['validate', '--config_repos', DEMO_CONFIG_REPO, config], {
      CONTRAIL_DUCKDB_THREADS: '0',
    });
    assert.equal(validate.code, 1);
    assert.equal(validate.stderr.trim().split('\n').at(-1), threads);
    assert.doesNotMatch(validate.stdout + validate.stderr, /error: /, 'no config file is blamed for it');
  });

  it('what schedule create would start is checked before Temporal is asked for', async () => {
    for (const address of ['', '127.0.0.1:1']) {
      const result = await runMain(['schedule', 'create', '--concurrency', '0'], {
        TEMPORAL_ADDRESS: address,
      });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim(), 'contrail: --concurrency 0: must be a whole number from 1 to 100');
    }
  });

  it('a schedule time out of range is a usage error naming the option and its range', async () => {
    const hour = await runMain(['schedule', 'create', '--hour', '25']);
    assert.equal(hour.code, 2);
    assert.match(hour.stderr, /--minute/, 'the help comes first');
    assert.match(hour.stderr, /^contrail: --hour 25: expected a whole number 0–23$/m);
    const minute = await runMain(['schedule', 'create', '--minute', '7.5']);
    assert.equal(minute.code, 2);
    assert.match(minute.stderr, /^contrail: --minute 7.5: expected a whole number 0–59$/m);
  });

  it('a catch-up window out of range is a usage error naming --catchup_days, under either spelling', async () => {
    for (const args of [
      ['schedule', 'create', '--catchup_days', '0'],
      ['schedule', 'create', '--catchup-days', '91'],
      ['schedule', 'create', '--catchup_days', '1.5'],
    ]) {
      // Refused before Temporal is asked for: the same with no server as with one that does not answer.
      for (const address of ['', '127.0.0.1:1']) {
        const result = await runMain(args, { TEMPORAL_ADDRESS: address });
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(
          result.stderr,
          new RegExp(`^contrail: --catchup_days ${args[3]}: expected a whole number of days 1–90$`, 'm'),
        );
      }
    }
    const describe = await runMain(['schedule', 'describe', '--catchup-days', '3']);
    assert.equal(describe.code, 2);
    assert.match(
      describe.stderr,
      /^contrail: --catchup_days: schedule describe does not take it \(only create\)$/m,
    );
  });

  it('an option the schedule action does not take is a usage error, not passed by unread', async () => {
    // A trigger into another dataset would otherwise start the schedule's run into its own.
    for (const address of ['', '127.0.0.1:1']) {
      const trigger = await runMain(['schedule', 'trigger', '--dataset-id', 'scratch'], {
        TEMPORAL_ADDRESS: address,
      });
      assert.equal(trigger.code, 2, trigger.stderr);
      assert.match(
        trigger.stderr,
        /^contrail: --dataset_id: schedule trigger does not take it \(only create\): a triggered run analyses as the schedule was created; `contrail run --date <date> --dataset_id …` analyses one date so$/m,
      );
    }
    const describe = await runMain(['schedule', 'describe', '--hour', '5']);
    assert.equal(describe.code, 2);
    assert.match(describe.stderr, /^contrail: --hour: schedule describe does not take it \(only create\)$/m);
    const note = await runMain(['schedule', 'delete', '--note', 'gone']);
    assert.equal(note.code, 2);
    assert.match(
      note.stderr,
      /^contrail: --note: schedule delete does not take it \(only create, pause, unpause\)$/m,
    );
  });

  it('a value an option does not take is a usage error saying which value was meant', async () => {
    // A config file's name for a period, given to the option.
    const weekly = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--analysis_periods', 'weekly']);
    assert.equal(weekly.code, 2);
    assert.match(
      weekly.stderr,
      /^contrail: --analysis_periods weekly: did you mean week\? \(expected one of day, week, days28, overall, preenrollment_week, preenrollment_days28\)$/m,
    );
    const days = await runMain([
      'run',
      '--date',
      '2026-03-15',
      '--analysis-periods',
      'day',
      '--analysis-periods',
      '28_day',
    ]);
    assert.equal(days.code, 2);
    assert.match(days.stderr, /^contrail: --analysis_periods 28_day: did you mean days28\? /m);
    const dialect = await runMain([
      'plan',
      '--experiment_slug',
      DEMO_SLUG,
      '--date',
      '2026-03-15',
      '--dialect',
      'bigqeury',
    ]);
    assert.equal(dialect.code, 2);
    assert.match(
      dialect.stderr,
      /^contrail: --dialect bigqeury: did you mean bigquery\? \(expected one of duckdb, bigquery\)$/m,
    );
    const action = await runMain(['schedule', 'pase']);
    assert.equal(action.code, 2);
    assert.match(action.stderr, /^contrail: schedule pase: did you mean pause\? /m);
  });

  it('a date after today is a usage error naming its option: there is no telemetry for it', async () => {
    for (const args of [
      ['run', '--date', '2999-01-01', '--experiment_slug', DEMO_SLUG],
      ['backfill', '--experiment_slug', DEMO_SLUG, '--start_date', '2026-03-09', '--end_date', '2999-01-01'],
      ['preview', '--experiment_slug', DEMO_SLUG, '--end_date', '2999-01-01'],
    ]) {
      const result = await runMain(args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /^contrail: --(date|end_date) 2999-01-01 is after today in UTC \(\d{4}-\d\d-\d\d; contrail's dates are UTC days\): there is no telemetry for it yet$/m,
      );
    }
  });

  it("today is the UTC day, said as such: east of UTC the local date is already tomorrow's", async () => {
    const { checkNotAfterToday } = await import('../../../src/client/workflow-command.js');
    // 10:55 on 28 November in Kiritimati (UTC+14) is 20:55 on the 27th in UTC.
    const now = new Date('2026-11-27T20:55:00Z');
    assert.throws(() => checkNotAfterToday({ '--date': '2026-11-28' }, now), {
      name: 'CliError',
      message:
        "--date 2026-11-28 is after today in UTC (2026-11-27; contrail's dates are UTC days): there is no telemetry for it yet",
    });
    checkNotAfterToday({ '--date': '2026-11-27' }, now);
    // 23:30 on the 27th in Pago Pago (UTC-11) is the 28th in UTC: that date is due.
    checkNotAfterToday({ '--date': '2026-11-28' }, new Date('2026-11-28T10:30:00Z'));
  });

  it('a workflow started from the Temporal CLI or the Web UI refuses a date after today too', async () => {
    const { AnalyzeExperimentInput, BackfillInput, DailyAnalysisInput, parseInput } = await import(
      '../../../src/workflows/inputs.js'
    );
    for (const [schema, input, workflow] of [
      [AnalyzeExperimentInput, { slug: DEMO_SLUG, date: '2999-01-01' }, 'analyzeExperiment'],
      [DailyAnalysisInput, { date: '2999-01-01' }, 'dailyAnalysis'],
      [BackfillInput, { slugs: [DEMO_SLUG], startDate: '2026-03-09', endDate: '2999-01-01' }, 'backfill'],
    ] as const) {
      assert.throws(
        () => parseInput(schema, input, workflow),
        /date: is after today: there is no telemetry for it yet/i,
        workflow,
      );
    }
    assert.equal(
      parseInput(AnalyzeExperimentInput, { slug: DEMO_SLUG, date: '2026-03-15' }, 'x').date,
      '2026-03-15',
    );
  });

  it("doctor's check that no worker took in its 2 minutes names the task queue and why, not only 'timed out'", async () => {
    const { failedLink } = await import('../../../src/client/commands/doctor.js');
    const { TimeoutFailure, WorkflowFailedError } = await import('@temporalio/client');
    const { RetryState, TimeoutType } = await import('@temporalio/common');
    const timedOut = new WorkflowFailedError(
      'Workflow execution timed out',
      new TimeoutFailure(undefined, undefined, TimeoutType.START_TO_CLOSE),
      RetryState.TIMEOUT,
    );
    const said = await failedLink(timedOut, '127.0.0.1:7233', 'contrail');
    assert.match(
      (said as Error).message,
      /^Temporal at 127\.0\.0\.1:7233 answered, but no worker of task queue 'contrail' finished the check within 2 minutes: the workers it lists as polling may have stopped/,
    );
  });

  it('--use-version naming no release, or with --use-latest, is a usage error before anything starts', async () => {
    const run = ['run', '--date', '2026-03-15', '--experiment_slug', DEMO_SLUG];
    const unknown = await runMain([...run, '--use-version', '9.9.9']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(
      unknown.stderr,
      /^contrail: --use-version 9\.9\.9 is not a known contrail version or build id; known: 0\.1\.0 \(build \w+\)/m,
    );
    const both = await runMain([...run, '--use-version', '0.1.0', '--use-latest']);
    assert.equal(both.code, 2, both.stderr);
    assert.match(
      both.stderr,
      /^contrail: --use-latest and --use-version 0\.1\.0 contradict each other: give one of them$/m,
    );
    assert.doesNotMatch(`${unknown.stderr}${both.stderr}`, /starting an embedded Temporal dev server/);
  });

  it("--project_id is the embedded BigQuery worker's project; on a cluster it is refused, as the other worker settings are", async () => {
    const { embeddedWorkerEnv } = await import('../../../src/client/workflow-command.js');
    const bigquery = { CONTRAIL_WAREHOUSE: 'bigquery', CONTRAIL_BIGQUERY_PROJECT: 'from-env' };
    assert.equal(
      embeddedWorkerEnv({ project_id: 'other-project' }, 'bigquery', bigquery).CONTRAIL_BIGQUERY_PROJECT,
      'other-project',
    );
    assert.equal(embeddedWorkerEnv({}, 'bigquery', bigquery).CONTRAIL_BIGQUERY_PROJECT, 'from-env');
    const onCluster = await runMain(['run', '--date', '2026-03-15', '--project_id', 'other'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    assert.equal(onCluster.code, 1);
    assert.match(
      onCluster.stderr,
      /--project_id configure the embedded worker; a cluster worker reads .*CONTRAIL_BIGQUERY_PROJECT/,
    );
  });

  it('a malformed --project_id is a usage error naming --project_id, not the setting it stands in for', async () => {
    const bigquery = {
      CONTRAIL_WAREHOUSE: 'bigquery',
      CONTRAIL_BIGQUERY_PROJECT: 'from-env',
      CONTRAIL_BIGQUERY_ENDPOINT: 'http://127.0.0.1:1',
    };
    for (const args of [
      ['preview', '--experiment_slug', DEMO_SLUG, '--project_id', 'Contrail-Probe'],
      ['validate', '--dry_run', '--project_id', 'Contrail-Probe', DEMO_CONFIG_REPO],
    ]) {
      const result = await runMain(args, bigquery);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /^contrail: --project_id Contrail-Probe: 6–30 lower-case letters, digits and hyphens, starting with a letter$/m,
      );
      assert.doesNotMatch(
        result.stderr,
        /CONTRAIL_BIGQUERY_PROJECT|starting an embedded Temporal dev server/,
      );
    }
  });

  it('results go to --dataset_id, else on BigQuery to CONTRAIL_BIGQUERY_DATASET, else contrail', async () => {
    const { resultsDataset } = await import('../../../src/client/option-values.js');
    const bigquery = { CONTRAIL_WAREHOUSE: 'bigquery', CONTRAIL_BIGQUERY_DATASET: 'mozanalysis' };
    assert.equal(resultsDataset(undefined, bigquery), 'mozanalysis');
    assert.equal(resultsDataset('given', bigquery), 'given');
    assert.equal(resultsDataset(undefined, { CONTRAIL_BIGQUERY_DATASET: 'mozanalysis' }), 'contrail');
    // What plan renders follows the same rule.
    const planned = await runMain(
      ['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15', '--dialect', 'bigquery'],
      {
        CONTRAIL_WAREHOUSE: 'bigquery',
        CONTRAIL_BIGQUERY_DATASET: 'mozanalysis',
        CONTRAIL_BIGQUERY_SOURCE_PROJECT: 'my-source-proj',
      },
    );
    assert.equal(planned.code, 0, planned.stderr);
    assert.match(planned.stdout, /^-- destination: mozanalysis\.enrollments_contrail_demo_sidebar$/m);
    // The shared tables are read from the source project the worker would use.
    assert.match(planned.stdout, /`my-source-proj\.\w+\.\w+`/);
    assert.doesNotMatch(planned.stdout, /moz-fx-data-shared-prod/);
  });

  it('on the embedded warehouse a --dataset_id in upper case is refused before anything starts: DuckDB takes TMP for tmp, CONTRAIL for the production dataset', async () => {
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    for (const [command, dataset] of [
      [['preview', '--experiment_slug', DEMO_SLUG], 'CONTRAIL'],
      [['run', '--date', '2026-03-15', '--experiment_slug', DEMO_SLUG], 'TMP'],
    ] as const) {
      const result = await runMain([...command, '--dataset_id', dataset], env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^contrail: --dataset_id ${dataset}: the embedded warehouse's dataset names ignore case, so this is the dataset ${dataset.toLowerCase()}; write it in lower case$`,
          'm',
        ),
      );
    }
    // BigQuery's keep their case; a preview still never writes to the production dataset, in any case.
    const { resultsDataset } = await import('../../../src/client/option-values.js');
    assert.equal(resultsDataset('Results', { CONTRAIL_WAREHOUSE: 'bigquery' }), 'Results');
    const { PreviewInput, parseInput } = await import('../../../src/workflows/inputs.js');
    assert.throws(
      () => parseInput(PreviewInput, { slug: DEMO_SLUG, dataset: 'Contrail' }, 'preview'),
      /never writes to the production dataset/,
    );
  });

  it('a --config_repos that is no config repo is a usage error of every command that takes it, saying what one holds', async () => {
    const missing = join(tmpdir(), 'contrail-no-such-repo');
    // A directory that holds no config: read as a repo, it defined no platform, and an analysis
    // said only `no definitions for platform 'firefox_desktop'; platforms: `.
    const notRepo = mkdtempSync(join(tmpdir(), 'contrail-not-a-repo-'));
    writeFileSync(join(notRepo, 'notes.txt'), 'not a config');
    mkdirSync(join(notRepo, 'elsewhere'));
    const config = join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`);
    for (const command of [
      ['preview', '--experiment_slug', DEMO_SLUG],
      ['run', '--date', '2026-03-15'],
      ['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'],
      ['validate', config],
      ['versions'],
    ]) {
      for (const [repo, why] of [
        [missing, 'no such directory'],
        [
          notRepo,
          'not a config repo: it has none of definitions/, jetstream/, defaults/, outcomes/ and no .toml file',
        ],
      ] as const) {
        // The demo repo first: each repo is checked, not only the first.
        const result = await runMain(
          [...command, '--config_repos', DEMO_CONFIG_REPO, '--config-repos', repo],
          {
            TEMPORAL_ADDRESS: '',
          },
        );
        assert.equal(result.code, 2, `${command[0]}: ${result.stderr}${result.stdout}`);
        assert.match(
          result.stderr,
          new RegExp(
            `^contrail: --config_repos ${repo}: ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(a config repo is a metric-hub checkout \\(definitions/<platform>\\.toml beside jetstream/<experiment>\\.toml\\)`,
            'm',
          ),
          command[0],
        );
        assert.doesNotMatch(
          result.stderr,
          /starting an embedded Temporal dev server|no definitions for platform/,
        );
      }
    }
    // A repo of experiment configs alone, laid out as metric-hub's, is one: given after a metric-hub.
    const overrides = mkdtempSync(join(tmpdir(), 'contrail-overrides-'));
    mkdirSync(join(overrides, 'jetstream'));
    writeFileSync(join(overrides, 'jetstream', `${DEMO_SLUG}.toml`), readFileSync(config));
    const plan = await runMain([
      ...['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'],
      ...['--config_repos', DEMO_CONFIG_REPO, '--config_repos', overrides],
    ]);
    assert.equal(plan.code, 0, plan.stderr);
    // So is a jetstream-style one: the experiment configs at its top, no folder.
    const flat = mkdtempSync(join(tmpdir(), 'contrail-flat-overrides-'));
    writeFileSync(join(flat, `${DEMO_SLUG}.toml`), readFileSync(config));
    const flatPlan = await runMain([
      ...['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'],
      ...['--config_repos', DEMO_CONFIG_REPO, '--config_repos', flat],
    ]);
    assert.equal(flatPlan.code, 0, flatPlan.stderr);
  });

  it('run takes --concurrency, for the daily run and for given experiments, checked before anything starts', async () => {
    const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    for (const slugs of [[], ['--experiment_slug', DEMO_SLUG]]) {
      const result = await runMain(['run', '--date', '2026-03-15', ...slugs, '--concurrency', '0'], env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^contrail: --concurrency 0: must be a whole number from 1 to 100$/m);
    }
  });

  it('a malformed date names its option', async () => {
    const result = await runMain(['run', '--date', '2026-02-30', '--experiment_slug', DEMO_SLUG]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^contrail: --date 2026-02-30: not a real calendar date \(expected YYYY-MM-DD\)$/m,
    );
    // Said once: a month 13 sorts after today as text, but it is no date to be after today.
    const month13 = await runMain(['run', '--date', '2026-13-01', '--experiment_slug', DEMO_SLUG]);
    assert.equal(month13.code, 2);
    assert.match(
      month13.stderr,
      /^contrail: --date 2026-13-01: not a real calendar date \(expected YYYY-MM-DD\)$/m,
    );
    // Not in the form at all: said once, and before any comparison with another date.
    const loose = await runMain(['run', '--date', '2026-3-15', '--experiment_slug', DEMO_SLUG]);
    assert.equal(loose.code, 2);
    assert.match(loose.stderr, /^contrail: --date 2026-3-15: expected a date as YYYY-MM-DD$/m);
    const range = await runMain([
      'backfill',
      '--experiment_slug',
      DEMO_SLUG,
      '--start_date',
      '2026-3-15',
      '--end_date',
      '2026-03-16',
    ]);
    assert.equal(range.code, 2);
    assert.match(range.stderr, /^contrail: --start_date 2026-3-15: expected a date as YYYY-MM-DD$/m);
  });

  it('unknown command and unknown flag exit 2 with usage naming the valid choices', async () => {
    const unknownCommand = await runMain(['frobnicate']);
    assert.equal(unknownCommand.code, 2);
    assert.match(
      unknownCommand.stderr,
      /unknown command "frobnicate"; valid commands: .*doctor.*server.*status.*worker/,
    );
    // A typo of a command is answered with the command.
    const typo = await runMain(['prevew']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown command "prevew" \(did you mean 'preview'\?\); valid commands: /);
    const unknownFlag = await runMain(['server', '--frobnicate']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /^contrail: unknown option --frobnicate$/m);
    assert.match(unknownFlag.stderr, /--ui-port/);
  });

  it('a mistyped option is named once, as typed, with the option it resembles', async () => {
    const result = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--num-dayz', '2']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--sample_size/, 'the help comes first');
    const last = result.stderr.trim().split('\n').at(-1);
    assert.equal(last, 'contrail: unknown option --num-dayz (did you mean --num-days?)');
    assert.doesNotMatch(result.stderr, /numDayz/, 'not the camelCase twin yargs adds');
    // Offered in the spelling the option was typed in.
    const snake = await runMain(['preview', '--experiment_slug', DEMO_SLUG, '--num_dayz=2', '--frob']);
    assert.equal(snake.code, 2);
    assert.match(
      snake.stderr,
      /^contrail: unknown options --num_dayz \(did you mean --num_days\?\), --frob$/m,
    );
    // Two letters swapped are one typo: a short option's swap was two edits, past its limit.
    const swapped = await runMain(['dashboard', '--prot', '8051']);
    assert.equal(swapped.code, 2);
    assert.equal(
      swapped.stderr.trim().split('\n').at(-1),
      'contrail: unknown option --prot (did you mean --port?)',
    );
  });

  it("--version after a command is refused, not taken for the program's (it ran nothing, exit 0)", async () => {
    // Meant as --use-version: the program printed its version and the run never started.
    const run = await runMain(['run', '--date', '2026-03-15', '--version', '0.1.0']);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr.trim().split('\n').at(-1),
      "contrail: unknown option --version (did you mean --use-version? `contrail --version` prints contrail's own)",
    );
    const stats = await runMain(['stats', '--version']);
    assert.equal(stats.code, 2, stats.stderr);
    assert.match(
      stats.stderr,
      /^contrail: unknown option --version \(`contrail --version`, before any command/m,
    );
    // Nor does a command's help list it.
    const help = await runMain(['backfill', '--help']);
    assert.equal(help.code, 0);
    assert.doesNotMatch(help.stdout, /--version\s+Show version number/);
    const own = await runMain(['--version']);
    assert.equal(own.code, 0);
    assert.match(own.stdout, /^\d+\.\d+\.\d+/);
  });

  it('an argument more than a command takes is named with the command it is', async () => {
    const status = await runMain(['status', 'a', 'b']);
    assert.equal(status.code, 2);
    assert.equal(
      status.stderr.trim().split('\n').at(-1),
      'contrail: unexpected argument b: the command is `contrail status [workflow_id]` (see above)',
    );
    const cancel = await runMain(['cancel', 'a', 'b']);
    assert.equal(cancel.code, 2);
    assert.equal(
      cancel.stderr.trim().split('\n').at(-1),
      'contrail: unexpected argument b: the command is `contrail cancel <workflow_id>` (see above)',
    );
    const run = await runMain(['run', '--date', '2026-03-15', 'x', 'y']);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr.trim().split('\n').at(-1),
      'contrail: unexpected arguments x, y: the command is `contrail run` (see above)',
    );
  });

  it('a mistyped required option is named rather than reported missing', async () => {
    const result = await runMain(['preview', '--experiment-slg', DEMO_SLUG]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^contrail: unknown option --experiment-slg \(did you mean --experiment-slug\?\)$/m,
    );
    assert.doesNotMatch(result.stderr, /Missing required argument/);
  });

  it("no command's help calls an option both required and defaulted", async () => {
    for (const command of commands.map((c) => String(c.command).split(' ')[0] as string)) {
      const help = await runMain([command, '--help']);
      assert.equal(help.code, 0, `${command}: ${help.stderr}`);
      const both = help.stdout
        .split('\n')
        .filter((line) => /\[required\]/.test(line) && /\[default:/.test(line));
      assert.deepEqual(both, [], `contrail ${command} --help`);
    }
    assert.match((await runMain(['validate', '--help'])).stdout, /^ {2}files .*\[array\] \[required\]$/m);
  });

  it('-h shows the help as --help does, alone or after other options', async () => {
    for (const args of [[], ...commands.map((c) => [String(c.command).split(' ')[0] as string])]) {
      const short = await runMain([...args, '-h']);
      assert.equal(short.code, 0, `contrail ${args.join(' ')} -h: ${short.stderr}`);
      assert.equal(short.stdout, (await runMain([...args, '--help'])).stdout);
    }
    const late = await runMain(['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-02-30', '-h']);
    assert.equal(late.code, 0, late.stderr);
    assert.match(late.stdout, /^contrail plan$/m);
  });

  it("every option and argument in every command's help says what it is", async () => {
    for (const command of commands.map((c) => String(c.command).split(' ')[0] as string)) {
      const help = await runMain([command, '--help']);
      assert.equal(help.code, 0, `${command}: ${help.stderr}`);
      // Names, then nothing but the type and default: a line the help leaves without a description.
      const bare = help.stdout.split('\n').filter((line) => /^ {2}[\w-]+(, --?[\w-]+)* +\[/.test(line));
      assert.deepEqual(bare, [], `contrail ${command} --help`);
    }
  });

  it('a command offers only the options that do something there, and says truly what they do', async () => {
    const help = async (command: string) => (await runMain([command, '--help'])).stdout;
    const offered = (text: string) => [...text.matchAll(/^ {2}(--[\w-]+)/gm)].map((m) => m[1]);
    // The versions report runs at once and reads no configs' periods.
    for (const option of ['--analysis_periods', '--lenient', '--detach'])
      assert.ok(!offered(await help('versions')).includes(option), `versions ${option}`);
    const refused = await runMain(['versions', '--lenient']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^contrail: unknown option --lenient$/m);
    // A rerun moves the anchor and recomputes on the latest release, whatever --use-latest says.
    const rerun = await help('rerun');
    assert.ok(!offered(rerun).includes('--use-latest'));
    assert.doesNotMatch(rerun, /anchor does not move/);
    assert.match(rerun, /--use-version.*Recompute on this contrail release/);
    // --verbose shows the SDK's warnings where a command runs a worker, and is not offered where
    // nothing would change.
    for (const command of ['stats', 'sample', 'dashboard', 'plan', 'validate', 'server'])
      assert.ok(!offered(await help(command)).includes('--verbose'), `${command} --verbose`);
    assert.match(await help('preview'), /--verbose +Also show the Temporal SDK's warnings/);
    assert.match(await help('status'), /--verbose +Also show every experiment a daily report counts as ok/);
  });

  it('cancel, listed by --help, needs a cluster: without TEMPORAL_ADDRESS a usage error says how embedded commands stop', async () => {
    const listed = await runMain(['--help']);
    assert.match(listed.stdout, /^ {2}contrail cancel <workflow_id> +Cancel a workflow on a cluster/m);
    for (const args of [
      ['cancel', 'backfill/x/2026-03-01..2026-03-02'],
      ['cancel', 'x', '--no-follow', '--json'],
    ]) {
      const result = await runMain(args, { TEMPORAL_ADDRESS: '' });
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stdout, '');
      assert.equal(
        result.stderr.trim(),
        'contrail: cancel stops a workflow on a running Temporal: set TEMPORAL_ADDRESS. Without it commands run embedded: Ctrl-C stops one (cancelling its workflows), and its private server ends with it, so there is nothing to cancel',
      );
    }
    // Its options take the names status's do: --no-follow, and --no-wait beside it.
    const help = (await runMain(['cancel', '--help'])).stdout;
    assert.match(help, /--follow, --wait +Follow the workflow until it has stopped \(--no-follow:/);
    assert.match(help, /--json +Print what was cancelled as JSON/);
  });

  it('status and schedule without TEMPORAL_ADDRESS are usage errors (exit 2), not a failed workflow (exit 1)', async () => {
    for (const [args, said] of [
      [['status'], /^contrail: status reads workflows on a running Temporal: set TEMPORAL_ADDRESS/],
      [
        ['status', 'analysis/x/2026-03-15', '--json'],
        /^contrail: status reads workflows on a running Temporal/,
      ],
      [
        ['schedule', 'describe'],
        /^contrail: schedules live on a running Temporal: start `.*server` and set TEMPORAL_ADDRESS/,
      ],
      [['schedule', 'trigger'], /^contrail: schedules live on a running Temporal/],
    ] as const) {
      const result = await runMain([...args], { TEMPORAL_ADDRESS: '' });
      assert.equal(result.code, 2, args.join(' '));
      assert.equal(result.stdout, '');
      assert.match(result.stderr.trim(), said);
    }
  });

  it('a CONTRAIL_LOG_LEVEL that is no level is named with the valid ones', async () => {
    const result = await runMain(['run', '--date', '2026-03-15', '--detach'], {
      CONTRAIL_LOG_LEVEL: 'loud',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CONTRAIL_LOG_LEVEL=loud: valid levels are TRACE, DEBUG, INFO, WARN, ERROR/);
  });
});

describe('what a command loads', () => {
  /** The packages of `modules` among those a command's implementation needs, not its definition. */
  const heavy = (modules: string[], packages: RegExp) =>
    [
      ...new Set(
        modules.flatMap((m) => {
          const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1];
          return name !== undefined && packages.test(name) ? [name.replace(/^@stdlib\/.*/, '@stdlib/*')] : [];
        }),
      ),
    ].sort();
  const implementations =
    /^(@temporalio\/|@stdlib\/|@duckdb\/|@grpc\/|protobufjs$|zod$|nunjucks$|simple-git$)/;

  it("the help, a usage error and a command's help load no command's implementation", async () => {
    for (const args of [['--help'], ['previwe'], ['sample', '--help']]) {
      const result = await runCliListingModules(args);
      assert.equal(result.code, args[0] === 'previwe' ? 2 : 0, result.stderr);
      assert.deepEqual(heavy(result.modules, implementations), [], `contrail ${args.join(' ')}`);
    }
  });

  it('plan loads neither Temporal nor the distribution functions the statistics compute with', async () => {
    const result = await runCliListingModules([
      'plan',
      '--experiment_slug',
      DEMO_SLUG,
      '--date',
      '2026-03-15',
      '--config_repos',
      DEMO_CONFIG_REPO,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /statistic_inputs_contrail_demo_sidebar/);
    assert.deepEqual(heavy(result.modules, /^(@temporalio\/|@grpc\/|@stdlib\/)/), []);
  });
});

describe('bin/contrail', () => {
  it('runs from any directory, finding its TypeScript loader in the package', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'contrail-elsewhere-'));
    const result = spawnSync(join(repoRoot, 'bin', 'contrail'), ['--version'], { cwd, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(result.stdout.trim(), pkg.version);
  });

  it('output piped into a reader that stops early (`| head`) ends the command quietly', () => {
    // The plan's SQL is more than a pipe holds: writes go on after head has read its bytes and gone.
    const command = [process.execPath, cliLauncher]
      .concat(['plan', '--experiment_slug', DEMO_SLUG, '--date', '2026-03-15'])
      .map((word) => `'${word}'`)
      .join(' ');
    const result = spawnSync('bash', ['-c', `set -o pipefail; ${command} | head -c 10 >/dev/null`], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.doesNotMatch(result.stderr, /EPIPE|Unhandled 'error' event|\n\s+at /);
    assert.equal(result.status, 0, result.stderr);
  });

  it('Ctrl-C during sample says nothing was written and exits 130', async () => {
    // Big enough that the second table is still being written when the signal comes.
    const run = spawnCli(['sample', '--clients', '50000'], {
      env: { CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-sample-')) },
      detached: true,
    });
    try {
      await run.waitForStderr(/^\[2\/5\]/m);
      process.kill(-(run.child.pid as number), 'SIGINT');
      const result = await run.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(
        result.stderr,
        /^contrail: interrupted \(SIGINT\): no sample written; the warehouse holds what it held before$/m,
      );
      assert.equal(result.stdout, '', 'no summary of tables');
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});

describe('an embedded command interrupted while its server starts', () => {
  it('says nothing was started and exits 130', async () => {
    const run = spawnCli(['versions'], {
      env: { CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-starting-')), TEMPORAL_ADDRESS: '' },
    });
    try {
      while (!run.stderr().includes('starting an embedded Temporal dev server')) {
        assert.equal(run.child.exitCode, null, run.stderr());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      run.child.kill('SIGINT');
      const result = await run.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(
        result.stderr,
        /^contrail: interrupted \(SIGINT\) while starting the embedded Temporal server and worker: nothing was started$/m,
      );
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});

describe('contrail validate, interrupted', () => {
  it('Ctrl-C stops between two files, saying how many were checked, and exits 130', async () => {
    const repo = metricHubFixtures();
    const run = spawnCli(['validate', join(repo, 'jetstream'), '--config_repos', repo], {
      env: { CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-validate-')) },
      detached: true,
    });
    const verdicts = () => run.stdout().match(/^(ok|invalid) {2,}/gm)?.length ?? 0;
    try {
      while (verdicts() < 2) {
        assert.equal(run.child.exitCode, null, run.stderr());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      process.kill(-(run.child.pid as number), 'SIGINT');
      const result = await run.done;
      assert.equal(result.code, 130, result.stderr);
      const said =
        /^contrail: interrupted \(SIGINT\) after checking (\d+) of (\d+) config files( \(\d+ invalid\))?; the others were not checked$/m.exec(
          result.stderr,
        );
      assert.ok(said, result.stderr);
      assert.equal(Number(said[1]), verdicts(), 'each file checked has its verdict');
      assert.ok(Number(said[1]) < Number(said[2]));
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});

/** The `bin/contrail …` commands of the README, as words; `a | b` alternatives expanded. */
function readmeCommands(): string[][] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  return [...readme.matchAll(/^bin\/contrail ([^\n#]*)/gm)].flatMap((m) => {
    const words = m[1]!.trim().split(/\s+/);
    const bar = words.indexOf('|');
    if (bar < 0) return [words];
    const head = words.slice(0, bar - 1);
    return words
      .slice(bar - 1)
      .filter((w) => w !== '|')
      .map((alternative) => [...head, alternative]);
  });
}

/** Where scripts/install-temporal.sh puts the Temporal CLI in a checkout: not on PATH. */
const CHECKOUT_TEMPORAL = '.tools/venv/bin/temporal';

/**
 * The Temporal CLI commands of the README as typed: in its shell blocks and in its inline code
 * (which may wrap a line), each command of a line (`;`, `&&`, `|`, `do` part them) that runs a
 * program named `temporal` with a subcommand.
 */
function readmeTemporalCommands(): string[][] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap((m) => m[1]!.split('\n'));
  const prose = readme.replace(/^```[\s\S]*?^```/gm, '');
  const spans = [...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\s+/g, ' '));
  return [...blocks, ...spans]
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(/;|&&|\|\||\||\bdo\b/))
    .map((command) => command.trim().split(/\s+/))
    .map((words) => words.slice(words.findIndex((w) => !/^[A-Z_]+=/.test(w))))
    .filter((words) => words.length > 1 && /(^|\/)temporal$/.test(words[0]!));
}

const option = (words: string[], name: string) => {
  const i = words.findIndex((w) => w === `--${name}` || w === `--${name.replaceAll('_', '-')}`);
  return i >= 0 ? words[i + 1] : undefined;
};

describe('the README', () => {
  it('shows only commands the CLI accepts', async () => {
    const commandsOnly = commands.map((c) => ({ ...c, handler: () => undefined }));
    const examples = readmeCommands();
    assert.ok(examples.length >= 10, `${examples.length} examples`);
    // The experiments file an example names is checked as the command line is read: there is one
    // where the examples run.
    const here = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'contrail-readme-'));
    writeFileSync(join(dir, 'fleet.json'), '[]');
    // As is a metric-hub checkout an example's --config_repos names.
    for (const folder of ['definitions', 'jetstream'])
      mkdirSync(join(dir, 'path/to/metric-hub', folder), { recursive: true });
    process.chdir(dir);
    try {
      for (const words of examples) {
        await assert.doesNotReject(
          buildParser(words, commandsOnly).parseAsync(),
          `bin/contrail ${words.join(' ')}`,
        );
      }
    } finally {
      process.chdir(here);
    }
  });

  it('runs the Temporal CLI where a checkout has it, with subcommands and flags that CLI has', () => {
    const examples = readmeTemporalCommands();
    assert.ok(examples.length >= 8, `${examples.length} Temporal CLI examples`);
    for (const words of examples)
      assert.equal(words[0], CHECKOUT_TEMPORAL, `the README's ${words.join(' ')}: not on PATH in a checkout`);
    // The path is the installer's.
    const installer = readFileSync(join(repoRoot, 'scripts/install-temporal.sh'), 'utf8');
    assert.match(installer, /^tools="\$\{1:-\$root\/\.tools\}"$/m);
    assert.match(installer, /^target="\$tools\/venv\/bin\/temporal"$/m);
    // Each command as that CLI reads it: its subcommand exists and takes every flag given.
    const binary = join(repoRoot, CHECKOUT_TEMPORAL);
    if (!existsSync(binary)) return;
    const helps = new Map<string, string>();
    for (const words of examples) {
      const args = words.slice(1);
      const end = args.findIndex((w) => !/^[a-z][a-z-]*$/.test(w));
      const subcommand = (end < 0 ? args : args.slice(0, end)).join(' ');
      if (!helps.has(subcommand)) {
        const help = spawnSync(binary, [...subcommand.split(' '), '--help'], { encoding: 'utf8' });
        helps.set(subcommand, help.stdout);
      }
      const help = helps.get(subcommand) ?? '';
      assert.match(
        help,
        new RegExp(`^\\s*temporal ${subcommand} \\[flags\\]`, 'm'),
        `temporal ${subcommand}`,
      );
      for (const flag of args.filter((w) => w.startsWith('--')))
        assert.ok(help.includes(`${flag} `), `temporal ${subcommand} takes ${flag}`);
    }
  });

  it('says where an example needs TEMPORAL_ADDRESS, as the command does without it', async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/^bin\/contrail ((status|cancel)\b[^#\n]*)#(.*)$/gm)];
    assert.ok(examples.length >= 3, `${examples.length} status and cancel examples`);
    for (const [, typed, command, comment] of examples) {
      const words = typed!.trim();
      const result = await runMain(words.split(/\s+/), { TEMPORAL_ADDRESS: '' });
      // What status reads and cancel stops runs only on a cluster: without one it is a usage error.
      assert.equal(result.code, 2, `bin/contrail ${words} (${command})`);
      assert.match(result.stderr, /set TEMPORAL_ADDRESS/);
      assert.match(comment!, /needs TEMPORAL_ADDRESS/, `the README's bin/contrail ${words}`);
    }
  });

  it('dates its examples where the demo experiment has results to compute', async () => {
    const telemetry = dateRange(DEMO_DATA.startDate, '2026-12-31').slice(0, DEMO_DATA.days);
    const examples = readmeCommands().filter((w) => option(w, 'date') || option(w, 'start_date'));
    assert.ok(examples.length >= 3);
    // The workflow inputs shown as JSON (`temporal workflow start`, the table of inputs) too.
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const [json] of readme.matchAll(/\{"[^`']*"(?:date|startDate)": "\d{4}-\d\d-\d\d"[^`']*\}/g)) {
      const input = JSON.parse(json) as { date?: string; startDate?: string; endDate?: string };
      const start = input.date ?? input.startDate!;
      examples.push(['--date', start, '--end_date', input.endDate ?? start]);
    }
    assert.ok(examples.length >= 7, `${examples.length} dated examples`);
    for (const words of examples) {
      const start = option(words, 'date') ?? option(words, 'start_date')!;
      const dates = dateRange(start, option(words, 'end_date') ?? start);
      for (const d of dates) assert.ok(telemetry.includes(d), `${d} lies in the demo telemetry`);
      const lines = await planSql({
        slug: option(words, 'experiment_slug') ?? DEMO_SLUG,
        dates,
        experimentsFile: defaultExperimentsFile({}),
        configRepos: defaultConfigRepos({}),
        configFile: null,
        dataset: 'contrail',
        outputDir: null,
      });
      assert.ok(
        dates.every(
          (d) => !lines.some((line) => line.startsWith(`nothing to compute for ${DEMO_SLUG} on ${d}`)),
        ),
        `bin/contrail ${words.join(' ')}: every date has statistics to compute`,
      );
    }
  });
});
