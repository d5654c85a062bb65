import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { estimatePreviewCost } from '../../../src/analysis/cost.js';
import {
  checkRejected,
  describeEstimate,
  PreviewQueriesRejectedError,
} from '../../../src/analysis/cost-report.js';
import { planDate } from '../../../src/analysis/plan-day.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { addDays } from '../../../src/dates.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { PUBLISHED_NAMES } from '../../../src/sql/plan/types.js';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
import { describeCost, formatUsd } from '../../../src/warehouse/cost.js';
import { WarehouseUnavailableError } from '../../../src/warehouse/errors.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { billingDryRuns } from '../../helpers/dry-runs.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * A preview's estimate on BigQuery is a dry run per query: asked a few at once, reported in the
 * order of the preview, and stopped once one shows the estimate cannot be made.
 */
const dialect = bigqueryDialect({ project: 'bq-analysis', sourceProject: 'moz-fx-data-shared-prod' });
// Three weeks of the demo: a day window each day, weekly windows, and more scans than run at once.
const DATES = Array.from({ length: 21 }, (_, i) => addDays('2026-03-09', i));
let spec: AnalysisSpec;

before(async () => {
  const collection = await loadConfigCollection({ repos: [DEMO_CONFIG_REPO] });
  const experiment = (await localExperimentSource(DEMO_EXPERIMENTS_FILE).list()).find(
    (e) => e.slug === DEMO_SLUG,
  );
  assert.ok(experiment);
  spec = resolveAnalysisSpec(collection, experiment).spec;
});

/** BigQuery's dry runs, each taking a moment: bytes from the SQL's length, or no answer at all. */
function dryRuns(options: { answers?: (asked: number) => boolean } = {}) {
  const state = { inFlight: 0, most: 0, asked: 0 };
  const warehouse = {
    dialect: 'bigquery',
    dryRun: async (sql: string) => {
      state.asked++;
      state.most = Math.max(state.most, ++state.inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (options.answers && !options.answers(state.asked))
          throw new WarehouseUnavailableError({
            warehouseMessage: 'BigQuery gave no answer',
            permanent: false,
          });
        return { bytesProcessed: sql.length, method: 'dry_run' as const };
      } finally {
        state.inFlight--;
      }
    },
  } as unknown as Warehouse;
  return { warehouse, state };
}

const estimate = (warehouse: Warehouse) =>
  estimatePreviewCost(
    warehouse,
    { spec, dataset: 'tmp', dialect, periods: null },
    { dates: DATES, generatePopulation: false, sampleSize: 1 },
  );

describe("a preview's estimate on BigQuery", () => {
  test('dry runs a few at once, every query once, in the order of the preview', async () => {
    const { warehouse, state } = dryRuns();
    const result = await estimate(warehouse);
    assert.ok(result.queries.length > 8, `${result.queries.length} queries`);
    assert.equal(state.asked, result.queries.length);
    assert.equal(state.most, 8);
    assert.equal(result.queries[0]?.kind, 'enrollments');
    // The preview's order: by date, and each query where the plan has it.
    const dates = result.queries.map((q) => q.date);
    assert.deepEqual(dates, [...dates].sort());
    assert.equal(
      result.totalBytes,
      result.queries.reduce((sum, q) => sum + (q.bytes ?? 0), 0),
    );
  });

  test('a BigQuery that stops answering ends the estimate without asking for the rest', async () => {
    const all = (await estimate(dryRuns().warehouse)).queries.length;
    const { warehouse, state } = dryRuns({ answers: (asked) => asked <= 3 });
    await assert.rejects(estimate(warehouse), WarehouseUnavailableError);
    assert.ok(state.asked < all, `${state.asked} of ${all} asked`);
  });

  test("each scan is counted as it will run, reading the enrollments table: the enrollments query's bytes are counted once", async () => {
    const { warehouse, bill } = billingDryRuns();
    const result = await estimate(warehouse);
    // The SQL each query runs as: every scan reads the enrollments table, which exists by then.
    const ran = new Map<string, string>();
    for (const date of DATES) {
      const plan = planDate({ spec, dataset: 'tmp', dialect, periods: null, results: PUBLISHED_NAMES }, date);
      for (const q of [plan.enrollments, ...plan.windows.flatMap((w) => w.metricsScans)])
        if (q && !ran.has(q.destination.table)) ran.set(q.destination.table, q.sql);
    }
    const scans = result.queries.filter((q) => q.kind === 'metrics_scan');
    assert.ok(scans.length > 8 && result.queries[0]?.kind === 'enrollments');
    for (const q of result.queries) {
      const sql = ran.get(q.table);
      assert.ok(sql !== undefined, q.table);
      assert.equal(q.bytes, bill(sql), q.table);
    }
    assert.ok(scans.every((q) => (q.bytes ?? 0) > 0));
    assert.match(
      describeEstimate(result).at(-1) ?? '',
      / and \d+ that read only the preview's own tables \(10\.00 MiB each, the least BigQuery bills\), about \$[\d.]+ at \$6\.25\/TiB on demand; not estimated: the enrollments table the scans read$/,
    );
  });
});

