import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { checkAnalysisSql } from '../../../src/sql/check.js';
import { openScratchDuckDb } from '../../../src/sql/check-scratch.js';
import type { DuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { testExperiment } from '../../helpers/experiment.js';

/**
 * validate's SQL check on DuckDB: every planned query is EXPLAINed (then run, on no rows) in an
 * in-memory warehouse with the source tables' columns; a metric whose SQL cannot compile is named
 * with its config file and line, before any analysis runs.
 */
const REPO = join('test', 'fixtures', 'config', 'repo');
const MAP = 'STRUCT(key VARCHAR, value VARCHAR)[]';
let collection: ConfigCollection;
let warehouse: DuckDbWarehouse;

before(async () => {
  collection = await loadConfigCollection({ repos: [REPO] });
  ({ warehouse } = await openScratchDuckDb(null));
  await warehouse.execute('CREATE SCHEMA mozdata.telemetry');
  await warehouse.execute(
    `CREATE TABLE mozdata.telemetry.clients_daily (client_id VARCHAR, profile_group_id VARCHAR, submission_date DATE,
       sample_id INTEGER, active_hours_sum DOUBLE, scalar_parent_browser_engagement_total_uri_count_sum BIGINT,
       experiments STRUCT(key VARCHAR, value STRUCT(branch VARCHAR))[])`,
  );
  await warehouse.execute(
    `CREATE TABLE mozdata.telemetry.events (client_id VARCHAR, profile_group_id VARCHAR, submission_date DATE,
       sample_id INTEGER, event_category VARCHAR, event_method VARCHAR, event_object VARCHAR, event_string_value VARCHAR,
       event_map_values ${MAP}, experiments STRUCT(key VARCHAR, value STRUCT(branch VARCHAR))[], slug VARCHAR, event VARCHAR)`,
  );
});
after(() => warehouse.close());

/**
 * A config of metrics, each `[metrics.<name>]` with its select expression over a data source and
 * a bootstrap, listed under `periods`; and data sources by their from_expression.
 */
function config(
  metrics: Record<string, [select: string, source: string]>,
  sources: Record<string, string> = {},
  periods: string[] = ['weekly'],
): string {
  const names = JSON.stringify(Object.keys(metrics)).replaceAll(',', ', ');
  return [
    '[metrics]',
    ...periods.map((period) => `${period} = ${names}`),
    ...Object.entries(metrics).map(
      ([name, [select, source]]) =>
        `\n[metrics.${name}]\nselect_expression = ${JSON.stringify(select)}\ndata_source = "${source}"\nstatistics = { bootstrap_mean = {} }`,
    ),
    ...Object.entries(sources).map(
      ([name, from]) => `\n[data_sources.${name}]\nfrom_expression = ${JSON.stringify(from)}`,
    ),
    '',
  ].join('\n');
}

/** Segments `name`, which calls a UDF DuckDB lacks, and `us`, which it can run. */
function udfSegment(name: string): string {
  return `[experiment]
segments = ["${name}", "us"]

[segments.${name}]
select_expression = "COALESCE(LOGICAL_OR(\`moz-fx-data-shared-prod\`.udf.normalize_search_engine(event_string_value) = 'Google'), FALSE)"
data_source = "events_seg"

[segments.us]
select_expression = "COALESCE(LOGICAL_OR(event_string_value = 'US'), FALSE)"
data_source = "events_seg"

[segments.data_sources.events_seg]
from_expression = "mozdata.telemetry.events"
`;
}

function spec(toml: string) {
  return resolveAnalysisSpec(collection, testExperiment({ slug: 'sql-check', endDate: '2024-02-20' }), {
    configFile: toml,
  }).spec;
}

describe('SQL check', () => {
  it('accepts SQL that compiles, for every period with metrics', async () => {
    const result = await checkAnalysisSql(warehouse, spec('[metrics]\ndaily = ["uri_count"]\n'), {
      dataset: 'contrail_validate',
    });
    assert.deepEqual(result, { errors: [], warnings: [], unchecked: [] });
  });

  it('names the metric, its config file and line when its SQL cannot compile', async () => {
    const toml = config({ bad_column: ['SUM(no_such_column)', 'clients_daily'] });
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.equal(result.errors.length, 1, JSON.stringify(result.errors));
    const [error] = result.errors;
    assert.equal(error?.line, 5);
    assert.equal(error?.keyPath, 'metrics.bad_column.select_expression');
    assert.match(error?.message ?? '', /metric 'bad_column' does not compile on duckdb: .*no_such_column/);
  });

  it("tries each metric alone in the warehouse's SQL: a BigQuery string in double quotes is not blamed", async () => {
    const toml = config({
      quoted: ['COUNTIF(client_id = "abc")', 'clients_daily'],
      broken: ['SUM(no_such_column)', 'clients_daily'],
    });
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.deepEqual(
      result.errors.map((e) => e.keyPath),
      ['metrics.broken.select_expression'],
      JSON.stringify(result.errors),
    );
  });

  it('names a metric that fails in every period once, not once per period', async () => {
    const toml = config({ bad_everywhere: ['SUM(no_such_column)', 'clients_daily'] }, {}, [
      'daily',
      'weekly',
      'overall',
    ]);
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.deepEqual(
      result.errors.map((e) => [e.line, e.keyPath]),
      [[7, 'metrics.bad_everywhere.select_expression']],
    );
  });

  it("SQL that does not compile on contrail's synthetic sample is a warning, not an error: the real table may have the column", async () => {
    const toml = config({ real_column: ['SUM(pings_aggregated_by_this_row)', 'clients_daily'] });
    const onSample = await checkAnalysisSql(warehouse, spec(toml), {
      dataset: 'contrail_validate',
      synthetic: ['mozdata.telemetry.clients_daily'],
    });
    assert.deepEqual(onSample.errors, []);
    assert.deepEqual(
      onSample.warnings.map((w) => w.keyPath),
      ['metrics.real_column.select_expression'],
    );
    assert.match(
      onSample.warnings[0]?.message ?? '',
      /pings_aggregated_by_this_row.*synthetic sample.*validate --dry_run/,
    );
    // The same table holding real telemetry: an error.
    const onReal = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.deepEqual(
      onReal.errors.map((e) => e.keyPath),
      ['metrics.real_column.select_expression'],
    );
  });

  it('SQL that is invalid in any dialect is an error even over the synthetic sample, at the config item it is written in', async () => {
    const synthetic = { dataset: 'contrail_validate', synthetic: ['mozdata.telemetry.clients_daily'] };
    const cases: [select: string, fault: RegExp][] = [
      ['SUM((active_hours_sum)', /^'\(' is never closed: "SUM\(\(active_hours_sum\)"$/],
      ['SUM(active_hours_sum))', /^'\)' closes no bracket: "SUM\(active_hours_sum\)\)"$/],
      ['IF(active_hours_sum > 0, 1, 0]', /^'\(' is closed by '\]': "IF\(active_hours_sum > 0, 1, 0\]"$/],
      [
        'CASE WHEN active_hours_sum > 0 THEN 1',
        /^it ends before the expression is complete \(DuckDB: syntax error at end of input\)$/,
      ],
      ["COUNTIF(event_category = 'a)", /^unterminated string literal starting at: 'a\)$/],
    ];
    for (const [select, fault] of cases) {
      const result = await checkAnalysisSql(
        warehouse,
        spec(config({ unfinished: [select, 'clients_daily'] })),
        synthetic,
      );
      assert.deepEqual(result.warnings, [], select);
      assert.deepEqual(
        result.errors.map((e) => [e.line, e.keyPath]),
        [[5, 'metrics.unfinished.select_expression']],
        select,
      );
      const message = result.errors[0]?.message ?? '';
      assert.match(message, /^the SQL of metric 'unfinished' is not valid SQL: /);
      assert.match(message.replace(/^.*?is not valid SQL: /, ''), fault);
    }
    // A data source's FROM, and with no telemetry to run anything on.
    const from = config(
      { counted: ['COUNT(*)', 'sampled'] },
      { sampled: '(SELECT * FROM mozdata.telemetry.clients_daily WHERE (sample_id < 10)' },
    );
    const planned = await checkAnalysisSql(warehouse, spec(from), {
      dataset: 'contrail_validate',
      planOnly: true,
    });
    assert.deepEqual(
      planned.errors.map((e) => [e.keyPath, e.message]),
      [
        [
          'data_sources.sampled',
          `the SQL of data source 'sampled' is not valid SQL: '(' is never closed: "(SELECT * FROM mozdata.telemetry.clients…"`,
        ],
      ],
    );
  });

  it("BigQuery syntax DuckDB's parser does not know stays a warning over the synthetic sample", async () => {
    const toml = config({
      typed_array: ['MAX(ARRAY_LENGTH(CAST([active_hours_sum] AS ARRAY<FLOAT64>)))', 'clients_daily'],
      // IGNORE NULLS is translated (to a FILTER); SELECT AS STRUCT is not.
      as_struct: [
        'ARRAY_LENGTH(ARRAY_AGG((SELECT AS STRUCT active_hours_sum AS a) IGNORE NULLS))',
        'clients_daily',
      ],
      // Translated: array subscripts, ARRAY_AGG(… LIMIT n) and UNNEST … WITH OFFSET.
      subscript: [
        'ARRAY_AGG(active_hours_sum IGNORE NULLS ORDER BY submission_date LIMIT 1)[SAFE_OFFSET(0)]',
        'clients_daily',
      ],
      with_offset: ['MAX((SELECT MAX(o) FROM UNNEST([active_hours_sum]) WITH OFFSET AS o))', 'clients_daily'],
    });
    const result = await checkAnalysisSql(warehouse, spec(toml), {
      dataset: 'contrail_validate',
      synthetic: ['mozdata.telemetry.clients_daily'],
    });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(
      result.warnings.map((w) => w.keyPath),
      ['metrics.typed_array.select_expression', 'metrics.as_struct.select_expression'],
    );
  });

  it('BigQuery syntax DuckDB lacks is a warning naming the construct on real tables too, not a config error', async () => {
    const toml = config({
      windowed: [
        'MAX(ARRAY_AGG(active_hours_sum) OVER (ORDER BY submission_date)[SAFE_OFFSET(0)])',
        'clients_daily',
      ],
      as_struct: ['MAX((SELECT AS STRUCT active_hours_sum AS a).a)', 'clients_daily'],
      subscript: ['MAX([active_hours_sum][SAFE_OFFSET(0)])', 'clients_daily'],
      limited: ['ARRAY_LENGTH(ARRAY_AGG(active_hours_sum LIMIT 1))', 'clients_daily'],
    });
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(
      result.warnings.map((w) => w.keyPath),
      ['metrics.windowed.select_expression', 'metrics.as_struct.select_expression'],
    );
    const [windowed, asStruct] = result.warnings.map((w) => w.message);
    assert.match(windowed ?? '', /^the SQL of metric 'windowed' does not compile on duckdb: /);
    assert.match(
      windowed ?? '',
      /\(BigQuery's array subscripts \[OFFSET\(i\)\] .*, which DuckDB lacks: the config is BigQuery SQL the embedded warehouse cannot check, not a fault of the config; `validate --dry_run` checks it on BigQuery\)$/,
    );
    assert.match(asStruct ?? '', /^the SQL of metric 'as_struct' does not compile on duckdb: /);
    assert.match(asStruct ?? '', /\(BigQuery's SELECT AS STRUCT \/ SELECT AS VALUE, which DuckDB lacks: /);
  });

  it('a UDF or BigQuery function the embedded warehouse lacks is a warning naming it, on real tables too; a misspelt function stays an error', async () => {
    const metrics = config({
      search_engine: [
        "COUNTIF(`moz-fx-data-shared-prod`.udf.normalize_search_engine(event_string_value) = 'Google')",
        'events',
      ],
      merged: ['COUNT(mozfun.hist.merge(ARRAY_AGG(event_string_value)))', 'events'],
      to_json: ["COUNTIF(TO_JSON_STRING(event_string_value) = 'a')", 'events'],
      misspelt: ['SUM(sqrtt(LENGTH(event_string_value)))', 'events'],
    });
    // A segment fails in the enrollments query, before any metric is checked.
    const segments = `${config({ hours: ['SUM(active_hours_sum)', 'clients_daily'] })}
${udfSegment('google_default')}`;
    const because = (what: string) =>
      new RegExp(
        `\\(BigQuery's ${what}, which DuckDB lacks: the config is BigQuery SQL the embedded warehouse cannot check, not a fault of the config; \`validate --dry_run\` checks it on BigQuery\\)$`,
      );
    for (const synthetic of [[], ['mozdata.telemetry.events']]) {
      const options = { dataset: 'contrail_validate', synthetic };
      const result = await checkAnalysisSql(warehouse, spec(metrics), options);
      // A function nobody has is the config's fault on real tables (a warning over the sample).
      const misspelt = synthetic.length === 0 ? result.errors : result.warnings.slice(3);
      assert.deepEqual(
        misspelt.map((e) => [e.keyPath, /sqrtt/.test(e.message)]),
        [['metrics.misspelt.select_expression', true]],
      );
      if (synthetic.length === 0) assert.equal(result.warnings.length, 3);
      else assert.deepEqual(result.errors, []);
      const warnings = Object.fromEntries(result.warnings.slice(0, 3).map((w) => [w.keyPath, w.message]));
      assert.deepEqual(Object.keys(warnings).sort(), [
        'metrics.merged.select_expression',
        'metrics.search_engine.select_expression',
        'metrics.to_json.select_expression',
      ]);
      assert.match(
        warnings['metrics.search_engine.select_expression'] ?? '',
        because('UDF udf\\.normalize_search_engine'),
      );
      assert.match(warnings['metrics.merged.select_expression'] ?? '', because('UDF mozfun\\.hist\\.merge'));
      assert.match(warnings['metrics.to_json.select_expression'] ?? '', because('function TO_JSON_STRING'));
      // Only the segment that calls the UDF is named, not every segment of the enrollments query.
      const bySegment = await checkAnalysisSql(warehouse, spec(segments), options);
      assert.deepEqual(bySegment.errors, []);
      assert.deepEqual(
        bySegment.warnings.map((w) => w.keyPath),
        ['segments.google_default'],
      );
      assert.match(bySegment.warnings[0]?.message ?? '', because('UDF udf\\.normalize_search_engine'));
    }
  });

  it('a segment that does not compile does not stop the metrics from being checked', async () => {
    const toml = `${config({ broken: ['SUM(no_such_column)', 'clients_daily'], hours: ['SUM(active_hours_sum)', 'clients_daily'] })}
${udfSegment('broken_segment')}`;
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.deepEqual(
      result.warnings.map((w) => w.keyPath),
      ['segments.broken_segment'],
    );
    assert.deepEqual(
      result.errors.map((e) => [e.keyPath, /no_such_column/.test(e.message)]),
      [['metrics.broken.select_expression', true]],
    );
    assert.deepEqual(result.unchecked, []);
  });

  it('a table named by its BigQuery project is not checked, and no metric is blamed for it', async () => {
    const toml = config(
      { projected: ['COUNT(*)', 'derived'] },
      { derived: '(SELECT * FROM moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6)' },
    );
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.deepEqual(result.errors, []);
    // Read as BigQuery reads it, the shared project's table is the embedded warehouse's mozdata one, which it lacks.
    assert.deepEqual(result.unchecked, ['mozdata.telemetry_derived.clients_daily_v6']);
    // Quoted as BigQuery quotes it, the project is a catalog DuckDB does not have: the table is missing.
    const quoted = await checkAnalysisSql(
      warehouse,
      spec(toml.replace('moz-fx-data-shared-prod.', '`moz-fx-data-shared-prod`.')),
      { dataset: 'contrail_validate' },
    );
    assert.deepEqual([quoted.errors, quoted.unchecked], [[], ['moz-fx-data-shared-prod']]);
  });

  it('says which tables it could not check instead of failing on them', async () => {
    const toml = config({ elsewhere: ['COUNT(*)', 'other'] }, { other: 'mozdata.telemetry.not_here' });
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.deepEqual(result.errors, []);
    // Named as the config names it, catalog and all.
    assert.deepEqual(result.unchecked, ['mozdata.telemetry.not_here']);
  });

  it("names the author's table it could not read, not contrail's own tables that could then not be written", async () => {
    // A dataset of its own: the other tests' enrollments tables are in contrail_validate.
    const toml = `[experiment]
enrollment_query = "SELECT client_id AS analysis_id, 'control' AS branch FROM mozdata.telemetry.not_here"

${config({ counted: ['COUNT(*)', 'clients_daily'] }, {}, ['daily', 'weekly', 'overall'])}`;
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate_unread' });
    assert.deepEqual(result, { errors: [], warnings: [], unchecked: ['mozdata.telemetry.not_here'] });
  });

  it('blames only the metric whose SQL fails, not one over a table the warehouse lacks', async () => {
    // DuckDB parses the whole query before it looks for its tables: the parse error comes first.
    const toml = config(
      { unparsable: ['SUM(1 IGNORE NULLS)', 'other'], elsewhere: ['COUNT(*)', 'other'] },
      { other: 'mozdata.telemetry.not_here' },
    );
    const result = await checkAnalysisSql(warehouse, spec(toml), { dataset: 'contrail_validate' });
    assert.deepEqual(
      result.errors.map((e) => e.keyPath),
      ['metrics.unparsable.select_expression'],
      JSON.stringify(result.errors),
    );
  });

  it("checks the statistics that adjust for a pre-enrollment covariate, never naming contrail's own table as not checked", async () => {
    const adjusted = (preenrollment: string[]) => `[metrics]
weekly = ["active_hours"]
preenrollment_weekly = ${JSON.stringify(preenrollment)}

[metrics.active_hours.statistics.linear_model_mean]
covariate_adjustment = { period = "preenrollment_week" }

[metrics.broken_before]
select_expression = "SUM(no_such_column)"
data_source = "clients_daily"
statistics = { bootstrap_mean = {} }
`;
    const result = await checkAnalysisSql(warehouse, spec(adjusted(['active_hours'])), {
      dataset: 'contrail_validate',
    });
    assert.deepEqual(result, { errors: [], warnings: [], unchecked: [] });
    // The covariate's table, when its own period does not compile, gives way to the run's fallback
    // (statistics without the covariate), which is checked in its place.
    const broken = await checkAnalysisSql(warehouse, spec(adjusted(['active_hours', 'broken_before'])), {
      dataset: 'contrail_validate_fallback',
    });
    assert.deepEqual(
      [broken.errors.map((e) => e.keyPath), broken.unchecked],
      [['metrics.broken_before.select_expression'], []],
    );
  });

  it('with no telemetry at all, plans every period but runs nothing', async () => {
    const unparsable = config({ unparsable: ['SUM(1 IGNORE NULLS)', 'clients_daily'] });
    const planned = await checkAnalysisSql(warehouse, spec(unparsable), {
      dataset: 'contrail_validate',
      planOnly: true,
    });
    assert.deepEqual(planned, { errors: [], warnings: [], unchecked: [] });
    // What planning alone finds is still found: a query over the other unit's ids.
    const refused = await checkAnalysisSql(
      warehouse,
      spec(`[experiment]
analysis_unit = "client_id"
enrollment_query = "SELECT profile_group_id AS analysis_id, 'control' AS branch FROM mozdata.telemetry.events"

${unparsable}`),
      { dataset: 'contrail_validate', planOnly: true },
    );
    assert.match(refused.errors[0]?.message ?? '', /enrollment_query mentions profile_group_id/);
  });
  it('a custom enrollment query planning refuses is named at its key and line', async () => {
    const result = await checkAnalysisSql(
      warehouse,
      spec(`[experiment]
enrollment_query = """
SELECT client_id, 'control' AS branch, submission_date AS enrollment_date, 1 AS num_enrollment_events
FROM mozdata.telemetry.events
"""

${config({ hours: ['SUM(active_hours_sum)', 'clients_daily'] })}`),
      { dataset: 'contrail_validate', planOnly: true },
    );
    assert.deepEqual(
      result.errors.map((e) => [e.file, e.line, e.keyPath]),
      [['sql-check.toml (custom config)', 2, 'experiment.enrollment_query']],
    );
    assert.match(
      result.errors[0]?.message ?? '',
      /^enrollment_query selects no analysis_id column: .*; select client_id AS analysis_id$/,
    );
  });
});
