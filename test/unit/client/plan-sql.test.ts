import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { describeWrittenSql, writePreviewSql } from '../../../src/client/commands/preview.js';
import { planQueries, planSql } from '../../../src/client/plan-sql.js';
import { defaultConfigRepos } from '../../../src/config/collection.js';
import { SQL_PROVENANCE_FILE, SqlProvenanceMap } from '../../../src/dashboard/schema.js';
import { defaultExperimentsFile } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { runMain } from '../../helpers/cli.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';

test('--sql-output-dir writes provenance.json: each metric column traced to its config lines and its SQL lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-plan-sql-'));
  await planSql({
    slug: DEMO_SLUG,
    dates: ['2026-03-15', '2026-03-16'],
    experimentsFile: defaultExperimentsFile({}),
    configRepos: defaultConfigRepos({}),
    configFile: null,
    dataset: 'tmp',
    periods: ['week', 'day'],
    outputDir: dir,
  });
  const map = SqlProvenanceMap.parse(JSON.parse(readFileSync(join(dir, SQL_PROVENANCE_FILE), 'utf8')));
  assert.equal(map.experiment, DEMO_SLUG);
  assert.equal(map.dataset, 'tmp');
  const scan = map.queries.find(
    (q) => q.destination.table === 'metrics_21_contrail_demo_sidebar_clients_daily_week_1',
  );
  assert.ok(scan, map.queries.map((q) => q.file).join(', '));
  assert.equal(scan.file, join('2026-03-15', 'metrics_21_contrail_demo_sidebar_clients_daily_week_1.sql'));
  assert.deepEqual([scan.analysisDate, scan.period, scan.windowIndex], ['2026-03-15', 'week', 1]);
  assert.ok(scan.metrics.includes('search_count'));

  const lines = readFileSync(join(dir, scan.file), 'utf8').split('\n');
  const text = (r: { sqlLines: { start: number; end: number } }) =>
    lines.slice(r.sqlLines.start - 1, r.sqlLines.end).join('\n');
  const search = scan.references.find((r) => r.column === 'search_count');
  assert.ok(search);
  assert.match(text(search), /AS search_count,?$/);
  assert.equal(search.config.key, 'metrics.search_count.select_expression');
  assert.match(search.config.file, /definitions\/firefox_desktop\.toml$/);
  // Every metric column's lines end with its own alias: the positions are exact, not guessed.
  for (const r of scan.references.filter((r) => r.column !== null)) {
    assert.match(
      text(r),
      new RegExp(`AS ${r.column},?$`),
      `${r.column} at ${r.sqlLines.start}-${r.sqlLines.end}`,
    );
  }
  // The scan's data source FROM is traced too, and so is the exposure signal's (on the
  // exposures basis), each to its own config item.
  const froms = scan.references.filter((r) => r.column === null);
  const from = froms.find((r) => /^data_sources\.clients_daily/.test(r.config.key));
  assert.ok(from, JSON.stringify(froms.map((r) => r.config.key)));
  assert.match(text(from), /clients_daily/);

  const split = map.queries.find(
    (q) => q.destination.table === 'contrail_demo_sidebar_enrollments_clients_daily_week_1',
  );
  assert.ok(split);
  const splitLines = readFileSync(join(dir, split.file), 'utf8').split('\n');
  for (const r of split.references) {
    assert.equal(splitLines[r.sqlLines.start - 1]?.trim().replace(/,$/, ''), r.column);
  }
});