describe('the total of an estimate', () => {
  const query = (table: string, bytes: number | null) => ({
    date: '2026-03-27' as const,
    table,
    kind: 'metrics_scan' as const,
    bytes,
    ...(bytes === null
      ? { rejected: 'warehouse query failed: Parser Error: syntax error at or near "AS"' }
      : {}),
  });
  const of = (queries: ReturnType<typeof query>[]) => {
    const totalBytes = queries.reduce((sum, q) => sum + (q.bytes ?? 0), 0);
    return describeEstimate({
      method: 'column_sizes',
      queries,
      totalBytes,
      usdPerTib: 6.25,
      totalUsd: (totalBytes / 2 ** 40) * 6.25,
      ownTableQueries: 4,
    });
  };

  test('counts the queries it has a size of, and names those the warehouse refused as not estimated', () => {
    const total = of([query('metrics_a', 2 ** 30), query('metrics_b', null)]).at(-1);
    assert.equal(
      total,
      "  total 1.00 GiB billed in 1 query, about $0.0061 at $6.25/TiB on demand; not estimated: 1 query above the warehouse refused (it fails when run), the enrollments table the scans read, and 4 more queries that read only the preview's own tables",
    );
  });

  test('a cost too small for four decimals is said to be under $0.0001, not $0.0000 (free)', () => {
    const total = of([query('metrics_a', 2 ** 20)]).at(-1) ?? '';
    assert.match(total, /^ {2}total 1\.00 MiB billed in 1 query, < \$0\.0001 at \$6\.25\/TiB on demand;/);
    assert.equal(describeCost(2 ** 20, 2 ** 20), '1.00 MiB billed, < $0.0001 at $6.25/TiB on demand');
    // The dashboard's cost cells read the same.
    assert.deepEqual([0, 0.000001, 0.00005, 0.0061, 0.02, 18.75].map(formatUsd), [
      '$0.00',
      '< $0.0001',
      '$0.0001',
      '$0.0061',
      '$0.02',
      '$18.75',
    ]);
  });

  test('with every query refused, is unknown rather than 0 B', () => {
    const total = of([query('metrics_a', null), query('metrics_b', null)]).at(-1) ?? '';
    assert.match(
      total,
      /^ {2}total unknown; not estimated: 2 queries above the warehouse refused \(they fail when run\), /,
    );
    assert.doesNotMatch(total, /0 B/);
  });
});

describe('queries the embedded warehouse refuses before a preview runs', () => {
  const SAID = 'warehouse query failed: Parser Error: syntax error at or near "AS"';
  const refused = (table: string, kind: 'enrollments' | 'metrics_scan') => ({
    date: '2026-03-27' as const,
    table,
    kind,
    bytes: null,
    // A scan that fails for its own reason, not only for the enrollments written into it.
    rejected: kind === 'enrollments' ? SAID : 'warehouse query failed: Binder Error',
    subjects: [
      kind === 'enrollments'
        ? { file: 'my.toml', key: 'segments.my_seg', line: 17, message: 'warehouse said: Parser Error' }
        : {
            file: 'my.toml',
            key: 'metrics.m.select_expression',
            line: 9,
            message: 'warehouse said: Binder Error',
          },
    ],
  });
  const embedded = (queries: ReturnType<typeof refused>[]) => ({
    method: 'column_sizes' as const,
    queries: [
      ...queries,
      { date: '2026-03-27' as const, table: 'metrics_ok', kind: 'metrics_scan' as const, bytes: 10 },
    ],
    totalBytes: 10,
    usdPerTib: 6.25,
    totalUsd: 0,
    ownTableQueries: 0,
  });

  test("a metrics scan alone: the preview goes on, and reports it with the run's other errors", () => {
    assert.doesNotThrow(() => checkRejected(embedded([refused('metrics_x', 'metrics_scan')])));
  });

  test('the enrollments query, which every date reads: refused before anything runs, at its config item', () => {
    assert.throws(
      () =>
        checkRejected(
          embedded([refused('enrollments_x', 'enrollments'), refused('metrics_x', 'metrics_scan')]),
        ),
      (error: unknown) => {
        assert.ok(error instanceof PreviewQueriesRejectedError);
        const lines = error.message.split('\n');
        assert.equal(
          lines[0],
          "the warehouse refused the preview's enrollments query (and 1 other query): every previewed date reads the enrollments, so each would fail; the preview stops before running any, and an earlier preview's tables are as they were",
        );
        assert.ok(lines.includes('    segments.my_seg (line 17)'), error.message);
        assert.ok(lines.includes('    metrics.m.select_expression (line 9)'), error.message);
        assert.doesNotMatch(error.message, /BigQuery|--dry_run/);
        return true;
      },
    );
  });
});
