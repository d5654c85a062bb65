import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { CliError } from '../../../src/client/errors.js';
import { describeWarningCounts } from '../../../src/client/issue-counts.js';
import {
  cancelledLine,
  inputDifferences,
  leftByInterrupt,
  outcomeOf,
  reachedLine,
} from '../../../src/client/outcomes.js';
import {
  dashboardHint,
  dashboardShowsPreview,
  previewDashboardUrl,
  previewOnBigQuery,
} from '../../../src/client/preview-report.js';
import { printOutcome } from '../../../src/client/workflow-command.js';
import { plural } from '../../../src/plural.js';
import type { DailyAnalysisResult } from '../../../src/workflows/daily.js';

describe('inputDifferences', () => {
  it('names the fields that change results, with both values', () => {
    assert.deepEqual(
      inputDifferences('preview', { slug: 'x', sampleSize: 5 }, { slug: 'x', sampleSize: 50 }),
      ['sampleSize: 5 there, 50 here'],
    );
  });

  it('an input that spells out the defaults equals one that leaves them out', () => {
    assert.deepEqual(
      inputDifferences(
        'preview',
        { slug: 'x' },
        { slug: 'x', sampleSize: 1, periods: ['day', 'week'], dataset: 'tmp', numDays: 3, lenient: false },
      ),
      [],
    );
  });

  it('how fast a backfill runs and the order of its experiments do not change its results', () => {
    const base = { startDate: '2026-03-09', endDate: '2026-03-15' };
    assert.deepEqual(
      inputDifferences(
        'backfill',
        { ...base, slugs: ['a', 'b'], concurrency: 3 },
        { ...base, slugs: ['b', 'a'], concurrency: 8, continueAsNewAfter: 10 },
      ),
      [],
    );
    assert.deepEqual(
      inputDifferences('backfill', { ...base, slugs: ['a'] }, { ...base, slugs: ['a'], periods: ['week'] }),
      ['periods: null there, ["week"] here'],
    );
  });
});

/** A preview's result holding nothing but what a test sets. */
const previewResult = <F extends object>(fields: F) => ({
  slug: 'x',
  dataset: 'tmp',
  startDate: '2026-03-15',
  endDate: '2026-03-15',
  sampleSize: 1,
  pin: { toolVersion: '0.1.0', buildId: 'dev', configCommit: null, anchor: null, reason: 'running' },
  days: [],
  views: [],
  ...fields,
});

