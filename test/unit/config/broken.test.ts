import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import type { ConfigFileKind } from '../../../src/config/config-file.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { ConfigError } from '../../../src/config/problems.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { testExperiment } from '../../helpers/experiment.js';

const BROKEN = join('test', 'fixtures', 'config', 'broken');
const REPO = join('test', 'fixtures', 'config', 'repo');

const experiment = testExperiment({ slug: 'broken' });

/**
 * Hand-made broken experiment configs (test/fixtures/config/broken/<case>.toml), each
 * resolved against a small config repo: [case, file (relative to broken/ unless a repo
 * path), line, key path, exact message of the first problem].
 */
const CASES: [string, string, number | null, string, string][] = [
  [
    'analysis-bases-bad',
    'analysis-bases-bad.toml',
    2,
    'metrics.m1.analysis_bases.0',
    "expected 'enrollments' or 'exposures', got the string \"exposure\" (did you mean 'exposures'?)",
  ],
  [
    'bad-analysis-unit',
    'bad-analysis-unit.toml',
    2,
    'experiment.analysis_unit',
    "expected 'client_id' or 'profile_group_id', got the string \"client\" (did you mean 'client_id'?)",
  ],
  [
    'bad-end-date-format',
    'bad-end-date-format.toml',
    2,
    'experiment.end_date',
    'expected a date as YYYY-MM-DD, got the string "01/02/2024"',
  ],
  [
    'bad-query-type',
    'bad-query-type.toml',
    2,
    'experiment.enrollments_query_type',
    "expected 'normandy', 'glean-event', 'fenix-fallback', 'cirrus' or 'background-update', got the string \"glean_event\" (did you mean 'glean-event'?)",
  ],
  [
    'cirrus-query-type',
    'cirrus-query-type.toml',
    2,
    'experiment.enrollments_query_type',
    "enrollments_query_type 'cirrus' is not supported by contrail (jetstream keeps its cirrus platform disabled too); supported: normandy, glean-event, fenix-fallback (without the key: the platform's default)",
  ],
  [
    'background-update-query-type',
    'background-update-query-type.toml',
    2,
    'experiment.enrollments_query_type',
    "enrollments_query_type 'background-update' is not supported by contrail (its enrollments are the background update task's own (firefox_desktop_background_update), keyed by its background_update_client_id; write them as an enrollment_query selecting analysis_id, branch, enrollment_date and num_enrollment_events); supported: normandy, glean-event, fenix-fallback (without the key: the platform's default)",
  ],
  [
    'bad-start-date',
    'bad-start-date.toml',
    2,
    'experiment.start_date',
    'not a real calendar date (expected YYYY-MM-DD), got the string "2024-13-01"',
  ],
  [
    'dataset-placeholder',
    'dataset-placeholder.toml',
    10,
    'data_sources.ds.from_expression',
    "from_expression of 'ds' uses {dataset} but the data source has no default_dataset",
  ],
  ['depends-on-cycle', 'depends-on-cycle.toml', 9, 'metrics.b.depends_on', 'depends_on cycle: a → b → a'],
  [
    'depends-on-missing',
    'depends-on-missing.toml',
    5,
    'metrics.a.depends_on',
    "metric 'uri_cont' is not defined in the experiment's config, its outcomes or definitions/firefox_desktop.toml (did you mean 'uri_count'?)",
  ],
  [
    'end-before-start',
    'end-before-start.toml',
    3,
    'experiment.end_date',
    'end_date 2024-01-01 is before start_date 2024-02-01',
  ],
  [
    'enrollment-period-negative',
    'enrollment-period-negative.toml',
    2,
    'experiment.enrollment_period',
    'must be a whole number of at least 0, got number -3',
  ],
  [
    'enrollment-period-string',
    'enrollment-period-string.toml',
    2,
    'experiment.enrollment_period',
    'expected number, got the string "seven"',
  ],
  [
    'experiments-column-type-bad',
    'experiments-column-type-bad.toml',
    3,
    'data_sources.ds.experiments_column_type',
    "expected 'none', 'simple', 'native', 'glean' or 'events_stream', got the string \"nativ\" (did you mean 'native'?)",
  ],
  [
    'exposure-signal-bad-window',
    'exposure-signal-bad-window.toml',
    7,
    'experiment.exposure_signal.window_start',
    "expected a number of days or one of 'enrollment_start', 'enrollment_end', 'analysis_window_start', 'analysis_window_end', got the string \"enrollment_begin\"",
  ],
  [
    'exposure-signal-missing-key',
    'exposure-signal-missing-key.toml',
    1,
    'experiment.exposure_signal.select_expression',
    'required key is missing (expected string)',
  ],
  [
    'exposure-signal-typo',
    'exposure-signal-typo.toml',
    7,
    'experiment.exposure_signal.window_stat',
    "unknown key 'window_stat' in [experiment.exposure_signal] (did you mean 'window_start'?); valid keys: name, data_source, select_expression, friendly_name, description, window_start, window_end (use --lenient to accept unknown keys as warnings)",
  ],
  [
    'metric-no-select',
    'metric-no-select.toml',
    4,
    'metrics.m1',
    "metric 'm1' has no select_expression (and no depends_on) (used at test/fixtures/config/broken/metric-no-select.toml:2: metrics.weekly.0)",
  ],
  [
    'metric-no-statistics',
    'test/fixtures/config/repo/definitions/firefox_desktop.toml',
    16,
    'metrics.no_stats_metric',
    "metric 'no_stats_metric' has no statistics; add e.g. [metrics.no_stats_metric.statistics] bootstrap_mean = {} (statistics: bootstrap_mean, binomial, deciles, count, sum, linear_model_mean, per_client_dau_impact, population_ratio, kernel_density_estimate, empirical_cdf) (used at test/fixtures/config/broken/metric-no-statistics.toml:2: metrics.weekly.0)",
  ],
  [
    'param-by-branch-string',
    'param-by-branch-string.toml',
    2,
    'parameters.p.value',
    'parameter \'p\' is distinct_by_branch, so it needs one value per branch, e.g. value.control = "x"',
  ],
  [
    'param-missing-value',
    'param-missing-value.toml',
    1,
    'parameters.p',
    "parameter 'p' needs 'value' or 'default'",
  ],
  [
    'param-table-not-by-branch',
    'param-table-not-by-branch.toml',
    2,
    'parameters.p.value',
    "parameter 'p' has one value per branch; set distinct_by_branch = true, or give a single string",
  ],
  ['param-typo', 'param-typo.toml', 1, 'parameters.p', "parameter 'p' needs 'value' or 'default'"],
  [
    'period-day',
    'period-day.toml',
    2,
    'metrics.day',
    "'day' is not a period list (did you mean 'daily'?); period lists are 'daily', 'weekly', '28_day', 'overall', 'preenrollment_weekly' or 'preenrollment_days28'",
  ],
  [
    'period-days28',
    'period-days28.toml',
    2,
    'metrics.days28',
    "'days28' is not a period list (did you mean '28_day'?); period lists are 'daily', 'weekly', '28_day', 'overall', 'preenrollment_weekly' or 'preenrollment_days28'",
  ],
  [
    'period-item-not-string',
    'period-item-not-string.toml',
    4,
    'metrics.weekly.1',
    'expected a name (string), got number 3',
  ],
  [
    'period-not-list',
    'period-not-list.toml',
    2,
    'metrics.weekly',
    'expected a list of names, got the string "active_hours"',
  ],
  [
    'period-typo',
    'period-typo.toml',
    2,
    'metrics.weeklyy',
    "'weeklyy' is not a period list (did you mean 'weekly'?); period lists are 'daily', 'weekly', '28_day', 'overall', 'preenrollment_weekly' or 'preenrollment_days28'",
  ],
  [
    'period-week',
    'period-week.toml',
    2,
    'metrics.week',
    "'week' is not a period list (did you mean 'weekly'?); period lists are 'daily', 'weekly', '28_day', 'overall', 'preenrollment_weekly' or 'preenrollment_days28'",
  ],
  [
    'population-ratio-missing',
    'population-ratio-missing.toml',
    6,
    'metrics.r.statistics.population_ratio',
    "invalid parameter 'denominator' for statistic 'population_ratio': is required: the name of the denominator metric",
  ],
  [
    'population-ratio-unknown-metric',
    'population-ratio-unknown-metric.toml',
    6,
    'metrics.r.statistics.population_ratio',
    "statistic 'population_ratio' of metric 'r': denominator 'active_hour' is not a defined metric (did you mean 'active_hours'?)",
  ],
  [
    'pre-treatment-bad-arg',
    'pre-treatment-bad-arg.toml',
    2,
    'metrics.active_hours.statistics.bootstrap_mean.pre_treatments.0.bas',
    "unknown parameter 'bas' for pre-treatment 'log' (did you mean 'base'?); valid parameters: base",
  ],
  [
    'pre-treatment-missing-threshold',
    'pre-treatment-missing-threshold.toml',
    2,
    'metrics.active_hours.statistics.bootstrap_mean.pre_treatments.0',
    "invalid parameter 'threshold' for pre-treatment 'censor_values_above_threshold': is required and must be a number",
  ],
  [
    'reference-branch-unknown',
    'reference-branch-unknown.toml',
    2,
    'experiment.reference_branch',
    "reference_branch 'contrl' is not a branch of the experiment (did you mean 'control'?); branches: control, treatment",
  ],
  [
    'sample-size-too-big',
    'sample-size-too-big.toml',
    2,
    'experiment.sample_size',
    'must be a whole number from 0 to 100, got number 150',
  ],
  ['skip-not-bool', 'skip-not-bool.toml', 2, 'experiment.skip', 'expected boolean, got the string "yes"'],
  [
    'statistic-covariate-period',
    'statistic-covariate-period.toml',
    2,
    'metrics.active_hours.statistics.linear_model_mean.covariate_adjustment.period',
    "invalid parameter 'covariate_adjustment.period' for statistic 'linear_model_mean': period must be one of preenrollment_week, preenrollment_days28, got the string \"preenrollment_weekly\"",
  ],
  [
    'statistic-drop-highest-range',
    'statistic-drop-highest-range.toml',
    2,
    'metrics.active_hours.statistics.bootstrap_mean.drop_highest',
    "invalid parameter 'drop_highest' for statistic 'bootstrap_mean': must be in [0, 0.5], got number 1.5",
  ],
  [
    'statistic-num-samples-type',
    'statistic-num-samples-type.toml',
    2,
    'metrics.active_hours.statistics.bootstrap_mean.num_samples',
    "invalid parameter 'num_samples' for statistic 'bootstrap_mean': expected number, got the string \"many\"",
  ],
  [
    'statistic-params-not-table',
    'statistic-params-not-table.toml',
    2,
    'metrics.active_hours.statistics.bootstrap_mean',
    "expected a table of parameters for statistic 'bootstrap_mean' (use {} for none), got boolean true",
  ],
  [
    'statistic-unknown-param',
    'statistic-unknown-param.toml',
    2,
    'metrics.active_hours.statistics.bootstrap_mean.num_sample',
    "unknown parameter 'num_sample' for statistic 'bootstrap_mean' (did you mean 'num_samples'?); valid parameters: num_samples, drop_highest, confidence_interval",
  ],
  [
    'template-syntax',
    'template-syntax.toml',
    5,
    'metrics.m1.select_expression',
    'template syntax error: [Line 1, Column 14] parseSignature: expected comma after expression (used at test/fixtures/config/broken/template-syntax.toml:2: metrics.weekly.0)',
  ],
  [
    'toml-syntax',
    'toml-syntax.toml',
    2,
    '',
    'TOML syntax error: control characters are not allowed in strings; a string on this line has a " at one end only: quote both ends on the same line (""" … """ for text over several lines)',
  ],
  [
    'typo-data-source-key',
    'typo-data-source-key.toml',
    2,
    'data_sources.ds.from_expresion',
    "unknown key 'from_expresion' in data source 'ds' (did you mean 'from_expression'?); valid keys: from_expression, experiments_column_type, client_id_column, submission_date_column, default_dataset, build_id_column, friendly_name, description, joins, columns_as_dimensions, analysis_units, group_id_column, glean_client_id_column, legacy_client_id_column, deprecated (use --lenient to accept unknown keys as warnings)",
  ],
  [
    'typo-experiment-key',
    'typo-experiment-key.toml',
    2,
    'experiment.start_dat',
    "unknown key 'start_dat' in [experiment] (did you mean 'start_date'?); valid keys: enrollment_query, enrollment_period, reference_branch, start_date, end_date, segments, outcomes, skip, exposure_signal, is_private, dataset_id, sample_size, analysis_unit, enrollments_query_type (use --lenient to accept unknown keys as warnings)",
  ],
  [
    'typo-metric-key',
    'typo-metric-key.toml',
    5,
    'metrics.m1.select_expresion',
    "unknown key 'select_expresion' in metric 'm1' (did you mean 'select_expression'?); valid keys: select_expression, data_source, friendly_name, description, bigger_is_better, analysis_bases, depends_on, category, type, owner, deprecated, level, analysis_units, statistics, aggregation, column, where, within_days, threshold, scale, cumulative_window, incremental_window, repeat_windows (use --lenient to accept unknown keys as warnings)",
  ],
  [
    'typo-root-key',
    'typo-root-key.toml',
    1,
    'experimnt',
    "unknown key 'experimnt' in an experiment file (did you mean 'experiment'?); valid keys: experiment, metrics, data_sources, segments, parameters, friendly_name, description (use --lenient to accept unknown keys as warnings)",
  ],
  [
    'typo-segment-key',
    'typo-segment-key.toml',
    3,
    'segments.seg.select_expresion',
    "unknown key 'select_expresion' in segment 'seg' (did you mean 'select_expression'?); valid keys: data_source, select_expression, friendly_name, description (use --lenient to accept unknown keys as warnings)",
  ],
  [
    'unknown-data-source',
    'unknown-data-source.toml',
    6,
    'metrics.m1.data_source',
    "data source 'clients_dailly' is not defined in the experiment's config, its outcomes or definitions/firefox_desktop.toml (did you mean 'clients_daily'?)",
  ],
  [
    'unknown-experiment-attr',
    'unknown-experiment-attr.toml',
    2,
    'experiment.enrollment_query',
    "unknown experiment attribute 'experiment.start_date_string' (did you mean 'start_date_str'?); available: slug, normandy_slug, experimenter_slug, app_name, app_id, channel, reference_branch, branches, enrollment_period, proposed_enrollment, is_rollout, segments, outcomes, start_date, end_date, sample_size, start_date_str, end_date_str, last_enrollment_date_str",
  ],
  [
    'unknown-function',
    'unknown-function.toml',
    5,
    'metrics.m1.select_expression',
    "unknown function 'agg_summ' (did you mean 'agg_sum'?); functions (from definitions/functions.toml) are agg_sum, agg_any (used at test/fixtures/config/broken/unknown-function.toml:2: metrics.weekly.0)",
  ],
  [
    'unknown-metric',
    'unknown-metric.toml',
    3,
    'metrics.weekly.0',
    "metric 'active_hour' is not defined in the experiment's config, its outcomes or definitions/firefox_desktop.toml (did you mean 'active_hours'?)",
  ],
  [
    'unknown-outcome',
    'unknown-outcome.toml',
    2,
    'experiment.outcomes',
    "outcome 'dem' does not exist for platform 'firefox_desktop' (did you mean 'demo'?); outcomes: demo",
  ],
  [
    'unknown-parameter',
    'unknown-parameter.toml',
    5,
    'metrics.m1.select_expression',
    "unknown parameter 'parameters.missing'; available: none (used at test/fixtures/config/broken/unknown-parameter.toml:2: metrics.weekly.0)",
  ],
  [
    'unknown-pre-treatment',
    'unknown-pre-treatment.toml',
    2,
    'metrics.active_hours.statistics.bootstrap_mean.pre_treatments.0',
    "unknown pre-treatment 'remove_null' (did you mean 'remove_nulls'?); pre-treatments are 'remove_nulls', 'remove_indefinites', 'zero_fill', 'censor_highest_values', 'censor_lowest_values', 'censor_values_below_threshold', 'censor_values_above_threshold', 'normalize_over_analysis_period' or 'log'",
  ],
  [
    'unknown-segment-data-source',
    'unknown-segment-data-source.toml',
    5,
    'segments.mine.data_source',
    "segment data source 'clients_last_sen' is not defined under [segments.data_sources] in the experiment's config or definitions/firefox_desktop.toml (did you mean 'clients_last_seen'?)",
  ],
  [
    'unknown-segment',
    'unknown-segment.toml',
    2,
    'experiment.segments',
    "segment 'regular_user' is not defined in the experiment's config or definitions/firefox_desktop.toml (did you mean 'regular_users'?)",
  ],
  [
    'unknown-statistic-inline',
    'unknown-statistic-inline.toml',
    7,
    'metrics.m1.statistics.binomal',
    "unknown statistic 'binomal' (did you mean 'binomial'?); statistics are 'bootstrap_mean', 'binomial', 'deciles', 'count', 'sum', 'linear_model_mean', 'per_client_dau_impact', 'population_ratio', 'kernel_density_estimate' or 'empirical_cdf'",
  ],
  [
    'unknown-statistic',
    'unknown-statistic.toml',
    2,
    'metrics.active_hours.statistics.bootstrap_men',
    "unknown statistic 'bootstrap_men' (did you mean 'bootstrap_mean'?); statistics are 'bootstrap_mean', 'binomial', 'deciles', 'count', 'sum', 'linear_model_mean', 'per_client_dau_impact', 'population_ratio', 'kernel_density_estimate' or 'empirical_cdf'",
  ],
  [
    'wrong-type-bigger-is-better',
    'wrong-type-bigger-is-better.toml',
    2,
    'metrics.m1.bigger_is_better',
    'expected boolean, got the string "yes"',
  ],
];

