import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dryRunReport } from '../../../src/client/validate-dry-run.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { addDays } from '../../../src/dates.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { dryRunAnalysis, plannedLine } from '../../../src/sql/dry-run.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
import { billedBytes } from '../../../src/warehouse/cost.js';
import {
  MissingTableError,
  WarehouseQueryError,
  WarehouseUnavailableError,
} from '../../../src/warehouse/errors.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { billingDryRuns } from '../../helpers/dry-runs.js';
import { configRepoWith, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * `validate --dry_run` names the config item a rejected dry run is about: the metric on the line
 * BigQuery points at (in SQL where the enrollments query stands in for its table, which moves
 * the lines), the data source of a table BigQuery does not have, not every metric of the scan.
 */
const CONFIG = `[experiment]
segments = []

[metrics]
weekly = ["typo_hours", "halved_hours"]

[metrics.typo_hours]
select_expression = "SUM(active_hours_sum)"
data_source = "clients_dialy"

[metrics.typo_hours.statistics.bootstrap_mean]

[metrics.halved_hours]
select_expression = "SUM(active_hours_sum) // 2"
data_source = "clients_daily"

[metrics.halved_hours.statistics.bootstrap_mean]

[data_sources.clients_dialy]
from_expression = "mozdata.telemetry.clients_dialy"
`;

/** BigQuery as the dry runs meet it: no table clients_dialy, no `//` operator, at the line it is on. */
function rejectingWarehouse(): Warehouse {
  const dryRun = async (sql: string) => {
    if (sql.includes('mozdata.telemetry.clients_dialy'))
      throw new MissingTableError({
        table: 'mozdata:telemetry.clients_dialy',
        warehouseMessage:
          'BigQuery (notFound): Not found: Table mozdata:telemetry.clients_dialy was not found in location US',
      });
    const line = sql.split('\n').findIndex((l) => l.includes('// 2'));
    if (line >= 0)
      throw new WarehouseQueryError({
        warehouseMessage: `BigQuery (invalidQuery): Syntax error: Unexpected "/" at [${line + 1}:26]`,
        permanent: true,
      });
    return { bytesProcessed: 1000, method: 'dry_run' as const };
  };
  // Only the dry run is asked for: the rest of the contract is never called.
  return { dialect: 'bigquery', dryRun } as unknown as Warehouse;
}

/** The demo experiment's analysis with `config` as its own config file. */
async function demoSpecWith(config: string) {
  const repo = configRepoWith({ [`jetstream/${DEMO_SLUG}.toml`]: config });
  const collection = await loadConfigCollection({ repos: [repo] });
  const experiment = (await localExperimentSource(DEMO_EXPERIMENTS_FILE).list()).find(
    (e) => e.slug === DEMO_SLUG,
  );
  assert.ok(experiment);
  return resolveAnalysisSpec(collection, experiment).spec;
}

const dialect = bigqueryDialect({ project: 'bq-analysis', sourceProject: 'moz-fx-data-shared-prod' });

describe('validate --dry_run: which config item a rejected query is about', () => {
  test('the metric on the line BigQuery points at, the data source of a missing table', async () => {
    const spec = await demoSpecWith(CONFIG);
    const entries = await dryRunAnalysis(rejectingWarehouse(), spec, { dataset: 'contrail', dialect });
    const errors = entries.filter((e) => e.error !== null);
    const daily = errors.filter((e) => e.table.includes('_clients_daily_'));
    const dialy = errors.filter((e) => e.table.includes('_clients_dialy_'));
    assert.ok(daily.length > 0 && dialy.length > 0, JSON.stringify(entries, null, 1));
    for (const e of daily) {
      assert.match(
        e.error ?? '',
        /; config: halved_hours \(\S+\.toml: metrics\.halved_hours\.select_expression \(line 14\)\)$/,
      );
    }
    for (const e of dialy) {
      assert.match(
        e.error ?? '',
        /; config: data source clients_dialy \(\S+\.toml: data_sources\.clients_dialy \(line 19\)\)$/,
      );
    }
  });

  test("a missing table is said once, with how many of the analysis's queries it failed, not once per window", async () => {
    const spec = await demoSpecWith(CONFIG);
    const entries = await dryRunAnalysis(rejectingWarehouse(), spec, { dataset: 'contrail', dialect });
    const dialy = entries.filter((e) => e.table.includes('_clients_dialy_'));
    assert.ok(dialy.length > 1, JSON.stringify(entries, null, 1));
    const { lines, invalid } = dryRunReport(entries, { moderate: 1, high: 2 });
    const missing = lines.filter((l) => l.includes('clients_dialy was not found'));
    assert.deepEqual(missing, [
      `  error: in ${dialy.length} queries (${dialy.map((e) => e.table).join(', ')}): ${dialy[0]?.error}`,
    ]);
    // The exit code's count is of queries, every one of them.
    assert.equal(invalid, entries.filter((e) => e.error !== null).length);
    // Each query that passed keeps its own line, with its own cost.
    assert.equal(
      lines.filter((l) => l.startsWith('  ok: ')).length,
      entries.filter((e) => e.error === null).length,
    );
  });

  test('a problem of one query is said with that query, of two or three with each, of more with the first and last', () => {
    const entry = (table: string, error: string | null) => ({
      table,
      kind: 'metrics_scan' as const,
      bytesProcessed: error === null ? 1e6 : null,
      bytesBilled: error === null ? 10 * 2 ** 20 : null,
      error,
    });
    const { lines, invalid, worst } = dryRunReport(
      [
        entry('a_week_1', 'no such column x'),
        entry('b_week_1', 'gone'),
        entry('ok_week_1', null),
        entry('b_overall_1', 'gone'),
        ...['day_1', 'day_2', 'week_1', 'overall_1'].map((w) => entry(`c_${w}`, 'also gone')),
      ],
      { moderate: 1, high: 2 },
    );
    assert.deepEqual(lines, [
      '  error: a_week_1: no such column x',
      '  error: in 2 queries (b_week_1, b_overall_1): gone',
      '  ok: ok_week_1: 10.00 MiB billed (976.56 KiB scanned), about $0.0001 at $6.25/TiB on demand',
      '  error: in 4 queries (c_day_1 … c_overall_1): also gone',
    ]);
    assert.equal(invalid, 7);
    assert.equal(worst, 'ok');
  });

  test('an enrollments query BigQuery rejects without a line is about the custom enrollment_query', async () => {
    const config = `[experiment]
segments = []
enrollment_query = """
SELECT client_id AS analysis_id, 'control' AS branch, MIN(submission_date) AS enrollment_date, COUNT(*) AS num_enrollment_events
FROM mozdata.telemetry.clients_daily WHERE no_such_col > 0 GROUP BY 1, 2
"""
`;
    const spec = await demoSpecWith(config);
    const rejecting = {
      dialect: 'bigquery',
      dryRun: async (sql: string) => {
        if (sql.includes('no_such_col'))
          throw new WarehouseQueryError({
            warehouseMessage: 'BigQuery (invalidQuery): Unrecognized name: no_such_col',
            permanent: true,
          });
        return { bytesProcessed: 1000, method: 'dry_run' as const };
      },
    } as unknown as Warehouse;
    const entries = await dryRunAnalysis(rejecting, spec, { dataset: 'contrail', dialect });
    const enrollments = entries.find((e) => e.kind === 'enrollments');
    assert.match(
      enrollments?.error ?? '',
      /no_such_col; config: \S+\.toml: experiment\.enrollment_query \(line 3\)$/,
      JSON.stringify(entries, null, 1),
    );
    // The scans read that query: not dry-run, each said to wait for it rather than failing with its error again.
    const scans = entries.filter((e) => e.kind === 'metrics_scan');
    assert.ok(scans.length > 0);
    assert.deepEqual(
      scans.filter((e) => e.error !== null || !/reads the enrollments/.test(e.notChecked ?? '')),
      [],
    );
    assert.equal(entries.filter((e) => e.error !== null).length, 1);
  });

  test("an enrollments query's segments: the segment BigQuery points at, the segment data source of a missing table; no line, every segment", async () => {
    const config = `[experiment]
segments = ["heavy", "typo"]

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
`;
    const spec = await demoSpecWith(config);
    const enrollmentsError = async (fail: (sql: string) => never | undefined) => {
      const warehouse = {
        dialect: 'bigquery',
        dryRun: async (sql: string) => {
          fail(sql);
          return { bytesProcessed: 1000, method: 'dry_run' as const };
        },
      } as unknown as Warehouse;
      const entries = await dryRunAnalysis(warehouse, spec, { dataset: 'contrail', dialect });
      return entries.find((e) => e.kind === 'enrollments')?.error ?? '';
    };
    const lineOf = (sql: string, text: string) => sql.split('\n').findIndex((l) => l.includes(text)) + 1;
    const pointed = await enrollmentsError((sql) => {
      const line = lineOf(sql, '// 2');
      if (line > 0)
        throw new WarehouseQueryError({
          warehouseMessage: `BigQuery (invalidQuery): Syntax error: Unexpected "/" at [${line}:30]`,
          permanent: true,
        });
    });
    assert.match(pointed, /; config: heavy \(\S+\.toml: segments\.heavy \(line 4\)\)$/);
    const missing = await enrollmentsError((sql) => {
      const line = lineOf(sql, 'clients_dialy');
      if (line > 0)
        throw new MissingTableError({
          table: 'moz-fx-data-shared-prod:telemetry.clients_dialy',
          warehouseMessage: `BigQuery (notFound): Not found: Table moz-fx-data-shared-prod:telemetry.clients_dialy was not found in location US at [${line}:17]`,
        });
    });
    assert.match(missing, /; config: \S+\.toml: segments\.data_sources\.dialy \(line 16\)$/);
    // Without a line, nothing points at one data source among the segments': each segment is named.
    const anywhere = await enrollmentsError((sql) => {
      if (sql.includes('-- contrail: enrollments'))
        throw new WarehouseQueryError({
          warehouseMessage: 'BigQuery (invalidQuery): too complex',
          permanent: true,
        });
    });
    assert.match(
      anywhere,
      /; config: heavy \(\S+: segments\.heavy \(line 4\)\), typo \(\S+: segments\.typo \(line 8\)\)$/,
    );
  });

  test('the scans are dry-run a few at once, after the enrollments, reported in the order of the analysis; a BigQuery that stops answering stops the rest', async () => {
    const spec = await demoSpecWith(CONFIG);
    const sequential = await dryRunAnalysis(rejectingWarehouse(), spec, { dataset: 'contrail', dialect });
    let inFlight = 0;
    let most = 0;
    const asked: string[] = [];
    const slow = (fail: (sql: string) => boolean) =>
      ({
        dialect: 'bigquery',
        dryRun: async (sql: string) => {
          asked.push(sql);
          most = Math.max(most, ++inFlight);
          try {
            await new Promise((resolve) => setTimeout(resolve, 10));
            if (fail(sql))
              throw new WarehouseUnavailableError({
                warehouseMessage: 'BigQuery gave no answer',
                permanent: false,
              });
            return await rejectingWarehouse().dryRun(sql);
          } finally {
            inFlight--;
          }
        },
      }) as unknown as Warehouse;
    const entries = await dryRunAnalysis(
      slow(() => false),
      spec,
      { dataset: 'contrail', dialect },
    );
    assert.deepEqual(entries, sequential);
    assert.ok(entries.length > 8, `${entries.length} queries`);
    assert.equal(most, 8);
    // The enrollments alone first: whether it passes decides whether the scans are checked.
    assert.match(asked[0] ?? '', /contrail: enrollments/);
    asked.length = 0;
    await assert.rejects(
      dryRunAnalysis(
        slow((sql) => !sql.startsWith('-- contrail: enrollments') && asked.length > 3),
        spec,
        { dataset: 'contrail', dialect },
      ),
      WarehouseUnavailableError,
    );
    assert.ok(
      asked.length < entries.length,
      `${asked.length} of ${entries.length} asked after BigQuery stopped answering`,
    );
  });

  test('lines of the enrollments query written in for its table map to none; lines after it move back', () => {
    const inlined = { table: '`p.d.enrollments`', sql: 'SELECT 1\nFROM x' };
    const planned = 'header\nFROM `p.d.enrollments` e\nSELECT bad';
    // Dry-run SQL: header / FROM ( / SELECT 1 / FROM x / ) e / SELECT bad
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((line) => plannedLine(planned, inlined, line)),
      [1, 2, null, null, null, 3],
    );
    assert.equal(plannedLine(planned, null, 3), 3);
  });

  test("each scan's bytes are what it reads itself: the enrollments query written in for its table is counted once, as its own", async () => {
    const spec = await demoSpecWith('');
    const { warehouse, bill } = billingDryRuns();
    const entries = await dryRunAnalysis(warehouse, spec, { dataset: 'contrail', dialect });
    // The SQL each query runs as, once the enrollments table exists.
    const ran = new Map<string, string>();
    const start = spec.experiment.startDate;
    assert.ok(start);
    for (let i = 0; i < 120; i++) {
      const plan = planAnalysis(spec, addDays(start, i), { dataset: 'contrail', dialect });
      for (const q of [plan.enrollments, ...plan.windows.flatMap((w) => w.metricsScans)])
        if (q && !ran.has(q.destination.table)) ran.set(q.destination.table, q.sql);
    }
    assert.ok(entries.filter((e) => e.kind === 'metrics_scan').length > 1);
    for (const e of entries) {
      const sql = ran.get(e.table);
      assert.ok(sql !== undefined, e.table);
      assert.ok(e.bytesProcessed !== null && e.bytesProcessed > 0, e.table);
      assert.equal(e.bytesProcessed, bill(sql), e.table);
    }
  });
});

describe("a query's bill as validate --dry_run and a preview's estimate count it", () => {
  test('a scan whose dry run names no tables is billed its own minimum, as the preview counts it, not two tables more', async () => {
    const spec = await demoSpecWith('');
    // The enrollments query's dry run (the first asked) names its tables; the scans' do not.
    let asked = 0;
    const warehouse = {
      dialect: 'bigquery',
      dryRun: async () =>
        ++asked === 1
          ? {
              bytesProcessed: 1000,
              method: 'dry_run' as const,
              referencedTables: ['moz-fx-data-shared-prod.telemetry.events'],
            }
          : { bytesProcessed: 50_000, method: 'dry_run' as const },
    } as unknown as Warehouse;
    const entries = await dryRunAnalysis(warehouse, spec, { dataset: 'contrail', dialect });
    const scans = entries.filter((e) => e.kind === 'metrics_scan');
    assert.ok(scans.length > 0 && entries[0]?.kind === 'enrollments');
    assert.equal(entries[0]?.bytesBilled, billedBytes(1000, 1));
    for (const scan of scans)
      assert.equal(scan.bytesBilled, billedBytes(scan.bytesProcessed ?? 0, 0), scan.table);
  });
});