describe('the preview report', () => {
  const empty = (period: 'day' | 'week') => ({
    table: `statistics_x_${period}_7`,
    rows: 0,
    period,
    windowIndex: 1,
    warnings: [],
    warningCount: 0,
    headline: [],
    sampleRatioMismatch: null,
  });
  const preview = (rows: number) =>
    previewResult({
      days: [
        {
          date: '2026-03-15',
          status: 'analyzed',
          reason: null,
          statistics: [empty('day'), { ...empty('week'), rows }],
        },
      ],
    });

  it('dates with nothing due for one reason are one line, and a preview of nothing but those says what to try', () => {
    const idle = (date: string) => ({
      date,
      status: 'nothing-due',
      reason: 'x has no start date (not launched)',
      statistics: [],
    });
    const report = outcomeOf('preview', {
      ...preview(0),
      days: ['2026-03-13', '2026-03-14', '2026-03-15'].map(idle),
    }).report.split('\n');
    assert.deepEqual(report.slice(2, 4), [
      '  2026-03-13 … 2026-03-15: nothing due (x has no start date (not launched))',
      '  nothing was due on any previewed date: give an --end_date on which a window completes, or --generate_population to preview an experiment not launched or still enrolling as if it had enrolled up to the first previewed date',
    ]);
    assert.doesNotMatch(outcomeOf('preview', preview(12)).report, /nothing was due/);
    // A preview on a generated population already is one: only the dates can change.
    const generated = outcomeOf('preview', {
      ...preview(0),
      generatedPopulation: true,
      days: ['2026-03-13'].map(idle),
    }).report.split('\n');
    assert.equal(
      generated[3],
      '  nothing was due on any previewed date: give an --end_date on which a window completes',
    );
    // skip = true: no date or option gives results; what would is said instead.
    const skipped = outcomeOf('preview', {
      ...preview(0),
      generatedPopulation: true,
      skip: true,
      days: ['2026-03-13'].map((date) => ({ ...idle(date), reason: 'x: the config says skip = true' })),
    }).report.split('\n');
    assert.equal(
      skipped[3],
      '  nothing was due on any previewed date: the config of x says skip = true; remove skip from its [experiment] section to preview it',
    );
  });

  it('says when nobody in the sample is enrolled, and what to try, instead of empty headlines', () => {
    const report = outcomeOf('preview', preview(0)).report;
    assert.match(
      report,
      /^ {2}no results: no client of the 1% sample is enrolled in x on these dates; try a larger --sample_size or other dates, or --generate_population for an experiment that has not run yet$/m,
    );
    assert.doesNotMatch(report, /^ {2}statistics_x_week_7:$/m);
    assert.doesNotMatch(outcomeOf('preview', preview(12)).report, /no results/);
  });

  it("takes a window holding only its branches' counts of 0 for one nobody was enrolled in", () => {
    const counted = (enrolled: number) =>
      previewResult({
        days: [
          {
            date: '2026-03-15',
            status: 'analyzed',
            reason: null,
            statistics: [{ ...empty('day'), rows: 6, enrolled }],
          },
        ],
      });
    assert.match(outcomeOf('preview', counted(0)).report, /^ {2}no results: no client of the 1% sample/m);
    assert.doesNotMatch(outcomeOf('preview', counted(40)).report, /no results/);
  });

  it('names the enrollment dates it looked at, and the config keys that set them, before the sample size', () => {
    const own = { first: '2026-03-02', last: '2026-03-09', setBy: [] };
    assert.match(
      outcomeOf('preview', { ...preview(0), enrollment: own }).report,
      /^ {2}no results: no client of the 1% sample is enrolled in x on its enrollment dates, 2026-03-02 … 2026-03-09; try a larger --sample_size or other dates, or --generate_population for an experiment that has not run yet$/m,
    );
    const moved = {
      first: '2026-02-10',
      last: '2026-02-17',
      setBy: [{ file: 'x.toml', key: 'experiment.start_date', line: 2 }],
      own: { first: '2026-03-02', last: '2026-03-09' },
    };
    assert.match(
      outcomeOf('preview', { ...preview(0), enrollment: moved }).report,
      /^ {2}no results: no client of the 1% sample is enrolled in x on 2026-02-10 … 2026-02-17, the enrollment dates set by x\.toml:2 experiment\.start_date \(the experiment's own: 2026-03-02 … 2026-03-09\): if its clients enrolled on other dates, correct that key; else try a larger --sample_size$/m,
    );
  });

  it('with no telemetry on the dates, says that alone: a larger sample or a generated population would not help', () => {
    const gap = { dataSources: ['clients_daily'], first: '2026-11-16', last: '2026-11-25', held: null };
    const estimate = { method: 'column_sizes', queries: [], totalBytes: 0, usdPerTib: 6.25, totalUsd: 0 };
    const report = outcomeOf('preview', {
      ...preview(0),
      costs: { estimate: { ...estimate, ownTableQueries: 0, noTelemetry: gap }, queries: [] },
    }).report;
    assert.match(report, /^ {2}no telemetry: /m);
    assert.doesNotMatch(report, /no results/);
  });

  it('says which enrollment a generated population was given, and why', () => {
    const line = (ownStartDate: string | null) =>
      outcomeOf('preview', {
        ...preview(12),
        assumed: { startDate: '2026-03-08', ownStartDate },
      }).report.split('\n')[2];
    const enrolled =
      "the generated population enrolled 2026-03-08 … 2026-03-15, its enrollment period up to the first previewed date, as in jetstream's preview";
    assert.equal(line(null), `  x has no start date (not launched): ${enrolled}`);
    assert.equal(line('2026-04-01'), `  x starts 2026-04-01: ${enrolled}`);
    assert.equal(line('2026-03-12'), `  x is still enrolling on 2026-03-15: ${enrolled}`);
    const setAside = outcomeOf('preview', {
      ...preview(12),
      assumed: { startDate: '2026-03-08', ownStartDate: null, endDateSetAside: '2021-05-26' },
    }).report.split('\n')[2];
    assert.equal(
      setAside,
      `  x has no start date (not launched): ${enrolled}; its end date 2021-05-26, before that, is set aside`,
    );
    assert.doesNotMatch(outcomeOf('preview', preview(12)).report, /generated population enrolled/);
  });
});

describe('where the preview report sends its reader', () => {
  const table = {
    table: 'statistics_x_day_1',
    rows: 12,
    period: 'day',
    windowIndex: 1,
    warnings: [],
    warningCount: 0,
    headline: [],
    sampleRatioMismatch: null,
  };
  const analysed = { date: '2026-03-15', status: 'analyzed' as const, reason: null, statistics: [table] };
  const preview = (method: 'dry_run' | 'column_sizes') =>
    previewResult({
      days: [analysed],
      costs: {
        estimate: { method, queries: [], totalBytes: 0, usdPerTib: 6.25, totalUsd: 0, ownTableQueries: 0 },
        queries: [],
      },
    });

  it('no dashboard link when the preview wrote nothing it shows: nothing due on any date, enrollments only', () => {
    const nothingDue = {
      date: '2026-03-15',
      status: 'nothing-due' as const,
      reason: 'x ended',
      statistics: [],
    };
    const enrollmentsOnly = { ...analysed, statistics: [] };
    for (const day of [nothingDue, enrollmentsOnly]) {
      const result = { ...preview('column_sizes'), days: [day] };
      assert.doesNotMatch(outcomeOf('preview', result).report, /dashboard/, day.status);
      assert.equal(dashboardShowsPreview(result), false);
    }
    assert.equal(dashboardShowsPreview(preview('column_sizes')), true);
    // A failed date's errors are on the dashboard.
    const failed = {
      ...preview('column_sizes'),
      days: [nothingDue],
      failed: [{ date: '2026-03-14', errorType: 'ConfigError', message: 'm' }],
    };
    assert.match(outcomeOf('preview', failed).report, /^dashboard: /m);
    // Not the error of a date the warehouse's storage failed on: it could not be logged.
    const stopped = { ...failed, storageStopped: { date: '2026-03-14', storage: 'full', notRun: [] } };
    assert.doesNotMatch(outcomeOf('preview', stopped).report, /^dashboard: /m);
  });

  it('on the embedded warehouse: the dashboard showing the preview', () => {
    const last = outcomeOf('preview', preview('column_sizes')).report.split('\n').at(-1);
    assert.equal(last, 'dashboard: http://127.0.0.1:8050/?dataset=tmp&experiment=x');
    assert.equal(previewOnBigQuery(preview('column_sizes')), false);
  });

  it('says when the previewed dates have no telemetry, and which dates it covers', () => {
    const result = preview('column_sizes');
    const gap = {
      dataSources: ['clients_daily'],
      first: '2026-11-16',
      last: '2026-11-25',
      held: { first: '2026-02-02', last: '2026-03-29' },
    };
    const costs = result.costs as NonNullable<typeof result.costs>;
    const report = outcomeOf('preview', {
      ...result,
      costs: { ...costs, estimate: { ...costs.estimate, noTelemetry: gap } },
    }).report;
    assert.match(
      report,
      /^ {2}no telemetry: the data sources read \(clients_daily\) have no row on 2026-11-16 … 2026-11-25, the dates these windows read, so every result is empty; they hold 2026-02-02 … 2026-03-29: preview dates they cover, e\.g\. --end_date 2026-03-29$/m,
    );
    assert.doesNotMatch(outcomeOf('preview', result).report, /no telemetry/);
  });

  it('when the experiment enrolled outside the telemetry too, names its dates to move, not an --end_date past its end', () => {
    // A config copied from an experiment of 2021 (start_date, end_date, enrollment_period), on
    // the sample's 2026 telemetry: an --end_date in 2026 would find it ended (nothing due).
    const result = preview('column_sizes');
    const gap = {
      dataSources: ['clients_daily'],
      first: '2021-08-31',
      last: '2021-09-14',
      held: { first: '2026-02-02', last: '2026-03-29' },
    };
    const costs = result.costs as NonNullable<typeof result.costs>;
    const old = {
      ...result,
      enrollment: {
        first: '2021-08-17',
        last: '2021-08-24',
        setBy: [
          { file: 'my-old.toml', key: 'experiment.start_date', line: 2 },
          { file: 'my-old.toml', key: 'experiment.enrollment_period', line: 4 },
        ],
      },
      costs: { ...costs, estimate: { ...costs.estimate, noTelemetry: gap } },
    };
    const report = outcomeOf('preview', old).report;
    assert.match(
      report,
      /^ {2}no telemetry: the data sources read \(clients_daily\) have no row on 2021-08-31 … 2021-09-14, the dates these windows read, so every result is empty; they hold 2026-02-02 … 2026-03-29, and x enrolled 2021-08-17 … 2021-08-24 \(set by my-old\.toml:2 experiment\.start_date and my-old\.toml:4 experiment\.enrollment_period\), outside them: no --end_date brings its clients into this telemetry; to preview the config on it, move the config's \[experiment\] start_date \(and its end_date\) into 2026-02-02 … 2026-03-29$/m,
    );
    assert.doesNotMatch(report, /--end_date 2026-03-29/);
    // The experiment's own dates (no config key set them): the config can set them.
    const own = { ...old, enrollment: { first: '2021-08-17', last: '2021-08-24', setBy: [] } };
    assert.match(
      outcomeOf('preview', own).report,
      /x enrolled 2021-08-17 … 2021-08-24, outside them: .* give the config an \[experiment\] start_date \(and end_date\) in 2026-02-02 … 2026-03-29$/m,
    );
    // A generated population given an enrollment up to the first previewed date moves with it.
    const assumed = { ...own, assumed: { startDate: '2021-08-17', ownStartDate: null } };
    assert.match(
      outcomeOf('preview', assumed).report,
      /preview dates they cover, e\.g\. --end_date 2026-03-29$/m,
    );
  });

  it('with --export: the directory of the JSON exports, then the dashboard line last', () => {
    const lines = outcomeOf('preview', preview('column_sizes'), {
      exportDir: '/home/me/exports/tmp/',
    }).report.split('\n');
    assert.deepEqual(lines.slice(-2), [
      'JSON exports: /home/me/exports/tmp/',
      'dashboard: http://127.0.0.1:8050/?dataset=tmp&experiment=x',
    ]);
  });

  it('names the port of the dashboard running on this machine', () => {
    const last = outcomeOf('preview', preview('column_sizes'), { dashboardPort: 18_099 })
      .report.split('\n')
      .at(-1);
    assert.equal(last, 'dashboard: http://127.0.0.1:18099/?dataset=tmp&experiment=x');
  });

  it('on BigQuery: the dashboard showing the preview, as on the embedded warehouse', () => {
    const last = outcomeOf('preview', preview('dry_run'), { dashboardPort: 18_099 })
      .report.split('\n')
      .at(-1);
    assert.equal(last, 'dashboard: http://127.0.0.1:18099/?dataset=tmp&experiment=x');
    assert.equal(previewOnBigQuery(preview('dry_run')), true);
    // The page the hint after the report names is the one the report ends with.
    assert.equal(
      previewDashboardUrl(preview('dry_run'), { dashboardPort: 18_099 }),
      'http://127.0.0.1:18099/?dataset=tmp&experiment=x',
    );
    assert.equal(
      outcomeOf('preview', preview('column_sizes')).report.split('\n').at(-1),
      `dashboard: ${previewDashboardUrl(preview('column_sizes'))}`,
    );
  });
});

describe('what a preview says of the dashboard after its report', () => {
  const running = { pid: 4242, port: 18_099, sqlDirs: [resolve('sql')] };
  const URL = 'http://127.0.0.1:8050/?dataset=tmp&experiment=x';
  const hint = (h: Partial<Parameters<typeof dashboardHint>[0]>) =>
    dashboardHint({ url: URL, running: null, defaultPortFree: true, settingsNeeded: false, ...h });

  it('nothing when the report printed no dashboard URL: there is no page to open', () => {
    assert.equal(hint({ url: null }), null);
    assert.equal(hint({ url: null, settingsNeeded: true }), null);
    assert.equal(
      hint({ url: null, running: { pid: 4242, port: 18_099, sqlDirs: [] }, sqlOutputDir: 'sql' }),
      null,
    );
  });

  it('none running: how to start it, with the SQL just written, and the page to open named (the report it ends is on another stream)', () => {
    // Said on stderr, the report on stdout: with either redirected, "the URL above" is not above.
    assert.equal(
      hint({ sqlOutputDir: 'sql' }),
      'the dashboard is not running: start it with `contrail dashboard --sql_output_dir sql` (in another terminal) and open http://127.0.0.1:8050/?dataset=tmp&experiment=x',
    );
    // A directory the shell would split or expand is pasted as one word.
    assert.match(hint({ sqlOutputDir: 'my sql' }) ?? '', /`contrail dashboard --sql_output_dir 'my sql'`/);
  });

  it('a preview on BigQuery from a shell without its settings: with the settings the dashboard needs to read it', () => {
    // Also when something listens on the port: it reads another warehouse than this preview's.
    assert.equal(hint({ settingsNeeded: true, defaultPortFree: false }), hint({ settingsNeeded: true }));
    assert.equal(
      hint({ settingsNeeded: true }),
      "the dashboard is not running: start it with `CONTRAIL_WAREHOUSE=bigquery CONTRAIL_BIGQUERY_PROJECT=<the workers' project> contrail dashboard` (in another terminal) and open http://127.0.0.1:8050/?dataset=tmp&experiment=x",
    );
  });

  it('one running: nothing, unless it does not show the SQL just written; an unnoted listener on the port: nothing', () => {
    assert.equal(hint({ running }), null);
    assert.equal(hint({ running, sqlOutputDir: 'sql' }), null);
    assert.equal(
      hint({ running, sqlOutputDir: 'other' }),
      'the dashboard running on port 18099 (pid 4242) does not show the SQL in other: restart it with `contrail dashboard --port 18099 --sql_output_dir other`',
    );
    assert.equal(hint({ defaultPortFree: false }), null);
  });
});

describe('a statistics table in a report', () => {
  it('says a sample ratio mismatch only when the test finds one, and the plain p-value otherwise', async () => {
    const { formatStatisticsTable } = await import('../../../src/client/format.js');
    const table = (pValue: number) =>
      formatStatisticsTable({
        table: 'statistics_x_week_1',
        rows: 10,
        period: 'week',
        windowIndex: 1,
        warnings: [],
        warningCount: 0,
        headline: [],
        sampleRatioMismatch: { chiSquare: 1, degreesOfFreedom: 1, pValue },
      });
    assert.equal(table(0.0593), 'statistics_x_week_1 (10 rows; sample ratio test p=0.0593)');
    const warned = (warningCount: number) =>
      formatStatisticsTable({
        table: 'statistics_x_week_1',
        rows: 10,
        period: 'week',
        windowIndex: 1,
        warnings: [],
        warningCount,
        headline: [],
        sampleRatioMismatch: null,
      });
    assert.equal(warned(1), 'statistics_x_week_1 (10 rows; 1 warning in the logs table)');
    assert.equal(warned(2), 'statistics_x_week_1 (10 rows; 2 warnings in the logs table)');
    assert.equal(
      table(0.0002),
      'statistics_x_week_1 (10 rows; SAMPLE RATIO MISMATCH p=0.000200: enrollment differs from the configured branch ratios)',
    );
  });
});

describe('the report of one analysis', () => {
  it('lists what could not be computed, and why, under the config key, as a preview does', () => {
    const warning =
      "m_flag/binomial: values must be 0 or 1 (or booleans), but branch 'control' has 2; no results";
    const report = outcomeOf('analyzeExperiment', {
      slug: 'x',
      date: '2026-03-15',
      status: 'analyzed',
      reason: null,
      pin: { toolVersion: '0.1.0', buildId: 'dev', configCommit: null, anchor: null, reason: 'no-anchor' },
      enrollments: { table: 'enrollments_x', rows: 400, created: true },
      metricsTables: [],
      views: [],
      statistics: [
        {
          table: 'statistics_x_week_1',
          rows: 10,
          period: 'week',
          windowIndex: 1,
          warnings: [warning],
          // The summary keeps the first warnings; the logs table has all three.
          warningCount: 3,
          warningDetails: [
            {
              message: `${warning} (enrollments basis, segment all)`,
              subjects: [
                {
                  metric: 'm_flag',
                  statistic: 'binomial',
                  period: 'week',
                  file: 'jetstream/x.toml',
                  key: 'metrics.m_flag.statistics.binomial',
                  line: 12,
                },
              ],
            },
          ],
          headline: [],
          sampleRatioMismatch: null,
        },
      ],
    }).report.split('\n');
    assert.deepEqual(report.slice(-5), [
      'errors and warnings, by config file:',
      '  jetstream/x.toml',
      '    metrics.m_flag.statistics.binomial (line 12) (metric m_flag, statistic binomial)',
      `      WARNING StatisticWarning: ${warning} (enrollments basis, segment all) [1 window: 2026-03-15 week 1]`,
      '  and 2 more warnings, not listed here: each is in the logs table',
    ]);
  });
});

describe('the pin in reports', () => {
  const analysis = (reason: string, anchor: string | null) => ({
    slug: 'x',
    date: '2026-03-15',
    status: 'analyzed',
    reason: null,
    pin: { toolVersion: '0.1.0', buildId: 'dev', configCommit: 'abc', anchor, reason },
    enrollments: { table: 'enrollments_x', rows: 400, created: false },
    metricsTables: [],
    views: [],
    statistics: [],
  });

  it('says why the analysis ran on its release in words; --json keeps the code', () => {
    const anchor = '2026-03-01T00:00:00.000Z';
    const firstLine = (reason: string, at: string | null) =>
      outcomeOf('analyzeExperiment', analysis(reason, at)).report.split('\n')[0] ?? '';
    assert.equal(
      firstLine('no-anchor', null),
      'x 2026-03-15: analysed with contrail 0.1.0+dev, config abc (the latest release: it has no enrollments yet, so no anchor)',
    );
    assert.equal(
      firstLine('before-first-release', anchor),
      `x 2026-03-15: analysed with contrail 0.1.0+dev, config abc (the earliest release: its anchor is older than every release; anchored ${anchor})`,
    );
    for (const reason of ['anchor', 'breaking', 'use-latest', 'use-version', 'running'])
      assert.doesNotMatch(firstLine(reason, anchor), new RegExp(`\\(${reason}[;,)]`), reason);
    // A reason another build wrote that this one does not know is shown as it came.
    assert.match(firstLine('newer-rule', null), /\(newer-rule\)$/);

    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((chunk: unknown) => {
      printed += String(chunk);
      return true;
    }) as typeof write;
    try {
      printOutcome('analyzeExperiment', analysis('no-anchor', null), true);
    } finally {
      process.stdout.write = write;
    }
    assert.equal((JSON.parse(printed) as { pin: { reason: string } }).pin.reason, 'no-anchor');
  });
});

describe('the backfill report', () => {
  it('says a failure shared by several dates once, with its dates; an experiment nothing could find shows no pin', () => {
    const unknown = (date: string) => ({
      slug: 'typo',
      date,
      errorType: 'UnknownExperimentError',
      message: "unknown experiment 'typo'",
    });
    const pin = { toolVersion: '0.1.0+dev', configCommit: null };
    const report = outcomeOf('backfill', {
      total: 4,
      analyzed: 0,
      nothingDue: 0,
      pins: { typo: pin, other: pin },
      failed: [
        unknown('2026-03-15'),
        unknown('2026-03-14'),
        unknown('2026-03-16'),
        { slug: 'other', date: '2026-03-14', errorType: 'ConfigError', message: 'bad key' },
      ],
      waited: [],
    }).report.split('\n');
    assert.deepEqual(report.slice(1), [
      '  other: contrail 0.1.0+dev, config working tree',
      "  FAIL  typo 2026-03-14 … 2026-03-16 (3 dates): UnknownExperimentError: unknown experiment 'typo'",
      '  FAIL  other 2026-03-14: ConfigError: bad key',
    ]);
  });
});

describe('the backfill report, stopped on the warehouse storage', () => {
  it('says the storage error once for every experiment-day that failed on it, with what was not attempted', () => {
    const pin = { toolVersion: '0.1.0+dev', configCommit: null };
    const full =
      'warehouse query failed: the file system holding the embedded warehouse /data/warehouse.duckdb is full: free space there, or set CONTRAIL_HOME to a directory with room, and run the command again (the file system said: No space left on device)';
    const onDisk = (slug: string, date: string) => ({
      slug,
      date,
      errorType: 'WarehouseUnavailableError',
      message: full,
    });
    const outcome = outcomeOf('backfill', {
      total: 12,
      analyzed: 3,
      nothingDue: 1,
      pins: { a: pin, b: pin },
      // The first to fail, two that were running beside it, and a config error before it.
      failed: [
        { slug: 'b', date: '2026-03-13', errorType: 'ConfigError', message: 'bad key' },
        onDisk('a', '2026-03-14'),
        onDisk('b', '2026-03-14'),
        onDisk('a', '2026-03-15'),
      ],
      waited: [],
      storageStopped: { slug: 'a', date: '2026-03-14', storage: 'full', notAttempted: 4 },
    });
    const report = outcome.report.split('\n');
    assert.equal(report[0], '12 experiment-days: 3 analysed, 1 with nothing due, 4 failed, 4 not attempted');
    assert.deepEqual(report.slice(3), [
      '  FAIL  b 2026-03-13: ConfigError: bad key',
      "  STOPPED on a 2026-03-14: the embedded warehouse's storage failed (its file system is full); 2 more experiment-days already running failed on it too; 4 experiment-days not attempted (each would fail alike); nothing published, the published tables are as they were:",
      `    WarehouseUnavailableError: ${full}`,
    ]);
    assert.equal(outcome.failed, 4);
    assert.equal(
      outcome.failure,
      "backfill stopped on a 2026-03-14: the embedded warehouse's storage failed (its file system is full); 4 experiment-days not attempted, nothing published: what to do is said in its report",
    );
  });
});

describe('the daily and rerun reports, stopped on the warehouse storage', () => {
  const full =
    'warehouse query failed: the file system holding the embedded warehouse /data/warehouse.duckdb is full: free space there, or set CONTRAIL_HOME to a directory with room, and run the command again (the file system said: No space left on device)';
  const onDisk = { errorType: 'WarehouseUnavailableError', message: full };
  const pin = {
    toolVersion: '0.1.0',
    buildId: 'dev',
    configCommit: null,
    anchor: null,
    reason: 'use-latest',
  };

  it('the daily run: the error once for every experiment that failed on it, the experiments not attempted named', () => {
    const outcome = outcomeOf('dailyAnalysis', {
      date: '2026-03-15',
      analyzed: [
        { slug: 'ok', status: 'analyzed', statisticsTables: 2, toolVersion: '0.1.0+dev', configCommit: null },
      ],
      // A config error before it, the one it stopped on and one running beside it.
      failed: [
        { slug: 'bad', errorType: 'ConfigError', message: 'bad key' },
        { slug: 'a', ...onDisk },
        { slug: 'b', ...onDisk },
      ],
      reran: [],
      waited: [],
      storageStopped: { slug: 'a', storage: 'full', notAttempted: ['c', 'd', 'e', 'f', 'g'] },
    } satisfies DailyAnalysisResult);
    assert.deepEqual(outcome.report.split('\n'), [
      'daily analysis 2026-03-15: 1 analysed, 3 failed, 5 not attempted',
      '  FAIL  bad: ConfigError: bad key',
      "  STOPPED on a: the embedded warehouse's storage failed (its file system is full); 1 more experiment already running failed on it too; 5 experiments not attempted (c, d, e and 2 more: each would fail alike); the experiments that finished are published, the others keep the results they had:",
      `    WarehouseUnavailableError: ${full}`,
      '  ok    ok (analyzed, 2 statistics tables; contrail 0.1.0+dev)',
    ]);
    assert.equal(outcome.failed, 3);
    assert.equal(
      outcome.failure,
      "daily analysis 2026-03-15 stopped on a: the embedded warehouse's storage failed (its file system is full); 5 experiments not attempted, they keep the results they had: what to do is said in its report",
    );
  });

  it('a rerun: nothing published, the anchor put back or not, the results dropped first or not', () => {
    const rerun = (stop: { recreated: boolean; anchor: 'restored' | 'moved' | 'unmoved' }) =>
      outcomeOf('rerun', {
        slug: 'x',
        dropped: [],
        published: { tables: 0, views: 0 },
        anchor: '2026-11-27T10:00:00.000Z',
        pin,
        dates: 10,
        analyzed: 1,
        statisticsTables: 1,
        failed: [
          { date: '2026-03-09', ...onDisk },
          { date: '2026-03-10', ...onDisk },
        ],
        waited: [],
        storageStopped: { date: '2026-03-09', storage: 'full', notAttempted: 6, ...stop },
      });
    const restored = rerun({ recreated: false, anchor: 'restored' });
    const lines = restored.report.split('\n');
    // 1 analysed, 2 failed, 6 not attempted: the other one had nothing due.
    assert.equal(
      lines[0],
      'rerun of x: published nothing, dropped 0 earlier tables and views; 1/10 dates analysed, 1 with nothing due, 2 failed, 6 not attempted',
    );
    // Its anchor put back, the experiment is not pinned to what the rerun ran on.
    assert.match(lines[1] as string, /^ {2}ran on contrail 0\.1\.0\+dev/);
    assert.deepEqual(lines.slice(2), [
      "  STOPPED on 2026-03-09: the embedded warehouse's storage failed (its file system is full); 1 more date already running failed on it too; 6 dates not attempted (each would fail alike); nothing published, the published results are as they were, its anchor is as it was:",
      `    WarehouseUnavailableError: ${full}`,
    ]);
    assert.equal(
      restored.failure,
      "rerun of x stopped on 2026-03-09: the embedded warehouse's storage failed (its file system is full); 6 dates not attempted, nothing published: what to do is said in its report",
    );
    const moved = rerun({ recreated: false, anchor: 'moved' }).report.split('\n');
    assert.match(moved[1] as string, /^ {2}pinned to contrail 0\.1\.0\+dev/);
    assert.match(
      moved[2] as string,
      /; nothing published, the published results are as they were; its anchor could not be put back \(the same error\): until a rerun finishes, its analyses run on contrail 0\.1\.0\+dev.*:$/,
    );
    const recreated = rerun({ recreated: true, anchor: 'unmoved' });
    assert.match(
      recreated.report,
      /; nothing published: the experiment has no results until a rerun finishes \(--recreate_enrollments dropped them first\):$/m,
    );
    assert.match(
      recreated.failure ?? '',
      /6 dates not attempted, nothing published \(--recreate_enrollments dropped the results first\): /,
    );
  });
});

describe('the backfill and rerun reports, a failed publication', () => {
  it('is counted apart from the experiment-days, so the counts add up', () => {
    const pin = { toolVersion: '0.1.0+dev', configCommit: null };
    const failed = [
      { slug: 'x', date: '2026-03-20', errorType: 'PinnedBuildError', message: 'pinned elsewhere' },
      { slug: 'x', date: '2026-03-20', errorType: 'PinnedBuildError', message: 'publish: pinned elsewhere' },
    ];
    const backfill = outcomeOf('backfill', {
      total: 3,
      analyzed: 2,
      nothingDue: 0,
      pins: { x: pin },
      failed,
      waited: [],
    });
    assert.equal(
      backfill.report.split('\n')[0],
      '3 experiment-days: 2 analysed, 0 with nothing due, 1 failed; 1 publication failed',
    );
    assert.equal(backfill.failed, 2, 'both make the command fail');
    const rerun = outcomeOf('rerun', {
      slug: 'x',
      dropped: [],
      anchor: null,
      pin: { ...pin, buildId: null, anchor: null, reason: 'latest', resolvedAt: '2026-03-20T00:00:00Z' },
      dates: 3,
      analyzed: 2,
      statisticsTables: 2,
      failed: failed.map(({ date, errorType, message }) => ({ date, errorType, message })),
      waited: [],
    });
    assert.match(rerun.report.split('\n')[0] ?? '', /2\/3 dates analysed, 1 failed; 1 publication failed$/);
  });
});

describe('the backfill report, dates outside an experiment', () => {
  it("names each experiment's dates it analysed none of, and why", () => {
    const pin = {
      toolVersion: '0.1.0',
      buildId: 'dev',
      configCommit: null,
      anchor: null,
      reason: 'latest',
      resolvedAt: '2026-03-20T00:00:00Z',
    };
    const dates = (
      startDate: string | null,
      firstDueDate: string | null,
      endDate: string | null,
      skip = false,
    ) => ({
      slug: '',
      skip,
      startDate,
      firstDueDate,
      endDate,
    });
    const report = outcomeOf('backfill', {
      total: 30,
      analyzed: 3,
      nothingDue: 27,
      pins: {},
      failed: [],
      waited: [],
      outside: {
        early: { days: 12, dates: dates('2026-03-16', '2026-03-23', null), pin },
        ended: { days: 1, dates: dates('2026-02-09', '2026-02-16', '2026-03-08'), pin },
        draft: { days: 10, dates: dates(null, null, null), pin },
        skipped: { days: 4, dates: dates('2026-02-09', '2026-02-16', null, true), pin },
      },
    }).report.split('\n');
    assert.deepEqual(report.slice(1), [
      '  early: 12 dates with nothing due, not analysed: outside 2026-03-23 … (no end date), its last enrollment date to its end date',
      '  ended: 1 date with nothing due, not analysed: outside 2026-02-16 … 2026-03-08, its last enrollment date to its end date',
      '  draft: 10 dates with nothing due, not analysed: it has no start date (not launched)',
      '  skipped: 4 dates with nothing due, not analysed: its config says skip = true',
    ]);
  });
});

describe('the backfill report, a broken metric', () => {
  it('says the failure of each date in its own window once, as its first date saw it', () => {
    const broken = (date: string, window: number) => ({
      slug: 'exp',
      date,
      errorType: 'PlannedQueryError',
      message: `metrics scan, day window ${window}, data source clients_daily → metrics_exp_clients_daily_day_${window} failed; warehouse said: Referenced column "no_such_column" not found\n\nLINE 62:   SUM(no_such_column)`,
    });
    const report = outcomeOf('backfill', {
      total: 4,
      analyzed: 0,
      nothingDue: 0,
      pins: {},
      failed: [
        broken('2026-03-13', 5),
        broken('2026-03-12', 4),
        broken('2026-03-14', 6),
        { slug: 'exp', date: '2026-03-15', errorType: 'ConfigError', message: 'metric 2 of 3' },
      ],
      waited: [],
    }).report;
    const fails = report.split('\n').filter((line) => line.startsWith('  FAIL'));
    assert.equal(fails.length, 2, report);
    assert.match(
      fails[0] ?? '',
      /^ {2}FAIL {2}exp 2026-03-12 … 2026-03-14 \(3 dates, as on 2026-03-12: the others differ only in numbers\): PlannedQueryError: metrics scan, day window 4,/,
    );
    assert.equal(fails[1], '  FAIL  exp 2026-03-15: ConfigError: metric 2 of 3');
    assert.equal(report.match(/LINE 62/g)?.length, 1);
  });
});

describe('counts in reports', () => {
  it('one of a thing is said in the singular', () => {
    const backfill = outcomeOf('backfill', {
      total: 1,
      analyzed: 1,
      nothingDue: 0,
      pins: {},
      failed: [],
      waited: [],
    }).report.split('\n')[0];
    assert.equal(backfill, '1 experiment-day: 1 analysed, 0 with nothing due, 0 failed');
    const pin = {
      toolVersion: '0.1.0',
      buildId: 'dev',
      configCommit: null,
      anchor: null,
      reason: 'use-latest',
    };
    const rerun = outcomeOf('rerun', {
      slug: 'x',
      dropped: ['a'],
      published: { tables: 3, views: 1 },
      anchor: null,
      pin,
      dates: 1,
      analyzed: 1,
      statisticsTables: 1,
      failed: [],
      waited: [],
    }).report.split('\n')[0];
    assert.equal(
      rerun,
      'rerun of x: published 3 tables and 1 view, dropped 1 earlier table or view; 1/1 date analysed, 0 failed',
    );
    const skip = outcomeOf('rerunSkip', { slug: 'x', anchor: '2026-03-20', tables: ['t'], pin });
    assert.match(skip.report, /anchor moved to 2026-03-20 on 1 table, nothing recomputed/);
    const warned = Array.from(
      { length: 11 },
      (_, i) => [`w-${i}`, { warnings: 1, resultsMissing: 0 }] as const,
    );
    assert.equal(describeWarningCounts(warned, 'contrail').at(-1), '    1 more experiment: 1 warning');
    assert.equal(plural(2, 'query', 'queries'), '2 queries');
    assert.equal(plural(0, 'row'), '0 rows');
  });
});

describe('the versions report', () => {
  it('says which date its pinned experiments are those of, and how to count another date', () => {
    const row = {
      release: { version: '0.1.0', buildId: 'b1', releasedAt: '2026-03-01T00:00:00.000Z', breaking: false },
      routing: 'current',
      pinned: ['exp-a'],
      openWorkflows: 0,
      pollers: 1,
      waiting: false,
      keep: ['it is the current version'],
      retirable: false,
    };
    const report = outcomeOf('versionsReport', [row], { eligibleOn: '2026-03-14' }).report.split('\n');
    assert.equal(
      report.at(-1),
      "pinned: 1 experiment the daily run analyses on 2026-03-14 (--date YYYY-MM-DD counts another date's)",
    );
  });
});

describe('a backfill of many experiments', () => {
  it('says a failure many experiments share once, naming a few and counting the rest', () => {
    const on = { toolVersion: '0.1.0+dev', configCommit: null };
    const slugs = Array.from({ length: 40 }, (_, i) => `exp-${i}`);
    const failed = slugs.flatMap((slug) =>
      ['2026-03-15', '2026-03-16'].map((date) => ({
        slug,
        date,
        errorType: 'UnknownExperimentError',
        message: `unknown experiment '${slug}': not in the experiment source`,
      })),
    );
    failed.push({
      slug: 'exp-1',
      date: '2026-03-17',
      errorType: 'ConfigError',
      message: 'exp-1 is exp-10 in the old file',
    });
    const report = outcomeOf('backfill', {
      total: 80,
      analyzed: 0,
      nothingDue: 0,
      pins: Object.fromEntries(slugs.map((s) => [s, on])),
      failed,
      waited: [],
    }).report.split('\n');
    assert.deepEqual(report.slice(1), [
      // Its other failure is not an unknown experiment's: it ran on tooling.
      '  exp-1: contrail 0.1.0+dev, config working tree',
      "  FAIL  40 experiments (exp-0, exp-1, exp-2 and 37 more) 2026-03-15 … 2026-03-16 (2 dates): UnknownExperimentError: unknown experiment '<experiment>': not in the experiment source",
      '  FAIL  exp-1 2026-03-17: ConfigError: exp-1 is exp-10 in the old file',
    ]);
  });

  it('says the tooling they share once, not once per experiment', () => {
    const on = { toolVersion: '0.1.0+dev', configCommit: null };
    const slugs = Array.from({ length: 12 }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
    const report = outcomeOf('backfill', {
      total: 24,
      analyzed: 24,
      nothingDue: 0,
      pins: {
        ...Object.fromEntries(slugs.map((s) => [s, on])),
        pinned: { toolVersion: '0.0.9+old', configCommit: 'abc' },
      },
      failed: [],
      waited: [],
    }).report.split('\n');
    assert.deepEqual(report.slice(1), [
      '  12 experiments (fleet-00, fleet-01, fleet-02 and 9 more): contrail 0.1.0+dev, config working tree',
      '  pinned: contrail 0.0.9+old, config abc',
    ]);
  });
});

describe('statistics warnings in the reports of runs over several experiments', () => {
  const summary = (warningCount: number, resultsMissing: number) => ({
    table: 'statistics_x_week_1',
    rows: 10,
    period: 'week' as const,
    windowIndex: 1,
    warnings: [],
    warningCount,
    resultsMissing,
    headline: [],
    sampleRatioMismatch: null,
  });

  it('counts the warnings of each experiment, those leaving results null first, and points at the logs table', async () => {
    const { tallyWarnings } = await import('../../../src/analysis/results.js');
    const tally = tallyWarnings([summary(12, 0), summary(3, 1)]);
    assert.deepEqual(tally, { warnings: 15, errors: 0, resultsMissing: 1 });
    // A summary of an older run counted nothing: what it kept is what can be told.
    assert.deepEqual(
      tallyWarnings([
        {
          warnings: ["m/mean: branch 'b' has no data; its results are null", 'm/mean: left out 2 client(s)'],
          warningCount: 30,
        },
      ]),
      { warnings: 30, errors: 0, resultsMissing: 1 },
    );
    const report = outcomeOf('dailyAnalysis', {
      date: '2026-03-15',
      dataset: 'contrail',
      analyzed: [
        {
          slug: 'quiet',
          status: 'analyzed',
          statisticsTables: 2,
          toolVersion: '0.1.0+dev',
          warnings: { warnings: 0, resultsMissing: 0 },
        },
        {
          slug: 'chatty',
          status: 'analyzed',
          statisticsTables: 2,
          toolVersion: '0.1.0+dev',
          warnings: { warnings: 40, resultsMissing: 0 },
        },
        {
          slug: 'nulled',
          status: 'analyzed',
          statisticsTables: 2,
          toolVersion: '0.1.0+dev',
          warnings: tally,
        },
        { slug: 'older', status: 'analyzed', statisticsTables: 2, toolVersion: '0.1.0+dev' },
      ],
      reran: [],
      waited: [],
      failed: [],
    }).report.split('\n');
    assert.deepEqual(report.slice(5), [
      "  statistics warnings (each is in contrail.logs, under its experiment's slug):",
      '    nulled: 15 warnings, 1 leaving results null or missing',
      '    chatty: 40 warnings',
    ]);
    const backfill = outcomeOf('backfill', {
      total: 24,
      analyzed: 24,
      nothingDue: 0,
      dataset: 'mine',
      warnings: Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [
          `exp-${String(i).padStart(2, '0')}`,
          { warnings: 1, resultsMissing: 0 },
        ]),
      ),
      pins: {},
      failed: [],
      waited: [],
    }).report.split('\n');
    assert.deepEqual(backfill.slice(1, 2), [
      "  statistics warnings (each is in mine.logs, under its experiment's slug):",
    ]);
    assert.deepEqual(backfill.slice(-2), ['    exp-09: 1 warning', '    2 more experiments: 2 warnings']);
  });
});