describe('a --sql-output-dir written again', () => {
  const plan = (outputDir: string, dates: string[], extra: Partial<Parameters<typeof planSql>[0]> = {}) =>
    planSql({
      slug: DEMO_SLUG,
      dates,
      experimentsFile: defaultExperimentsFile({}),
      configRepos: defaultConfigRepos({}),
      configFile: null,
      dataset: 'tmp',
      periods: ['day'],
      outputDir,
      ...extra,
    });
  /** Every file under `dir`, relative to it, sorted. */
  const files = (dir: string) =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();

  test('holds the SQL of the last run only, and every file contrail did not write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-plan-sql-'));
    await plan(dir, ['2026-03-14', '2026-03-15']);
    const first = files(dir);
    assert.ok(
      first.some((f) => f.startsWith('2026-03-14/')),
      first.join(', '),
    );
    // What the user keeps there: beside the files, and in a date's directory.
    writeFileSync(join(dir, 'notes.sql'), 'SELECT 1');
    writeFileSync(join(dir, '2026-03-15', 'mine.sql'), 'SELECT 2');

    await plan(dir, ['2026-03-16']);
    const second = files(dir);
    const map = SqlProvenanceMap.parse(JSON.parse(readFileSync(join(dir, SQL_PROVENANCE_FILE), 'utf8')));
    assert.deepEqual(
      second,
      [
        ...map.queries.map((q) => q.file),
        SQL_PROVENANCE_FILE,
        'notes.sql',
        join('2026-03-15', 'mine.sql'),
      ].sort(),
    );
    assert.ok(map.queries.every((q) => q.analysisDate === '2026-03-16'));
    assert.ok(!existsSync(join(dir, '2026-03-14')), 'a date directory left empty goes');

    // Another experiment's SQL is not this one's previous run: it stays.
    await plan(dir, ['2026-03-08'], { slug: 'contrail-demo-search-bar' });
    const other = SqlProvenanceMap.parse(JSON.parse(readFileSync(join(dir, SQL_PROVENANCE_FILE), 'utf8')));
    assert.equal(other.experiment, 'contrail-demo-search-bar');
    for (const file of second.filter((f) => f !== SQL_PROVENANCE_FILE))
      assert.ok(existsSync(join(dir, file)), file);
  });

  test('one date goes in a directory of its own, as several do, unless the caller (plan) asks for none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-plan-sql-'));
    const lines = await plan(dir, ['2026-03-15']);
    assert.ok(lines.length > 0);
    for (const line of lines) assert.match(line, new RegExp(`\\t${dir}/2026-03-15/[^/]+\\.sql$`));
    const flat = mkdtempSync(join(tmpdir(), 'contrail-plan-sql-'));
    for (const line of await plan(flat, ['2026-03-15'], { byDate: false }))
      assert.match(line, new RegExp(`\\t${flat}/[^/]+\\.sql$`));
    // As each command's help says.
    assert.match((await runMain(['preview', '--help'])).stdout, /<dir>\/<date>\/<table>\.sql/);
    assert.match((await runMain(['plan', '--help'])).stdout, /<dir>\/<table>\.sql/);
  });
});

test("a BigQuery preview's --sql-output-dir holds the BigQuery SQL it ran, in the project it ran in", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-preview-sql-'));
  const env = {
    CONTRAIL_WAREHOUSE: 'bigquery',
    CONTRAIL_BIGQUERY_PROJECT: 'my-analysis-project',
    CONTRAIL_BIGQUERY_SOURCE_PROJECT: 'my-source-project',
  };
  const written = await writePreviewSql(
    { sql_output_dir: dir, project_id: 'flag-project' },
    { slug: DEMO_SLUG, startDate: '2026-03-15', endDate: '2026-03-15', dataset: 'tmp', sampleSize: 10 },
    { periods: ['day'] },
    env,
  );
  assert.ok(written > 0);
  const enrollments = readFileSync(join(dir, '2026-03-15', 'enrollments_contrail_demo_sidebar.sql'), 'utf8');
  assert.match(enrollments, /FROM `my-source-project\.telemetry\.events`/);
  const scan = readFileSync(
    join(dir, '2026-03-15', 'metrics_21_contrail_demo_sidebar_clients_daily_day_7.sql'),
    'utf8',
  );
  // The run's own tables are named in the project of --project_id, where the preview ran.
  assert.match(scan, /`flag-project\.tmp\.enrollments_contrail_demo_sidebar`/);
});

test('an interrupted preview writes the SQL of the dates that ran, and says which it did not write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-preview-sql-'));
  const result = {
    slug: DEMO_SLUG,
    startDate: '2026-03-15',
    endDate: '2026-03-18',
    dataset: 'tmp',
    sampleSize: 10,
    // 2026-03-15 finished, 2026-03-16 stopped part way, the last two never started.
    interrupted: { date: '2026-03-16', notRun: ['2026-03-17', '2026-03-18'] },
  };
  const written = await writePreviewSql({ sql_output_dir: dir }, result, { periods: ['day'] }, {});
  assert.deepEqual(
    readdirSync(dir).sort(),
    ['2026-03-15', '2026-03-16', SQL_PROVENANCE_FILE],
    'no SQL of a date that did not run',
  );
  assert.equal(
    describeWrittenSql(written, 'sql/', result),
    `wrote ${written} queries to sql/: those of the dates that ran; none of 2026-03-17 … 2026-03-18, not run (interrupted)`,
  );
  assert.equal(describeWrittenSql(1, 'sql/', {}), 'wrote 1 query to sql/');
});

