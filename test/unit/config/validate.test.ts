import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { parseConfigFile } from '../../../src/config/parse.js';
import { inferPlatform, placeholderExperiment } from '../../../src/config/platform.js';
import { validateConfigFile } from '../../../src/config/validate.js';
import { addDays, isoDate } from '../../../src/dates.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { runMain } from '../../helpers/cli.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';
import { DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

const REPO = join('test', 'fixtures', 'config', 'repo');
const GOOD = join(REPO, 'jetstream', 'good-experiment.toml');
const BROKEN = join('test', 'fixtures', 'config', 'broken');

/** `contrail validate …` in this process: its exit code and what it printed on stdout. */
async function validate(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const { code, stdout } = await runMain(['validate', ...args]);
  return { code, stdout };
}

describe('validate', () => {
  let collection: ConfigCollection;
  before(async () => {
    collection = await loadConfigCollection({ repos: [REPO] });
  });

  it('infers the platform from the definitions that cover every reference', () => {
    assert.deepEqual(inferPlatform(collection, parseConfigFile(GOOD)), {
      platform: 'firefox_desktop',
      candidates: ['firefox_desktop'],
    });
    assert.deepEqual(inferPlatform(collection, parseConfigFile(join(BROKEN, 'unknown-metric.toml'))), {
      platform: null,
      candidates: [],
    });
  });

  it('builds a placeholder experiment from the file', () => {
    const experiment = placeholderExperiment(parseConfigFile(GOOD), 'firefox_desktop');
    assert.equal(experiment.slug, 'good-experiment');
    assert.equal(experiment.startDate, '2024-01-01');
    assert.equal(experiment.status, 'complete');
    assert.deepEqual(
      experiment.branches.map((b) => b.slug),
      ['control', 'treatment'],
    );
    // Ended or not as of the UTC day given (its end date is 2024-02-01); started today without a start date.
    const file = parseConfigFile(GOOD);
    assert.equal(placeholderExperiment(file, 'firefox_desktop', '2024-01-15').status, 'live');
    assert.equal(placeholderExperiment(file, 'firefox_desktop', '2024-02-02').status, 'complete');
  });

  it('accepts a valid experiment config and rejects a broken one', () => {
    const good = validateConfigFile(collection, GOOD);
    assert.deepEqual(
      { platform: good.platform, errors: good.errors, warnings: good.warnings, notes: good.notes },
      { platform: 'firefox_desktop', errors: [], warnings: [], notes: [] },
    );
    const broken = validateConfigFile(collection, join(BROKEN, 'unknown-data-source.toml'), {
      platform: 'firefox_desktop',
    });
    assert.equal(broken.errors[0]?.line, 6);
    const unknown = validateConfigFile(collection, join(BROKEN, 'unknown-metric.toml'));
    assert.equal(unknown.platform, 'firefox_desktop');
    assert.match(
      unknown.errors[0]?.message ?? '',
      /metric 'active_hour' is not defined .*did you mean 'active_hours'/,
    );
    assert.match(validateConfigFile(collection, 'missing.toml').errors[0]?.message ?? '', /file not found/);
  });

  it("a parameter a statistic refuses is reported with the config's other errors, in one round", () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-validate-params-'));
    const file = join(dir, 'two-faults.toml');
    writeFileSync(
      file,
      [
        '[metrics]',
        'weekly = ["uri_count", "active_hour"]',
        '',
        '[metrics.uri_count.statistics.bootstrap_mean]',
        'num_samples = 10',
        '',
      ].join('\n'),
    );
    const result = validateConfigFile(collection, file, { platform: 'firefox_desktop' });
    assert.deepEqual(
      result.errors.map((e) => [e.line, e.keyPath]),
      [
        [5, 'metrics.uri_count.statistics.bootstrap_mean.num_samples'],
        [2, 'metrics.weekly.1'],
      ],
      JSON.stringify(result.errors),
    );
    assert.match(result.errors[0]?.message ?? '', /must be at least 100, got number 10/);
    assert.match(result.errors[1]?.message ?? '', /metric 'active_hour' is not defined/);
    // Parameters that are no table at all leave the statistic unusable: that alone is said.
    writeFileSync(
      file,
      '[metrics]\nweekly = ["active_hour"]\n\n[metrics.uri_count.statistics]\nbootstrap_mean = 3\n',
    );
    const broken = validateConfigFile(collection, file, { platform: 'firefox_desktop' });
    assert.deepEqual(
      broken.errors.map((e) => e.keyPath),
      ['metrics.uri_count.statistics.bootstrap_mean'],
    );
  });

  it('contrail validate exits 0 when all files are valid and 1 otherwise', async () => {
    assert.equal((await validate([GOOD, '--config_repos', REPO])).code, 0);
    const broken = await validate([GOOD, join(BROKEN, 'period-week.toml'), '--config-repos', REPO]);
    assert.equal(broken.code, 1);
    assert.ok(
      broken.stdout.includes(
        "period-week.toml:2: metrics.week: 'week' is not a period list (did you mean 'weekly'?)",
      ),
    );
  });

  it('a file contrail refuses while checking it is that file invalid; the other files are still checked', async () => {
    // An overall window that would be negative: planning this experiment throws.
    const file = join(mkdtempSync(join(tmpdir(), 'contrail-validate-')), 'too-short.toml');
    writeFileSync(
      file,
      '[experiment]\nstart_date = "2024-01-01"\nend_date = "2024-01-05"\nenrollment_period = 7\n\n[metrics]\noverall = ["uri_count"]\n',
    );
    const { code, stdout } = await validate([file, GOOD, '--config_repos', REPO]);
    assert.equal(code, 1, stdout);
    assert.match(stdout, new RegExp(`^invalid {2}${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
    assert.ok(
      stdout.includes(`  error: ${file}: experiment too-short: the overall window would be -3 days long`),
      stdout,
    );
    assert.match(stdout, /^ok {7}test\/fixtures\/config\/repo\/jetstream\/good-experiment\.toml /m);
  });

  it('a warning about a shared definitions file is shown once, not under every experiment that reads it', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'contrail-validate-shared-'));
    cpSync(REPO, repo, { recursive: true });
    const definitions = join(repo, 'definitions', 'firefox_desktop.toml');
    // `name` is read only in an exposure signal: a warning located in the definitions file.
    writeFileSync(
      definitions,
      readFileSync(definitions, 'utf8').replace(
        'friendly_name = "Active hours"',
        'friendly_name = "Active hours"\nname = "active_hours"',
      ),
    );
    const first = join(repo, 'jetstream', 'good-experiment.toml');
    const second = join(repo, 'jetstream', 'good-experiment-2.toml');
    copyFileSync(first, second);
    const { code, stdout } = await validate([first, second, '--no-check_sql', '--config_repos', repo]);
    assert.equal(code, 0, stdout);
    const warning = `  warning: ${definitions}:7: metrics.active_hours.name: 'name' has no effect`;
    assert.equal(stdout.split('\n').filter((line) => line.startsWith(warning)).length, 1, stdout);
    assert.match(stdout, /^\(1 repeated warning about shared files not shown again/m);
  });

  it('--platform given for a shared file says it does not apply rather than being dropped silently', () => {
    const outcome = join(REPO, 'jetstream', 'outcomes', 'firefox_desktop', 'demo.toml');
    const definitions = join(REPO, 'definitions', 'firefox_desktop.toml');
    const functions = join(REPO, 'definitions', 'functions.toml');
    assert.deepEqual(validateConfigFile(collection, outcome, { platform: 'fenix' }).notes, [
      "--platform fenix does not apply to an outcome file: its path makes it firefox_desktop's, and it is checked as such",
    ]);
    assert.deepEqual(validateConfigFile(collection, definitions, { platform: 'fenix' }).notes, [
      "--platform fenix does not apply to a definitions file: its path makes it firefox_desktop's, and it is checked as such",
    ]);
    assert.deepEqual(validateConfigFile(collection, functions, { platform: 'fenix' }).notes, [
      '--platform fenix does not apply to the functions file: it is shared by every platform',
    ]);
    // The platform the file has anyway, or none given: nothing to say.
    assert.deepEqual(validateConfigFile(collection, outcome, { platform: 'firefox_desktop' }).notes, []);
    assert.deepEqual(validateConfigFile(collection, outcome).notes, []);
  });

  it('a table the embedded warehouse lacks is named once, with how many config files read it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-validate-unchecked-'));
    // Telemetry exists (so the SQL is checked), but not the table the experiments read.
    const telemetry = await openDuckDbWarehouse({ path: join(home, 'mozdata.duckdb') });
    await telemetry.execute('CREATE SCHEMA other; CREATE TABLE other.t (x INTEGER)');
    await telemetry.close();
    const dir = mkdtempSync(join(tmpdir(), 'contrail-validate-unchecked-files-'));
    const files = ['one', 'two', 'three'].map((name) => {
      const file = join(dir, `${name}.toml`);
      copyFileSync(GOOD, file);
      return file;
    });
    const saved = process.env.CONTRAIL_HOME;
    process.env.CONTRAIL_HOME = home;
    try {
      const { code, stdout } = await validate([...files, '--config_repos', REPO]);
      assert.equal(code, 0, stdout);
      const notes = stdout.split('\n').filter((line) => line.includes('not checked'));
      assert.ok(notes.length > 0, stdout);
      const tables = notes[0]!.replace(/^ {2}info: SQL reading (.*) not checked: .*$/, '$1').split(', ');
      assert.ok(
        tables.every((table) => table.startsWith('mozdata.telemetry.')),
        notes[0],
      );
      assert.equal(notes.length, 1 + tables.length, stdout);
      for (const table of tables)
        assert.ok(
          notes.includes(
            `(SQL reading ${table} not checked in 3 config files: the embedded warehouse has no such table; named only under the first)`,
          ),
          stdout,
        );
    } finally {
      if (saved === undefined) delete process.env.CONTRAIL_HOME;
      else process.env.CONTRAIL_HOME = saved;
    }
  });

  it('an unknown key in a definitions file says, as in an experiment config, that --lenient accepts it', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'contrail-validate-lenient-'));
    cpSync(REPO, repo, { recursive: true });
    const definitions = join(repo, 'definitions', 'firefox_desktop.toml');
    writeFileSync(
      definitions,
      readFileSync(definitions, 'utf8').replace(
        'friendly_name = "Active hours"',
        'friendly_nam = "Active hours"',
      ),
    );
    const strict = await validate([definitions, '--no-check_sql', '--config_repos', repo]);
    assert.equal(strict.code, 1, strict.stdout);
    assert.match(
      strict.stdout,
      /^ {2}error: .*definitions\/firefox_desktop\.toml:6: metrics\.active_hours\.friendly_nam: unknown key 'friendly_nam' in metric 'active_hours' \(did you mean 'friendly_name'\?\); valid keys: .* \(use --lenient to accept unknown keys as warnings\)$/m,
    );
    const lenient = await validate([definitions, '--no-check_sql', '--lenient', '--config_repos', repo]);
    assert.equal(lenient.code, 0, lenient.stdout);
    assert.match(lenient.stdout, /^ {2}warning: .*friendly_nam: unknown key 'friendly_nam'/m);
  });

  it('a directory is every .toml file under it, in order; one holding none is reported', async () => {
    const { code, stdout } = await validate([REPO, '--config_repos', REPO]);
    assert.equal(code, 0, stdout);
    const checked = [...stdout.matchAll(/^ok {7}(\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(checked, [
      join(REPO, 'definitions', 'firefox_desktop.toml'),
      join(REPO, 'definitions', 'functions.toml'),
      join(REPO, 'jetstream', 'defaults', 'firefox_desktop.toml'),
      join(REPO, 'jetstream', 'definitions', 'firefox_desktop.toml'),
      join(REPO, 'jetstream', 'good-experiment.toml'),
      join(REPO, 'jetstream', 'outcomes', 'firefox_desktop', 'demo.toml'),
    ]);
    const empty = mkdtempSync(join(tmpdir(), 'contrail-validate-'));
    const none = await validate([empty, '--config_repos', REPO]);
    assert.equal(none.code, 1);
    assert.ok(
      none.stdout.includes(`  error: ${empty}: no .toml config file under this directory`),
      none.stdout,
    );
  });

  it('without --config_repos a file in a metric-hub checkout is checked against that checkout, and says so', async () => {
    const configured = process.env.CONTRAIL_CONFIG_REPOS;
    delete process.env.CONTRAIL_CONFIG_REPOS;
    try {
      // good-experiment uses the fixture repo's own definitions, which the demo repo lacks.
      const { code, stdout } = await validate([GOOD, '--no-check_sql']);
      assert.equal(code, 0, stdout);
      assert.equal(stdout.split('\n')[0], `config repos: ${REPO} (the metric-hub checkout the files are in)`);
      const named = await validate([GOOD, '--no-check_sql', '--config_repos', REPO]);
      assert.equal(named.stdout.split('\n')[0], `config repos: ${REPO} (--config_repos)`);
    } finally {
      if (configured !== undefined) process.env.CONTRAIL_CONFIG_REPOS = configured;
    }
  });

  it('once the configs pass, says how to preview each experiment, with the options its preview needs', async () => {
    const configured = process.env.CONTRAIL_CONFIG_REPOS;
    delete process.env.CONTRAIL_CONFIG_REPOS;
    try {
      const tail = (stdout: string) => stdout.trimEnd().split('\n').slice(-2);
      // Launched, with a start date: the slug and the file are all a preview needs.
      const demo = join('src', 'sample', 'metric-hub', 'jetstream', 'contrail-demo-sidebar.toml');
      const launched = await validate([demo, '--no-check_sql']);
      assert.equal(launched.code, 0, launched.stdout);
      assert.deepEqual(tail(launched.stdout), [
        'preview the analysis of this experiment before its config is merged (the last 3 days with results due, on a 1% sample, in a dataset whose tables expire):',
        `  contrail preview --experiment_slug contrail-demo-sidebar --config_file ${demo}`,
      ]);
      // No experiments source knows it: its platform, a generated population, and the repos given.
      const unknown = await validate([GOOD, '--no-check_sql', '--config_repos', REPO]);
      assert.equal(unknown.code, 0, unknown.stdout);
      assert.equal(
        tail(unknown.stdout)[1],
        `  contrail preview --experiment_slug good-experiment --config_file ${GOOD} --platform firefox_desktop --generate_population --config_repos ${REPO}`,
      );
      // Launched but still enrolling today: the last days have no results without a population.
      const records = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as {
        slug: string;
        startDate: string | null;
        enrollmentEndDate: string | null;
        endDate: string | null;
      }[];
      const enrolling = join(mkdtempSync(join(tmpdir(), 'contrail-validate-')), 'experiments.json');
      const record = records.find((e) => e.slug === 'contrail-demo-sidebar');
      const startDate = addDays(isoDate(new Date()), -2);
      writeFileSync(
        enrolling,
        JSON.stringify([{ ...record, startDate, enrollmentEndDate: null, endDate: null }]),
      );
      const still = await validate([demo, '--no-check_sql', '--experiments_file', enrolling]);
      assert.equal(still.code, 0, still.stdout);
      assert.equal(
        tail(still.stdout)[1],
        `  contrail preview --experiment_slug contrail-demo-sidebar --config_file ${demo} --generate_population --experiments_file ${enrolling}`,
      );
      // A failed check ends with what failed, not with what to do next.
      const broken = await validate([GOOD, join(BROKEN, 'period-week.toml'), '--config-repos', REPO]);
      assert.equal(broken.code, 1);
      assert.doesNotMatch(broken.stdout, /contrail preview/);
    } finally {
      if (configured !== undefined) process.env.CONTRAIL_CONFIG_REPOS = configured;
    }
  });

  it('real configs whose slug starts with a digit validate (their tables start with a digit)', async () => {
    const jetstream = join(metricHubFixtures(), 'jetstream');
    const files = ['1-click-pin-experiment.toml', '3rd-party-cookie-deprecation.toml'].map((f) =>
      join(jetstream, f),
    );
    const { code, stdout } = await validate([...files, '--config_repos', metricHubFixtures()]);
    assert.equal(code, 0, stdout);
    for (const file of files) assert.match(stdout, new RegExp(`^ok {7}${file}`, 'm'));
  });
});