describe('statistics errors apart from warnings in the reports of runs', () => {
  // A statistic that could not be computed, logged at level ERROR as jetstream's exception.
  const error = {
    message: "m/binomial: values must be 0 or 1 (or booleans), but branch 'control' has 2; no results",
    subjects: [],
    exceptionType: 'StatisticComputationException' as const,
  };
  const nulled = { message: "m/mean: branch 'b' has no data; its results are null", subjects: [] };
  const informing = { message: 'm/mean: left out 2 client(s)', subjects: [] };
  const window = {
    table: 'statistics_x_week_1',
    rows: 10,
    period: 'week' as const,
    windowIndex: 1,
    headline: [],
    sampleRatioMismatch: null,
  };
  const kept = [error, nulled, informing];
  const summary = {
    ...window,
    warnings: kept.map((w) => w.message),
    warningDetails: kept,
    warningCount: 3,
    errorCount: 1,
    resultsMissing: 1,
  };
  const pin = {
    toolVersion: '0.1.0',
    buildId: 'dev',
    configCommit: null,
    anchor: null,
    reason: 'use-latest',
  };

  it("counts an experiment's errors apart from its warnings, and tells those of older summaries by what they kept", async () => {
    const { tallyWarnings } = await import('../../../src/analysis/results.js');
    assert.deepEqual(tallyWarnings([summary, summary]), { warnings: 6, errors: 2, resultsMissing: 2 });
    // A summary from before errors were counted: its resultsMissing counted the error too.
    const { errorCount: _, ...older } = { ...summary, resultsMissing: 2 };
    assert.deepEqual(tallyWarnings([older]), { warnings: 3, errors: 1, resultsMissing: 1 });
  });

  it('the daily report says "1 statistic error, 2 warnings", experiments with errors first', async () => {
    const { tallyWarnings } = await import('../../../src/analysis/results.js');
    const report = outcomeOf('dailyAnalysis', {
      date: '2026-03-15',
      dataset: 'contrail',
      analyzed: [
        {
          slug: 'chatty',
          status: 'analyzed',
          statisticsTables: 2,
          toolVersion: '0.1.0+dev',
          warnings: { warnings: 40, errors: 0, resultsMissing: 5 },
        },
        {
          slug: 'broken',
          status: 'analyzed',
          statisticsTables: 2,
          toolVersion: '0.1.0+dev',
          warnings: tallyWarnings([summary]),
        },
        {
          slug: 'uncomputable',
          status: 'analyzed',
          statisticsTables: 2,
          toolVersion: '0.1.0+dev',
          warnings: { warnings: 2, errors: 2, resultsMissing: 0 },
        },
        // A result of an older run: its errors were counted among its warnings, and are said so.
        {
          slug: 'older',
          status: 'analyzed',
          statisticsTables: 2,
          toolVersion: '0.1.0+dev',
          warnings: { warnings: 3, resultsMissing: 1 },
        },
      ],
      reran: [],
      waited: [],
      failed: [],
    }).report.split('\n');
    assert.deepEqual(report.slice(5), [
      "  statistics errors (a statistic that could not be computed) and warnings (each is in contrail.logs, under its experiment's slug):",
      '    uncomputable: 2 statistic errors',
      '    broken: 1 statistic error, 2 warnings, 1 leaving results null or missing',
      '    chatty: 40 warnings, 5 leaving results null or missing',
      '    older: 3 warnings, 1 leaving results null or missing',
    ]);
  });

  it("a backfill's and a rerun's reports count them apart too, also past the experiments named one by one", () => {
    const backfill = outcomeOf('backfill', {
      total: 24,
      analyzed: 24,
      nothingDue: 0,
      dataset: 'mine',
      warnings: Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [
          `exp-${String(i).padStart(2, '0')}`,
          i < 2
            ? { warnings: 1, errors: 0, resultsMissing: 0 }
            : { warnings: 3, errors: 1, resultsMissing: 0 },
        ]),
      ),
      pins: {},
      failed: [],
      waited: [],
    }).report.split('\n');
    assert.deepEqual(backfill.slice(1, 3), [
      "  statistics errors (a statistic that could not be computed) and warnings (each is in mine.logs, under its experiment's slug):",
      '    exp-02: 1 statistic error, 2 warnings',
    ]);
    assert.deepEqual(backfill.slice(-2), [
      '    exp-11: 1 statistic error, 2 warnings',
      '    2 more experiments: 2 warnings',
    ]);
    const rerun = outcomeOf('rerun', {
      slug: 'x',
      dropped: ['a'],
      anchor: null,
      pin,
      dates: 1,
      analyzed: 1,
      statisticsTables: 1,
      warnings: { warnings: 3, errors: 1, resultsMissing: 1 },
      failed: [],
      waited: [],
    }).report.split('\n');
    assert.deepEqual(rerun.slice(-2), [
      "  statistics errors (a statistic that could not be computed) and warnings (each is in the logs table, under its experiment's slug):",
      '    x: 1 statistic error, 2 warnings, 1 leaving results null or missing',
    ]);
  });

  it("one analysis's statistics table line, and the count of those its summary did not keep, say errors apart", async () => {
    const { formatStatisticsTable } = await import('../../../src/client/format.js');
    assert.equal(
      formatStatisticsTable(summary),
      'statistics_x_week_1 (10 rows; 1 statistic error, 2 warnings in the logs table)',
    );
    // An older summary did not count its errors: those it kept are told.
    const { errorCount: _, ...older } = summary;
    assert.equal(
      formatStatisticsTable(older),
      'statistics_x_week_1 (10 rows; 1 statistic error, 2 warnings in the logs table)',
    );
    const report = outcomeOf('analyzeExperiment', {
      slug: 'x',
      date: '2026-03-15',
      status: 'analyzed',
      reason: null,
      pin,
      enrollments: null,
      metricsTables: [],
      views: [],
      // The summary kept one error of three and one warning of five.
      statistics: [
        {
          ...summary,
          warnings: [error.message, nulled.message],
          warningDetails: [error, nulled],
          warningCount: 8,
          errorCount: 3,
        },
      ],
    }).report.split('\n');
    assert.equal(
      report[1],
      '  statistics_x_week_1 (10 rows; 3 statistic errors, 5 warnings in the logs table)',
    );
    assert.equal(
      report.at(-1),
      '  and 2 more statistic errors and 4 more warnings, not listed here: each is in the logs table',
    );
  });
});