describe('real metric-hub configs planned as their run takes them', () => {
  const hub = metricHubFixtures();
  const plan = (
    slug: string,
    date: string,
    options: { lenient?: boolean; generatePopulation?: boolean } = {},
  ) =>
    planQueries({
      slug,
      dates: [date],
      experimentsFile: defaultExperimentsFile({}),
      configRepos: [hub],
      configFile: join(hub, 'jetstream', `${slug}.toml`),
      dataset: 'tmp',
      platform: 'firefox_desktop',
      ...options,
    });

  test('skip = true plans no query: nothing is due, as in the analysis', async () => {
    // A generated population too: the preview builds it only when something is due.
    for (const generatePopulation of [false, true]) {
      const [day] = await plan('set-default-as-first-screen-100-roll-out', '2026-03-15', {
        generatePopulation,
      });
      assert.deepEqual(day?.queries, []);
      assert.equal(day?.nothingDue, 'set-default-as-first-screen-100-roll-out: the config says skip = true');
    }
  });

  test("not launched, with SQL that reads its start date: nothing to compute, as for any undated config, not a template's error", async () => {
    // Its enrollment query reads {{experiment.start_date_str}}; the experiment has no start date.
    const [day] = await plan('churn-risk-os-notification', '2026-03-15');
    assert.deepEqual(day?.queries, []);
    assert.equal(day?.nothingDue, 'churn-risk-os-notification has no start date (not launched)');
    const args = ['plan', '--experiment_slug', 'firefox-ios-inactive-tabs', '--date', '2026-03-15'];
    const planned = await runMain(
      [
        ...args,
        '--config_file',
        join(hub, 'jetstream', 'firefox-ios-inactive-tabs.toml'),
        '--config_repos',
        hub,
      ],
      { TEMPORAL_ADDRESS: '' },
    );
    assert.equal(planned.code, 0, planned.stderr);
    assert.equal(
      planned.stdout,
      '-- nothing to compute for firefox-ios-inactive-tabs on 2026-03-15: firefox-ios-inactive-tabs has no start date (not launched)\n',
    );
    // A template the config gets wrong is still its error, with nunjucks' "Error:" said once.
    const dir = await mkdtemp(join(tmpdir(), 'contrail-plan-'));
    const configFile = join(dir, 'churn-risk-os-notification.toml');
    const config = await readFile(join(hub, 'jetstream', 'churn-risk-os-notification.toml'), 'utf8');
    await writeFile(
      configFile,
      config.replace('{{experiment.normandy_slug}}', '{{experiment.normandy_slug | nope}}'),
    );
    await assert.rejects(
      planQueries({
        slug: 'churn-risk-os-notification',
        dates: ['2026-03-15'],
        experimentsFile: defaultExperimentsFile({}),
        configRepos: [hub],
        configFile,
        dataset: 'tmp',
        platform: 'firefox_desktop',
      }),
      (error: Error) => {
        assert.match(error.message, /template error: filter not found: nope/);
        assert.doesNotMatch(error.message, /Error: filter/);
        return true;
      },
    );
  });

  test('--lenient takes an unknown key as the run does; without it the key is the refusal', async () => {
    // `enrollments_query` (sic): jetstream ignores the key, and so does a lenient contrail.
    const slug = 'abouthome-startup-cache-5';
    await assert.rejects(
      plan(slug, '2023-06-27'),
      /experiment\.enrollments_query: unknown key 'enrollments_query'/,
    );
    const [day] = await plan(slug, '2023-06-27', { lenient: true });
    assert.ok(day && day.queries.length > 0, day?.nothingDue ?? 'no queries');
    // `contrail plan` takes the --lenient its refusal tells the author to use.
    const file = join(hub, 'jetstream', `${slug}.toml`);
    const args = ['plan', '--experiment_slug', slug, '--config_file', file, '--date', '2023-06-27'];
    const refused = await runMain([...args, '--platform', 'firefox_desktop'], { TEMPORAL_ADDRESS: '' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /use --lenient to accept unknown keys as warnings/);
    const planned = await runMain([...args, '--platform', 'firefox_desktop', '--lenient'], {
      TEMPORAL_ADDRESS: '',
    });
    assert.equal(planned.code, 0, planned.stderr);
    assert.match(planned.stdout, /^-- destination: contrail\.enrollments_abouthome_startup_cache_5$/m);
  });
});
