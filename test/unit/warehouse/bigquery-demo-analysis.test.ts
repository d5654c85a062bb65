import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import type { PlannedQuery } from '../../../src/sql/plan/types.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { runPlannedQuery } from '../../../src/sql/run.js';
import type { BigQueryWarehouse } from '../../../src/warehouse/bigquery.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { type BigQueryEmulator, startBigQueryEmulator } from '../../helpers/bigquery-emulator.js';
import { copySampleToBigQuery } from '../../helpers/bigquery-sample.js';
import { assertOnlyLoopback } from '../../helpers/loopback.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE, sampleWarehouse } from '../../helpers/sample.js';

/**
 * The demo experiment's analysis in BigQuery SQL on the emulator equals the same analysis in
 * DuckDB SQL on the embedded warehouse: the same synthetic telemetry in both, every query of
 * the plan (enrollments, metrics scans and per-basis tables, statistic inputs) run in order in
 * each, and every table compared row by row; a query whose SQL repeats an earlier window's but
 * for its numbers is compared once. The statistics are computed from the statistic
 * inputs by the same TypeScript on either warehouse, so equal inputs mean equal results.
 */
const DATASET = 'contrail';
// Pre-enrollment + day 2; day 7 + week 1; day 21 + week 3 + overall (as the DuckDB demo test).
const DATES = ['2026-03-10', '2026-03-15', '2026-03-29'] as const;
const CLIENTS = 300;

let emulator: BigQueryEmulator;
let bigquery: BigQueryWarehouse;
let duck: Warehouse;
let spec: AnalysisSpec;

before(async () => {
  [emulator, duck] = await Promise.all([startBigQueryEmulator(), sampleWarehouse(CLIENTS)]);
  bigquery = emulator.warehouse();
  await copySampleToBigQuery(duck, emulator);
  const collection = await loadConfigCollection({ repos: [DEMO_CONFIG_REPO] });
  const experiments = await localExperimentSource(DEMO_EXPERIMENTS_FILE, {
    now: () => new Date('2026-06-01T00:00:00Z'),
  }).list();
  const experiment = experiments.find((e) => e.slug === DEMO_SLUG);
  assert.ok(experiment);
  spec = resolveAnalysisSpec(collection, experiment).spec;
  await duck.createDataset(DATASET);
  await bigquery.createDataset(DATASET);
});

after(async () => {
  await duck?.close();
  await emulator?.stop();
  assertOnlyLoopback();
});

/** Every query of the analysis on each date, in run order (enrollments once). */
function plan(warehouse: 'duckdb' | 'bigquery'): PlannedQuery[] {
  const dialect = warehouse === 'duckdb' ? duckdbDialect() : bigquery.sqlDialect;
  const queries: PlannedQuery[] = [];
  for (const date of DATES) {
    const day = planAnalysis(spec, date, { dataset: DATASET, dialect });
    if (day.enrollments && queries.length === 0) queries.push(day.enrollments);
    queries.push(...day.metrics, ...day.statisticInputs);
  }
  return queries;
}

/**
 * A query's BigQuery SQL with every number (dates, window bounds, table suffixes) replaced: the
 * SQL of another window of the same period (day 7 and day 21, most of week 1 and week 3). Such
 * a query is compared once: the emulator spends a CPU-second or more translating each query,
 * and a second window of the same SQL is the same translation on other dates.
 */
const shape = (query: PlannedQuery) => query.sql.replace(/\d+/g, '#');

/** Rows as comparable text: keys sorted, floats to 9 significant digits, rows sorted. */
function canonical(rows: Record<string, unknown>[]): string[] {
  const value = (v: unknown): unknown =>
    typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v;
  return rows
    .map((row) =>
      JSON.stringify(
        Object.keys(row)
          .sort()
          .map((k) => [k, value(row[k])]),
      ),
    )
    .sort();
}

/**
 * Value histograms with bins merged when their values agree to 9 significant digits: two
 * engines sum a client's float metric in different orders, so equal sums can differ in the
 * last bits and land in two bins of one count each instead of one bin of two.
 */
function mergedBins(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const round = (v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v);
  const bins = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const key = JSON.stringify([
      row.metric,
      row.kind,
      row.covariate_period,
      row.segment,
      row.branch,
      round(row.y),
      round(row.x),
    ]);
    const bin = bins.get(key);
    if (bin) bin.count = Number(bin.count) + Number(row.count);
    else bins.set(key, { ...row, y: round(row.y), x: round(row.x), count: Number(row.count) });
  }
  return [...bins.values()];
}

describe('the demo analysis on the BigQuery emulator', () => {
  test('every table of the plan equals the DuckDB result, row for row', async () => {
    const onDuck = plan('duckdb');
    const onBigQuery = plan('bigquery');
    assert.deepEqual(
      onBigQuery.map((q) => q.destination.table),
      onDuck.map((q) => q.destination.table),
    );
    const differences: string[] = [];
    const compared = new Set<string>();
    for (const [i, query] of onBigQuery.entries()) {
      if (compared.has(shape(query))) continue;
      compared.add(shape(query));
      const duckQuery = onDuck[i] as PlannedQuery;
      await runPlannedQuery(duck, duckQuery);
      const result = await runPlannedQuery(bigquery, query);
      const table = query.destination.table;
      const histogram =
        query.kind === 'statistic_inputs' ? mergedBins : (rows: Record<string, unknown>[]) => rows;
      const duckRows = await duck.readRows(duckQuery.destination);
      const expected = canonical(histogram(duckRows));
      const actual = canonical(histogram(await bigquery.readRows(query.destination)));
      if (query.kind !== 'statistic_inputs' && result.rows !== duckRows.length) {
        differences.push(`${table}: ${result.rows} rows, DuckDB ${duckRows.length}`);
      }
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        const missing = expected.filter((r) => !actual.includes(r)).slice(0, 3);
        const extra = actual.filter((r) => !expected.includes(r)).slice(0, 3);
        differences.push(`${table}: DuckDB only ${missing.join(' ')}; BigQuery only ${extra.join(' ')}`);
      }
    }
    assert.deepEqual(differences, []);
    assert.ok(onBigQuery.length > 20, `${onBigQuery.length} queries`);
    // Every period and kind of query was compared: the windows skipped repeat one of them.
    assert.ok(compared.size > 20, `${compared.size} queries compared`);
    // Each table describes itself: what it computes and from which config lines.
    const scan = onBigQuery.find((q) => q.kind === 'metrics_scan') as PlannedQuery;
    const [metadata] = await bigquery.client.dataset(DATASET).table(scan.destination.table).getMetadata();
    assert.match(
      String(metadata.description),
      /^contrail: metrics per client[\s\S]*experiment: contrail-demo-sidebar/,
    );
  });
});