describe('outcomes', () => {
  const daily = (failed: number) => ({
    date: '2026-03-15',
    analyzed: [{ slug: 'ok', status: 'analyzed', statisticsTables: 2, toolVersion: '0.1.0+dev' }] as Omit<
      DailyAnalysisResult['analyzed'][number],
      'configCommit'
    >[],
    reran: [],
    waited: [],
    failed: Array.from({ length: failed }, (_, i) => ({
      slug: `bad-${i}`,
      errorType: 'ConfigError',
      message: 'm',
    })),
  });

  it("counts experiments with nothing due apart from those analysed, and says a rerun's anchor once", () => {
    const withIdle = daily(0);
    withIdle.analyzed.push({
      slug: 'idle',
      status: 'nothing-due',
      statisticsTables: 0,
      toolVersion: '0.1.0+dev',
    });
    assert.equal(
      outcomeOf('dailyAnalysis', withIdle).report.split('\n')[0],
      'daily analysis 2026-03-15: 1 analysed, 1 with nothing due, 0 failed',
    );
    const anchor = '2026-03-20T10:00:00.000Z';
    const rerun = outcomeOf('rerun', {
      slug: 'x',
      dropped: ['a', 'b'],
      anchor,
      pin: { toolVersion: '0.1.0', buildId: 'dev', configCommit: null, anchor, reason: 'use-latest' },
      dates: 29,
      analyzed: 22,
      statisticsTables: 40,
      failed: [],
      waited: [],
    }).report.split('\n');
    // A rerun of an older build listed the tables it replaced with those it dropped: said so.
    assert.equal(
      rerun[0],
      'rerun of x: dropped or replaced 2 tables; 22/29 dates analysed, 7 with nothing due, 0 failed',
    );
    assert.equal(rerun[1]?.split(anchor).length, 2, `the anchor once: ${rerun[1]}`);
  });

  it("the daily report: failures first, grouped as a backfill's; then the ok experiments counted, listed with --verbose or when few", () => {
    const fleet = {
      ...daily(0),
      analyzed: Array.from({ length: 30 }, (_, i) => ({
        slug: `fine-${i}`,
        status: 'analyzed',
        statisticsTables: 2,
        toolVersion: '0.1.0+dev',
      })),
      failed: ['a', 'b', 'c', 'd'].map((x) => ({
        slug: `broken-${x}`,
        errorType: 'ConfigError',
        message: `broken-${x}: metric 'm' is not defined`,
      })),
    };
    const lines = outcomeOf('dailyAnalysis', fleet).report.split('\n');
    assert.deepEqual(lines, [
      'daily analysis 2026-03-15: 30 analysed, 4 failed',
      "  FAIL  4 experiments (broken-a, broken-b, broken-c and 1 more): ConfigError: <experiment>: metric 'm' is not defined",
      '  ok    30 experiments (--verbose lists them)',
    ]);
    const verbose = outcomeOf('dailyAnalysis', fleet, { verbose: true }).report.split('\n');
    assert.equal(verbose.length, 2 + 30);
    assert.match(verbose[1] ?? '', /^ {2}FAIL {2}4 experiments/);
    assert.equal(verbose[2], '  ok    fine-0 (analyzed, 2 statistics tables; contrail 0.1.0+dev)');
    // A few fine experiments are listed anyway, after the failures; one with nothing due says why.
    const few = daily(1);
    few.analyzed.push(
      {
        slug: 'enrolling',
        status: 'nothing-due',
        reason: 'enrollment of enrolling is not complete on 2026-03-15 (last enrollment date 2026-03-18)',
        statisticsTables: 0,
        toolVersion: '0.1.0+dev',
      },
      { slug: 'one', status: 'analyzed', statisticsTables: 1, toolVersion: '0.1.0+dev' },
    );
    assert.deepEqual(outcomeOf('dailyAnalysis', few).report.split('\n').slice(1), [
      '  FAIL  bad-0: ConfigError: m',
      '  ok    ok (analyzed, 2 statistics tables; contrail 0.1.0+dev)',
      '  ok    enrolling (nothing due: enrollment of enrolling is not complete on 2026-03-15 (last enrollment date 2026-03-18); contrail 0.1.0+dev)',
      '  ok    one (analyzed, 1 statistics table; contrail 0.1.0+dev)',
    ]);
  });

  it('counts failed units of work and puts the summary first', () => {
    const outcome = outcomeOf('dailyAnalysis', daily(1));
    assert.equal(outcome.failed, 1);
    assert.equal(outcome.report.split('\n')[0], 'daily analysis 2026-03-15: 1 analysed, 1 failed');
  });

  it('a result with failures fails the command with its summary line (exit 1)', () => {
    const write = process.stdout.write;
    process.stdout.write = ((chunk: unknown) =>
      typeof chunk !== 'string' && write.call(process.stdout, chunk as string)) as typeof write;
    try {
      assert.throws(
        () => printOutcome('dailyAnalysis', daily(2), false),
        (error: unknown) =>
          error instanceof CliError &&
          error.exitCode === 1 &&
          error.message === 'daily analysis 2026-03-15: 1 analysed, 2 failed',
      );
      assert.doesNotThrow(() => printOutcome('dailyAnalysis', daily(0), false));
      // A preview's report starts with what was previewed: the command ends with what failed.
      const preview = previewResult({
        startDate: '2026-03-09',
        endDate: '2026-03-11',
        days: [{ date: '2026-03-09', status: 'analyzed', reason: null, statistics: [] }],
        failed: ['2026-03-10', '2026-03-11'].map((date) => ({
          date,
          errorType: 'ConfigError',
          message: 'm',
        })),
      });
      // A date on which only enrollments were due is listed too, saying so.
      assert.match(
        outcomeOf('preview', preview).report,
        /^ {2}2026-03-09: enrollments only \(no window of the previewed periods completes on this date\)$/m,
      );
      assert.doesNotMatch(
        outcomeOf('preview', preview).report,
        /no window of the previewed periods completed/,
      );
      // Enrollments only on every date, nothing failed: what would give results is said.
      const enrollmentsOnly = outcomeOf(
        'preview',
        previewResult({
          startDate: '2026-03-28',
          endDate: '2026-03-30',
          days: [
            { date: '2026-03-28', status: 'analyzed', reason: null, statistics: [] },
            { date: '2026-03-29', status: 'analyzed', reason: null, statistics: [] },
            { date: '2026-03-30', status: 'nothing-due', reason: 'x ended on 2026-03-29', statistics: [] },
          ],
        }),
      ).report;
      assert.match(
        enrollmentsOnly,
        /^ {2}no window of the previewed periods completed on any previewed date: give an --end_date on which one completes, or other --analysis_periods$/m,
      );
      assert.doesNotMatch(enrollmentsOnly, /nothing was due on any previewed date/);
      assert.throws(() => printOutcome('preview', preview, false), {
        message:
          'preview of x failed on 2 of 3 dates (2026-03-10, 2026-03-11): the errors are listed in its report, under their config files',
      });
    } finally {
      process.stdout.write = write;
    }
  });

  it('a preview stopped by Ctrl-C says which dates finished, which was stopped and which never ran; exit 130', () => {
    const preview = previewResult({
      startDate: '2026-03-09',
      endDate: '2026-03-12',
      days: [{ date: '2026-03-09', status: 'analyzed', reason: null, statistics: [] }],
      failed: [{ date: '2026-03-10', errorType: 'ConfigError', message: 'm' }],
      interrupted: { date: '2026-03-11', notRun: ['2026-03-12'] },
      costs: {
        estimate: {
          method: 'column_sizes',
          queries: [],
          totalBytes: 0,
          usdPerTib: 6.25,
          totalUsd: 0,
          ownTableQueries: 0,
        },
        queries: ['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12'].map((date, i) => ({
          experiment_slug: 'x',
          analysis_date: date,
          destination: `metrics_${i}`,
          elapsed_ms: i === 0 ? 100 : null,
          outcome: i === 0 ? 'ran' : 'not run',
        })),
      },
    });
    const said =
      'interrupted: 2026-03-09, 2026-03-10 finished; 2026-03-11 stopped part way (what it had not published dropped); not run: 2026-03-12';
    const report = outcomeOf('preview', preview).report;
    assert.match(report, /^Interrupted: 2026-03-09, 2026-03-10 finished; 2026-03-11 stopped part way/m);
    assert.match(report, /^ {2}2026-03-10 {2}metrics_1 {2}not run \(an earlier step of this date failed\)/m);
    // Which of the stopped date's queries ran before the stop is not known: none is said not to have.
    assert.match(
      report,
      /^ {2}2026-03-11 {2}metrics_2 {2}stopped \(interrupted: it may have run before the stop\)/m,
    );
    assert.match(
      report,
      /^ {2}total 0\.1 s of the 1 query known to have run, .*; 2 not run, 1 stopped: the stopped one may have run before the interruption, its time and bytes not known$/m,
    );
    assert.match(report, /^ {2}2026-03-12 {2}metrics_3 {2}not run \(interrupted\)/m);
    assert.match(report, /^FAILED on 1 of 4 dates: 2026-03-10$/m);
    assert.match(report, /^dashboard: /m);
    // Stopped before any date finished: no dashboard link, which would show nothing of this preview.
    const early = outcomeOf('preview', { ...preview, days: [], failed: [] }).report;
    assert.match(early, /^Interrupted: no date finished/m);
    assert.doesNotMatch(early, /dashboard/);
    // A failed date's errors are on the dashboard.
    assert.match(outcomeOf('preview', { ...preview, days: [] }).report, /^dashboard: /m);
    // Stopped on its last date: nothing is left to name as not run.
    const last = outcomeOf('preview', {
      ...preview,
      interrupted: { date: '2026-03-12', notRun: [] },
      days: [...preview.days, { date: '2026-03-11', status: 'analyzed', reason: null, statistics: [] }],
    });
    assert.equal(
      last.interrupted,
      'preview of x interrupted: 2026-03-09, 2026-03-10, 2026-03-11 finished; 2026-03-12 stopped part way (what it had not published dropped)',
    );
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof write;
    try {
      assert.throws(
        () => printOutcome('preview', preview, false),
        (error: unknown) =>
          error instanceof CliError && error.exitCode === 130 && error.message === `preview of x ${said}`,
      );
    } finally {
      process.stdout.write = write;
    }
  });
});

