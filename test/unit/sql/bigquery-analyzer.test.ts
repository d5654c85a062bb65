import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { inferPlatform, placeholderExperiment } from '../../../src/config/platform.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { addDays, type IsoDate } from '../../../src/dates.js';
import { ContrailError } from '../../../src/errors.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { SAMPLE_SCHEMA, SAMPLE_TABLES } from '../../../src/sample/generate.js';
import type { SqlDialect } from '../../../src/sql/dialect.js';
import { planAnalysis } from '../../../src/sql/plan/analysis.js';
import { planPopulationSample } from '../../../src/sql/plan/population.js';
import type { PlannedQuery } from '../../../src/sql/plan/types.js';
import { metricsViewSql, statisticsViewSql } from '../../../src/sql/plan/views.js';
import { bigqueryDialect } from '../../../src/sql/render/bigquery.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { lastEnrollmentDate } from '../../../src/sql/windows.js';
import { MOZFUN_UDFS } from '../../fixtures/bigquery/mozfun.js';
import { SOURCE_TABLES } from '../../fixtures/bigquery/source-tables.js';
import { schemaFromDuckDb } from '../../helpers/bigquery-schema.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';
import { type Analyzer, AnalyzerCatalog, scalarType, startAnalyzer } from '../../helpers/zetasql.js';

/**
 * Every query contrail renders in the BigQuery dialect is analysed by the GoogleSQL analyzer
 * (ZetaSQL, BigQuery's own SQL front end) against the source tables' schemas and mozfun's
 * signatures, each plan in run order: a query's output columns become the table the next
 * queries read. A DuckDB spelling, a misnamed column or a type BigQuery refuses fails here.
 * Covered: the demo experiments (every period, both bases, the population sample of preview)
 * and a sample of the real metric-hub configs.
 */
const PROJECT = 'contrail-analysis';
const DATASET = 'contrail';
const SHARED_PROJECTS = ['moz-fx-data-shared-prod', 'mozdata'];

let analyzer: Analyzer;
let analysed = 0;

before(async () => {
  analyzer = await startAnalyzer();
});

after(async () => {
  await analyzer?.stop();
  process.stdout.write(`# GoogleSQL analyzer: ${analysed} BigQuery queries analysed\n`);
});

function catalogWith(tables: Record<string, Record<string, string>>): AnalyzerCatalog {
  const catalog = new AnalyzerCatalog();
  for (const [name, columns] of Object.entries(tables)) {
    for (const project of SHARED_PROJECTS)
      catalog.addBigQueryTable(`${project}.${name}`, schemaFromDuckDb(columns));
  }
  for (const udf of MOZFUN_UDFS) catalog.addUdf(udf);
  return catalog;
}

/** The demo's sample tables as `dataset.table` (the sample writes them to the `mozdata` catalog). */
function sampleTables(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [key, ref] of Object.entries(SAMPLE_TABLES)) {
    out[`${ref.dataset.replace(/^mozdata\./, '')}.${ref.table}`] =
      SAMPLE_SCHEMA[key as keyof typeof SAMPLE_TABLES];
  }
  return out;
}

/**
 * Analyses queries in run order; each success registers its destination table. Returns
 * `table: message` of the first failure (the queries after it would only miss its table).
 */
async function analyseInOrder(catalog: AnalyzerCatalog, queries: PlannedQuery[]): Promise<string[]> {
  const failures: string[] = [];
  await analyzer.register(catalog);
  // Registering takes longer than analysing: the catalog is registered again only when a query
  // reads a table added since.
  let pending: string[] = [];
  for (const query of queries) {
    // As runPlannedQuery does: the main SQL when the tables it joins exist, and the fallback.
    const mainRuns = (query.fallback?.whenMissing ?? []).every((t) =>
      catalog.hasTable(`${PROJECT}.${t.dataset}.${t.table}`),
    );
    const sqls = [...(mainRuns ? [query.sql] : []), ...(query.fallback ? [query.fallback.sql] : [])];
    if (pending.some((table) => sqls.some((sql) => sql.includes(table)))) {
      await analyzer.register(catalog);
      pending = [];
    }
    let columns: { columns: Parameters<AnalyzerCatalog['addTable']>[1] } | null = null;
    for (const sql of sqls) {
      const result = await analyzer.analyze(sql);
      analysed++;
      if ('message' in result) failures.push(`${query.destination.table}: ${result.message}`);
      else columns ??= result;
    }
    if (failures.length > 0) return failures;
    if (columns) {
      const name = `${PROJECT}.${query.destination.dataset}.${query.destination.table}`;
      catalog.addTable(name, columns.columns);
      pending.push(name);
    }
  }
  return failures;
}

