import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { dryRunAnalysis } from '../../../src/sql/dry-run.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import type { PlannedQuery } from '../../../src/sql/plan/types.js';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
import { PlannedQueryError, querySubjects, runPlannedQuery } from '../../../src/sql/run.js';
import { MissingTableError, WarehouseQueryError } from '../../../src/warehouse/errors.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { configRepoWith, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * A failed run of the enrollments query names what the warehouse pointed at, as the preview's
 * estimate and validate --dry_run do: the segment whose expression it rejected, the segment
 * data source or exposure signal data source whose table it lacks; every segment only when it
 * gave no line. The exposure signal's data source is named at its FROM in the metrics scans too.
 */
const CONFIG = `[experiment]
segments = ["heavy", "typo"]

[experiment.exposure_signal]
name = "saw_it"
friendly_name = "Saw it"
description = "Clients who saw it"
data_source = "exposures_dialy"
select_expression = "TRUE"

[segments.heavy]
data_source = "week_before"
select_expression = "SUM(active_hours_sum) // 2 > 5"

[segments.typo]
data_source = "dialy"
select_expression = "COUNT(*) > 0"

[segments.data_sources.week_before]
from_expression = "mozdata.telemetry.clients_daily"
window_start = -7

[segments.data_sources.dialy]
from_expression = "mozdata.telemetry.clients_dialy"

[data_sources.exposures_dialy]
from_expression = "mozdata.telemetry.exposures_dialy"

[metrics]
weekly = ["hours"]

[metrics.hours]
select_expression = "SUM(active_hours_sum)"
data_source = "clients_daily"
analysis_bases = ["enrollments", "exposures"]

[metrics.hours.statistics.bootstrap_mean]
`;

const dialect = bigqueryDialect({ project: 'bq-analysis', sourceProject: 'moz-fx-data-shared-prod' });

async function demoSpec() {
  const repo = configRepoWith({ [`jetstream/${DEMO_SLUG}.toml`]: CONFIG });
  const collection = await loadConfigCollection({ repos: [repo] });
  const experiment = (await localExperimentSource(DEMO_EXPERIMENTS_FILE).list()).find(
    (e) => e.slug === DEMO_SLUG,
  );
  assert.ok(experiment);
  return resolveAnalysisSpec(collection, experiment).spec;
}

const lineOf = (sql: string, text: string) => sql.split('\n').findIndex((l) => l.includes(text)) + 1;

/** BigQuery rejecting a query at the line holding `text` (none: without a line). */
function rejection(sql: string, text: string | null): Error {
  if (text === null)
    return new WarehouseQueryError({
      warehouseMessage: 'BigQuery (invalidQuery): too complex',
      permanent: true,
    });
  const line = lineOf(sql, text);
  assert.ok(line > 0, `${text} in the SQL`);
  if (text.includes('_dialy'))
    return new MissingTableError({
      table: `moz-fx-data-shared-prod:${text}`,
      warehouseMessage: `BigQuery (notFound): Not found: Table moz-fx-data-shared-prod:${text} was not found in location US at [${line}:17]`,
    });
  return new WarehouseQueryError({
    warehouseMessage: `BigQuery (invalidQuery): Syntax error: Unexpected "/" at [${line}:30]`,
    permanent: true,
  });
}

/** The PlannedQueryError of running `planned` on a warehouse that rejects it at the line holding `text`. */
async function runError(planned: PlannedQuery, text: string | null): Promise<PlannedQueryError> {
  const warehouse = {
    dialect: 'bigquery',
    sqlDialect: dialect,
    tableExists: async () => true,
    runToTable: async ({ sql }: { sql: string }) => {
      throw rejection(sql, text);
    },
  } as unknown as Warehouse;
  const error = await runPlannedQuery(warehouse, planned).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof PlannedQueryError, String(error));
  return error;
}

describe('a failed enrollments query names what the warehouse points at', () => {
  test("the segment, the segment data source, the exposure signal's data source; without a line, every segment", async () => {
    const spec = await demoSpec();
    const plan = planAnalysis(spec, '2026-03-15', { dataset: 'contrail', dialect });
    assert.ok(plan.enrollments);
    const enrollments = plan.enrollments;

    const segment = await runError(enrollments, '// 2');
    assert.match(
      segment.message,
      /; the config item the warehouse points at: heavy \(\S+\.toml: segments\.heavy \(line \d+\)\); warehouse said: /,
    );
    assert.doesNotMatch(segment.message, /typo|exposure_date/);

    const segmentSource = await runError(enrollments, 'telemetry.clients_dialy');
    assert.match(
      segmentSource.message,
      /; the config item the warehouse points at: \S+\.toml: segments\.data_sources\.dialy \(line \d+\); warehouse said: /,
    );
    assert.doesNotMatch(segmentSource.message, /heavy|segments\.typo|exposure_date/);

    // The exposure signal's data source, not [experiment.exposure_signal]: its table is what is missing.
    const exposureSource = await runError(enrollments, 'telemetry.exposures_dialy');
    assert.match(
      exposureSource.message,
      /; the config item the warehouse points at: \S+\.toml: data_sources\.exposures_dialy \(line \d+\); warehouse said: /,
    );
    assert.deepEqual(
      exposureSource.details.subjects,
      querySubjects(
        enrollments,
        lineOf(enrollments.sql, 'telemetry.exposures_dialy'),
        exposureSource.warehouseMessage,
      ),
    );
    assert.deepEqual(
      (exposureSource.details.subjects as { key: string }[]).map((s) => s.key),
      ['data_sources.exposures_dialy'],
    );

    // No line: nothing points at one item, so each is named.
    const anywhere = await runError(enrollments, null);
    assert.match(
      anywhere.message,
      /; config columns \(segments, exposure signal\): heavy \(\S+: segments\.heavy \(line \d+\)\), typo \(\S+: segments\.typo \(line \d+\)\), exposure_date \(\S+: experiment\.exposure_signal \(line \d+\)\); /,
    );
  });

  test("a metrics scan of the exposures basis: a missing exposure table is the signal's data source, not the scan's", async () => {
    const spec = await demoSpec();
    const plan = planAnalysis(spec, '2026-03-15', { dataset: 'contrail', dialect });
    const scan = plan.windows.flatMap((w) => w.metricsScans).find((q) => q.sql.includes('exposures_dialy'));
    assert.ok(scan, 'a scan reads the exposure signal');
    const error = await runError(scan, 'telemetry.exposures_dialy');
    assert.deepEqual(
      (error.details.subjects as { key: string; metric?: string | null }[]).map((s) => [s.key, s.metric]),
      [['data_sources.exposures_dialy', null]],
    );
    assert.match(
      error.message,
      /; the config item the warehouse points at: \S+\.toml: data_sources\.exposures_dialy \(line \d+\); /,
    );
  });

  test('validate --dry_run names the same items', async () => {
    const spec = await demoSpec();
    const enrollmentsError = async (text: string) => {
      const warehouse = {
        dialect: 'bigquery',
        dryRun: async (sql: string) => {
          if (sql.includes('-- contrail: enrollments') && lineOf(sql, text) > 0) throw rejection(sql, text);
          return { bytesProcessed: 1000, method: 'dry_run' as const };
        },
      } as unknown as Warehouse;
      const entries = await dryRunAnalysis(warehouse, spec, { dataset: 'contrail', dialect });
      return entries.find((e) => e.kind === 'enrollments')?.error ?? '';
    };
    assert.match(
      await enrollmentsError('telemetry.exposures_dialy'),
      /; config: \S+\.toml: data_sources\.exposures_dialy \(line \d+\)$/,
    );
  });
});