describe('what an interrupted command says it leaves', () => {
  it('how far the run had got, and what that means for the published results of each kind of run', () => {
    const progress = {
      workflow: 'backfill',
      stage: 'analysing',
      total: 4,
      done: 2,
      failed: 1,
      current: [],
      waiting: [],
    };
    assert.equal(reachedLine(progress), 'analysing, 2 of 4 done (1 failed)');
    assert.equal(reachedLine({ ...progress, stage: 'resolving', total: 0, done: 0, failed: 0 }), 'resolving');
    assert.match(leftByInterrupt('backfill', {}) ?? '', /^a backfill publishes at its end/);
    // `contrail run` of given experiments is a one-day backfill, said as the run it is.
    assert.match(
      leftByInterrupt('backfill', { startDate: '2026-03-21', endDate: '2026-03-21' }) ?? '',
      /^the run publishes at its end: unless it was publishing, the published results are as they were$/,
    );
    assert.match(
      leftByInterrupt('dailyAnalysis', {}) ?? '',
      /^the experiments that had finished are published/,
    );
    assert.match(
      leftByInterrupt('rerun', { recreateEnrollments: false }) ?? '',
      /the published results are as they were/,
    );
    assert.match(
      leftByInterrupt('rerun', { recreateEnrollments: true }) ?? '',
      /no results until a rerun finishes/,
    );
    // A preview says what it finished in its own report.
    assert.equal(leftByInterrupt('preview', {}), null);
  });

  it('what was cancelled, said alike by Ctrl-C on an embedded command and by contrail cancel', () => {
    const progress = {
      workflow: 'backfill',
      stage: 'analysing',
      total: 2,
      done: 0,
      failed: 0,
      current: [],
      waiting: [],
    };
    const left = leftByInterrupt('backfill', {});
    assert.equal(
      cancelledLine('contrail: interrupted (SIGINT)', progress, ['backfill/x/a..b'], left),
      'contrail: interrupted (SIGINT) while analysing, 0 of 2 done: cancelled backfill/x/a..b; a backfill publishes at its end: unless it was publishing, the published results are as they were',
    );
    // No progress answer: how far it got goes unsaid; nothing cancelled leaves the results alone.
    assert.equal(
      cancelledLine('contrail: interrupted (SIGTERM)', null, [], left),
      'contrail: interrupted (SIGTERM): nothing was running',
    );
    // An analysis that ended of itself before the cancellation reached it is said apart.
    assert.equal(
      cancelledLine(
        'daily/2026-03-15 stopped',
        progress,
        ['daily/2026-03-15', 'analysis/y/2026-03-15'],
        null,
        ['analysis/x/2026-03-15'],
      ),
      'daily/2026-03-15 stopped while analysing, 0 of 2 done: cancelled daily/2026-03-15, analysis/y/2026-03-15 (analysis/x/2026-03-15 finished first)',
    );
    // A publication under way ran to its end: its tables are all published, none part new, part old.
    assert.equal(
      cancelledLine(
        'contrail: interrupted (SIGINT)',
        { ...progress, stage: 'publishing', total: 1 },
        ['backfill/x/a..b'],
        left,
        ['publish/x'],
      ),
      'contrail: interrupted (SIGINT) while publishing, 0 of 1 done: cancelled backfill/x/a..b (publish/x finished first: publishing, once begun, runs to its end, so every table of it is published); a backfill publishes at its end: unless it was publishing, the published results are as they were',
    );
  });
});
