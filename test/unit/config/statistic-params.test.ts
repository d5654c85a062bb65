import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parseConfigText } from '../../../src/config/parse.js';
import { formatProblem } from '../../../src/config/problems.js';
import { computeStatistic } from '../../../src/statistics/index.js';

/**
 * Config validation and the statistics share one parameter schema: for every case, the config
 * check accepts exactly what the statistic runs with, and rejects exactly what it refuses.
 */
const CASES: [statistic: string, params: string][] = [
  ['bootstrap_mean', '{ drop_highest = 0.7 }'],
  ['bootstrap_mean', '{ drop_highest = 0.5 }'],
  ['bootstrap_mean', '{ num_samples = 50 }'],
  ['bootstrap_mean', '{ num_samples = 100 }'],
  ['bootstrap_mean', '{ num_samples = 100.5 }'],
  ['bootstrap_mean', '{ confidence_interval = 1 }'],
  ['bootstrap_mean', '{ num_sample = 100 }'],
  ['linear_model_mean', '{ covariate_adjustment = { period = "preenrollment_week", metric = "other" } }'],
  ['linear_model_mean', '{ covariate_adjustment = { period = "preenrollment_weekly" } }'],
  ['linear_model_mean', '{ covariate_adjustment = { period = "preenrollment_week", metrc = "x" } }'],
  ['per_client_dau_impact', '{ drop_highest = 0 }'],
  ['deciles', '{ drop_highest = 0.1 }'],
  ['kernel_density_estimate', '{ bandwidth = "silverman", grid_size = 64 }'],
  ['kernel_density_estimate', '{ adjust = 2 }'],
  ['empirical_cdf', '{ grid_size = 1 }'],
  ['binomial', '{ pre_treatments = ["remove_nulls", { name = "log", base = 2 }] }'],
  ['binomial', '{ pre_treatments = [{ name = "log", base = 1 }] }'],
  ['binomial', '{ pre_treatments = [{ name = "censor_highest_values", fraction = 1.5 }] }'],
  [
    'binomial',
    '{ pre_treatments = [{ name = "normalize_over_analysis_period", analysis_period_length = 7 }] }',
  ],
  ['binomial', '{ pre_treatments = [{ name = "censor_values_below_threshold" }] }'],
];

function configErrors(statistic: string, params: string): string[] {
  const toml = `[metrics.m]\nselect_expression = "1"\ndata_source = "ds"\nstatistics = { ${statistic} = ${params} }\n`;
  const file = parseConfigText('case.toml', toml, 'experiment', 'case', null);
  return [...file.errors, ...file.parameterErrors, ...file.unknownKeys].map(formatProblem);
}

function statisticError(statistic: string, params: string): string | null {
  const toml = parseTomlValue(params);
  const { pre_treatments: pre, ...own } = toml;
  const preTreatments = ((pre as unknown[] | undefined) ?? []).map((p) =>
    typeof p === 'string'
      ? { name: p, args: {} }
      : (({ name, ...args }) => ({ name: String(name), args }))(p as Record<string, never>),
  );
  try {
    computeStatistic(
      { name: statistic, params: own as never, preTreatments },
      { metric: 'm', windowDays: 7, branches: [{ branch: 'a', bins: [{ y: 1, count: 3 }] }] },
      { segment: 'all', analysisBasis: 'enrollments', windowIndex: '1', referenceBranch: 'a', seed: 1 },
    );
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The inline table as the config reader sees it (smol-toml, the parser it uses). */
function parseTomlValue(inline: string): Record<string, unknown> {
  return (parseToml(`v = ${inline}`) as { v: Record<string, unknown> }).v;
}

describe('statistic parameters: one schema for validation and analysis', () => {
  for (const [statistic, params] of CASES) {
    it(`${statistic} ${params}`, () => {
      const errors = configErrors(statistic, params);
      const runtime = statisticError(statistic, params);
      if (runtime === null) assert.deepEqual(errors, [], 'the statistic runs, so validation must accept it');
      else assert.ok(errors.length > 0, `the statistic fails (${runtime}), so validation must reject it`);
    });
  }

  it('rejects at validation the parameters a statistic would fail on at analysis time; a covariate of a preenrollment period passes', () => {
    assert.match(configErrors('bootstrap_mean', '{ drop_highest = 0.7 }').join('\n'), /drop_highest.*0\.5/);
    assert.match(configErrors('bootstrap_mean', '{ num_samples = 50 }').join('\n'), /at least 100/);
    assert.deepEqual(
      configErrors(
        'linear_model_mean',
        '{ covariate_adjustment = { period = "preenrollment_week", metric = "m" } }',
      ),
      [],
    );
  });
});