describe('broken configs', () => {
  let collection: ConfigCollection;
  before(async () => {
    collection = await loadConfigCollection({ repos: [REPO] });
  });

  it('has a case for every broken fixture file, and a fixture for every case', () => {
    // Fixtures of the warning tests at the end of this file, not error cases.
    const warningFixtures = ['segment-window-on-segment'];
    const fixtures = readdirSync(BROKEN)
      .filter((f) => f.endsWith('.toml'))
      .map((f) => f.slice(0, -'.toml'.length))
      .filter((f) => !warningFixtures.includes(f))
      .sort();
    assert.deepEqual(CASES.map(([name]) => name).sort(), fixtures);
  });

  for (const [name, file, line, keyPath, message] of CASES) {
    it(`${name}: ${keyPath || '(file)'}`, () => {
      const path = join(BROKEN, `${name}.toml`);
      assert.throws(
        () => resolveAnalysisSpec(collection, experiment, { configFile: path }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          const expectedFile = file.startsWith('test/') ? file : join(BROKEN, file);
          assert.deepEqual(error.problems[0], { file: expectedFile, line, keyPath, message });
          assert.ok(
            error.message.includes(`${expectedFile}:${line}: ${keyPath ? `${keyPath}: ` : ''}${message}`),
          );
          return true;
        },
      );
    });
  }

  it('names the kind of file an unknown top-level key is in, as a sentence says it', () => {
    const cases: [ConfigFileKind, string][] = [
      ['outcome', 'an outcome file'],
      ['definition', 'a definitions file'],
      ['default', 'a defaults file'],
      ['functions', 'the functions file'],
    ];
    for (const [kind, named] of cases) {
      const file = parseConfigText(`${kind}.toml`, 'frendly_name = "x"\n', kind, 'x', 'firefox_desktop');
      assert.match(
        file.unknownKeys[0]?.message ?? '',
        new RegExp(`^unknown key 'frendly_name' in ${named}[ ;]`),
      );
    }
  });

  it('reports every problem in a file, not only the first', () => {
    assert.throws(
      () => resolveAnalysisSpec(collection, experiment, { configFile: join(BROKEN, 'param-typo.toml') }),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
    );
  });

  it('lenient mode turns unknown keys into warnings', () => {
    assert.throws(() =>
      resolveAnalysisSpec(collection, experiment, { configFile: join(BROKEN, 'typo-root-key.toml') }),
    );
    const { warnings } = resolveAnalysisSpec(collection, experiment, {
      configFile: join(BROKEN, 'typo-root-key.toml'),
      lenient: true,
    });
    assert.deepEqual(
      warnings.map((w) => w.keyPath),
      ['experimnt'],
    );
  });

  it('an unknown key is an error in strict mode that hides none of the others', () => {
    const toml = `[metrics]
weekly = ["typo", "nowhere"]

[metrics.typo]
select_expression = "COUNT(*)"
data_source = "clients_daily"
exposure_basis = true
statistics = { bootstrap_mean = {} }

[metrics.nowhere]
select_expression = "COUNT(*)"
data_source = "no_such_source"
statistics = { bootstrap_mean = {} }
`;
    const problems = (lenient: boolean): string[] => {
      try {
        const { warnings } = resolveAnalysisSpec(collection, experiment, { configFile: toml, lenient });
        return warnings.map((w) => `warning ${w.keyPath}`);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems.map((p) => `error ${p.keyPath}`);
      }
    };
    assert.deepEqual(problems(false), [
      'error metrics.typo.exposure_basis',
      'error metrics.nowhere.data_source',
    ]);
    assert.deepEqual(problems(true), ['error metrics.nowhere.data_source']);
  });

  it('a metric used only as a depends_on input needs statistics of its own, as jetstream requires', () => {
    const toml = `[metrics]
weekly = ["ratio"]

[metrics.ratio]
depends_on = ["days_of_use", "no_stats_metric"]

[metrics.ratio.statistics.population_ratio]
numerator = "days_of_use"
denominator = "no_stats_metric"
`;
    assert.throws(
      () => resolveAnalysisSpec(collection, experiment, { configFile: toml }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.problems.map((p) => [
            p.keyPath,
            p.message.replace(/; add e\.g\..*?\(used at/, '; … (used at'),
          ]),
          [
            [
              'metrics.no_stats_metric',
              "metric 'no_stats_metric' has no statistics, which jetstream requires of a depends_on input too; … (used at broken.toml (custom config):5: metrics.ratio.depends_on)",
            ],
          ],
        );
        return true;
      },
    );
  });

  it('a key jetstream reads elsewhere and ignores here is a warning in strict mode too', () => {
    const { warnings } = resolveAnalysisSpec(collection, experiment, {
      configFile: join(BROKEN, 'segment-window-on-segment.toml'),
    });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.keyPath, 'segments.mine.window_start');
    assert.equal(warnings[0]?.line, 4);
    assert.match(warnings[0]?.message ?? '', /read only in segment data sources/);
  });

  it('lenient mode still rejects real errors', () => {
    assert.throws(
      () =>
        resolveAnalysisSpec(collection, experiment, {
          configFile: join(BROKEN, 'period-week.toml'),
          lenient: true,
        }),
      ConfigError,
    );
  });
});