function inRunOrder(spec: AnalysisSpec, dates: IsoDate[], dialect: SqlDialect): PlannedQuery[] {
  const queries: PlannedQuery[] = [];
  let enrollments = false;
  for (const date of dates) {
    const plan = planAnalysis(spec, date, { dataset: DATASET, dialect });
    if (plan.enrollments && !enrollments) {
      queries.push(plan.enrollments);
      enrollments = true;
    }
    queries.push(...plan.metrics, ...plan.statisticInputs);
  }
  return queries;
}

describe('BigQuery SQL analysed by the GoogleSQL analyzer', () => {
  const dialect = bigqueryDialect({ project: PROJECT });
  let demoCollection: ConfigCollection;
  let demoSpecs: AnalysisSpec[];

  before(async () => {
    demoCollection = await loadConfigCollection({ repos: [DEMO_CONFIG_REPO] });
    const experiments = await localExperimentSource(DEMO_EXPERIMENTS_FILE, {
      now: () => new Date('2026-06-01T00:00:00Z'),
    }).list();
    demoSpecs = experiments
      .filter((e) => e.startDate !== null)
      .map((e) => resolveAnalysisSpec(demoCollection, e).spec);
    assert.ok(demoSpecs.length >= 1);
  });

  it('every query of the demo experiments, every period and basis, in run order', async () => {
    const failures: string[] = [];
    let queries = 0;
    for (const spec of demoSpecs) {
      const last = lastEnrollmentDate(spec) as IsoDate;
      const end = spec.experiment.endDate ?? addDays(last, 28);
      // Enrollment complete (day, pre-enrollment), week 1, week 3, overall.
      const dates = [last, addDays(last, 7), addDays(last, 21), addDays(end, 1)].filter(
        (d, i, all) => all.indexOf(d) === i,
      );
      const plan = inRunOrder(spec, dates, dialect);
      queries += plan.length;
      failures.push(
        ...(await analyseInOrder(catalogWith(sampleTables()), plan)).map(
          (f) => `${spec.experiment.slug} ${f}`,
        ),
      );
    }
    assert.deepEqual(failures, []);
    assert.ok(queries > 20, `${queries} demo queries`);
  });

  it('an experiment whose slug starts with a digit: its tables start with a digit', async () => {
    const demo = demoSpecs[0] as AnalysisSpec;
    const spec = { ...demo, experiment: { ...demo.experiment, slug: '1-click-demo' } };
    const last = lastEnrollmentDate(spec) as IsoDate;
    const plan = inRunOrder(spec, [last, addDays(last, 7)], dialect);
    assert.ok(plan.some((q) => q.destination.table.startsWith('1_click_demo_')));
    assert.deepEqual(await analyseInOrder(catalogWith(sampleTables()), plan), []);
  });

  it("preview's population sample (FARM_FINGERPRINT buckets) enrolls in BigQuery SQL", async () => {
    const spec = demoSpecs[0] as AnalysisSpec;
    const planned = planPopulationSample(
      { spec, dataset: DATASET, dialect },
      { date: lastEnrollmentDate(spec) as IsoDate, sampleSize: 1 },
    );
    assert.match(planned.sql, /FARM_FINGERPRINT\(/);
    const catalog = catalogWith({
      ...sampleTables(),
      'telemetry.clients_daily': {
        ...(sampleTables()['telemetry.clients_daily'] as Record<string, string>),
      },
    });
    assert.deepEqual(await analyseInOrder(catalog, [planned]), []);
  });

  it("jetstream's views stack windows with different columns by name, a missing one as a typed NULL", async () => {
    const ref = (table: string) => ({ dataset: DATASET, table });
    const columns = (spec: Record<string, string>) =>
      Object.entries(spec).map(([name, type]) => ({ name, type }));
    // Week 1 computed with a metric (searches) week 2's config dropped; week 2's columns in another order.
    const week1 = columns({
      analysis_id: 'STRING',
      branch: 'STRING',
      active_hours: 'FLOAT64',
      searches: 'INT64',
    });
    const week2 = columns({ active_hours: 'FLOAT64', branch: 'STRING', analysis_id: 'STRING' });
    const uris1 = columns({ analysis_id: 'STRING', branch: 'STRING', uris: 'FLOAT64' });
    const catalog = new AnalyzerCatalog();
    const tables = { m1: week1, m2: week2, u1: uris1, s1: week1, s2: week2 };
    for (const [table, cols] of Object.entries(tables)) {
      catalog.addTable(
        `${PROJECT}.${DATASET}.${table}`,
        cols.map((c) => ({ name: c.name, type: scalarType(c.type as 'STRING' | 'FLOAT64' | 'INT64') })),
      );
    }
    await analyzer.register(catalog);
    const body = (sql: string) => sql.replace(/^CREATE OR REPLACE VIEW [^\n]* AS\n/, '');
    const KINDS: Record<number, string> = { 2: 'INT64', 7: 'FLOAT64', 8: 'STRING' };
    const analyse = async (sql: string) => {
      analysed += 1;
      const result = await analyzer.analyze(body(sql));
      if ('message' in result) return result.message;
      return result.columns.map((c) => `${c.name} ${KINDS[Number(c.type.typeKind)] ?? c.type.typeKind}`);
    };

    const metrics = metricsViewSql(dialect, ref('v'), [
      {
        windowIndex: 1,
        tables: [
          { ref: ref('m1'), columns: week1, metricColumns: ['active_hours', 'searches'] },
          { ref: ref('u1'), columns: uris1, metricColumns: ['uris'] },
        ],
      },
      // A config metric its window's table lacks (uris) is NULL through the stacking.
      { windowIndex: 2, tables: [{ ref: ref('m2'), columns: week2, metricColumns: ['active_hours'] }] },
    ]);
    assert.match(metrics, /CAST\(NULL AS INT64\) AS `searches`/);
    assert.deepEqual(await analyse(metrics), [
      'analysis_id STRING',
      'branch STRING',
      'active_hours FLOAT64',
      'searches INT64',
      'uris FLOAT64',
      'window_index INT64',
    ]);
    const statistics = statisticsViewSql(dialect, ref('v'), [
      { ref: ref('s2'), columns: week2 },
      { ref: ref('s1'), columns: week1 },
    ]);
    assert.deepEqual(await analyse(statistics), [
      'active_hours FLOAT64',
      'branch STRING',
      'analysis_id STRING',
      'searches INT64',
    ]);
  });

  it('DuckDB-rendered SQL fails the analyzer (the check can fail)', async () => {
    const spec = demoSpecs[0] as AnalysisSpec;
    const plan = planAnalysis(spec, addDays(lastEnrollmentDate(spec) as IsoDate, 7), {
      dataset: DATASET,
      dialect: duckdbDialect(),
    });
    const failures = await analyseInOrder(catalogWith(sampleTables()), plan.metrics.slice(0, 1));
    assert.equal(failures.length, 1);
    assert.match(failures[0] as string, /not found|Unrecognized|Syntax error|No matching signature/);
  });

  it('a sample of the real metric-hub configs, in run order', async () => {
    const collection = await loadConfigCollection({ repos: [metricHubFixtures()] });
    const known = new Set(Object.keys(SOURCE_TABLES));
    const eligible: { slug: string; plan: PlannedQuery[] }[] = [];
    for (const slug of collection.experimentSlugs().sort()) {
      const file = collection.experimentFiles(slug)[0];
      if (!file || inferPlatform(collection, file).platform !== 'firefox_desktop') continue;
      const placeholder = placeholderExperiment(file, 'firefox_desktop');
      // Fixed dates (the placeholder takes today for a config without a start date).
      const startDate = file.experiment?.def.start_date ?? '2024-01-01';
      let plan: PlannedQuery[];
      try {
        const { spec } = resolveAnalysisSpec(collection, {
          ...placeholder,
          status: 'complete',
          startDate,
          endDate: addDays(startDate, 35),
        });
        if (!referencedTables(spec).every((t) => known.has(t))) continue;
        const last = lastEnrollmentDate(spec) as IsoDate;
        // Enrollment complete (day 1, pre-enrollment periods), then overall (and the last day).
        plan = inRunOrder(spec, [last, addDays(spec.experiment.endDate as IsoDate, 1)], dialect);
      } catch (error) {
        // Configs that do not resolve or plan fail the same way in every dialect; the config
        // fixture test pins them.
        if (error instanceof ContrailError) continue;
        throw error;
      }
      eligible.push({ slug, plan });
    }
    // An even spread over the eligible configs (sorted by slug), so the sample is the same every run.
    const SAMPLE = 8;
    const step = Math.max(1, Math.floor(eligible.length / SAMPLE));
    const sample = eligible.filter((_, i) => i % step === 0).slice(0, SAMPLE);
    assert.ok(sample.length >= Math.min(SAMPLE, eligible.length) && sample.length > 0);

    const failures: string[] = [];
    for (const { slug, plan } of sample) {
      const found = await analyseInOrder(catalogWith(SOURCE_TABLES), plan);
      failures.push(...found.map((f) => `${slug} ${f}`));
    }
    // Only config problems that fail in every dialect may remain (known and listed below).
    assert.deepEqual(
      failures.filter((f) => !KNOWN_CONFIG_PROBLEMS.includes(f)),
      [],
    );
    process.stdout.write(
      `# real configs: ${sample.length} of ${eligible.length} firefox_desktop configs whose tables have schemas here\n`,
    );
  });
});

// Custom enrollment queries that select client_id, not analysis_id, are refused at planning
// (their configs are not eligible above), so no config problem is known to remain here.
const KNOWN_CONFIG_PROBLEMS: string[] = [];

/** `dataset.table` of every Mozilla table a spec's SQL names (data sources in use, segments, exposure signal, custom enrollment query). */
function referencedTables(spec: AnalysisSpec): string[] {
  const used = new Set<string>();
  for (const list of Object.values(spec.metrics))
    for (const m of list ?? []) if (m.dataSource) used.add(m.dataSource);
  if (spec.exposureSignal) used.add(spec.exposureSignal.dataSource);
  const texts = [...used].map((d) => spec.dataSources[d]?.fromExpression ?? '');
  for (const s of spec.segments) texts.push(spec.segmentDataSources[s.dataSource]?.fromExpression ?? '');
  if (spec.enrollmentQuery) texts.push(spec.enrollmentQuery);
  // The default enrollment and exposure queries read telemetry.events.
  const tables = new Set<string>(['telemetry.events']);
  for (const text of texts) {
    for (const m of text.matchAll(
      /`?(moz-fx-data-shared-prod|mozdata)`?\.`?([A-Za-z0-9_]+)`?\.`?([A-Za-z0-9_]+)`?/g,
    )) {
      tables.add(`${m[2]}.${m[3]}`);
    }
    // A from_expression that is a bare `dataset.table` or names a table without its project.
    if (/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(text.trim())) tables.add(text.trim());
    if (!/(moz-fx-data-shared-prod|mozdata)/.test(text) && text.trim() !== '')
      tables.add(`unknown:${text.slice(0, 40)}`);
  }
  return [...tables];
}
