import { ANALYSIS_PERIODS, type AnalysisPeriod } from '../config/periods.js';
import type { ConfigProblem } from '../config/problems.js';
import type { AnalysisSpec, MetricSpec } from '../config/spec.js';
import { addDays, type IsoDate } from '../dates.js';
import { BIGQUERY_FUNCTIONS_NOT_ON_DUCKDB } from '../warehouse/bigquery-compat.js';
import { missingTableIn, warehouseMessageOf } from '../warehouse/errors.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { syntaxProblems } from './check-syntax.js';
import { planAnalysis } from './plan/analysis.js';
import { appDataset, fillPlaceholders, PlanError } from './plan/common.js';
import type { PlannedQuery } from './plan/types.js';
import { SqlSyntaxError } from './render/bigquery-lexer.js';
import { plannedSql, runPlannedQuery } from './run.js';
import { windowsDueOn } from './windows.js';

/**
 * Whether an experiment's SQL compiles, before any analysis runs: every query the analysis
 * would run, for one window of each period, is checked on `warehouse` with its dry run
 * (DuckDB: EXPLAIN; BigQuery: a dry-run job) and then run, so the queries after it find the
 * tables they read. Meant for a scratch warehouse holding the source tables' columns and no
 * rows. A failure is reported at the metric whose SQL fails, with its config file and line.
 * Queries that read a table the warehouse does not have are not checked; `unchecked` names them.
 */
export interface SqlCheckResult {
  errors: ConfigProblem[];
  /**
   * What may be wrong but cannot be told here: a query over tables that hold contrail's
   * synthetic sample (a few of the real tables' columns) that does not compile. Configs are
   * written for BigQuery; only real tables make DuckDB's verdict the config's fault, except for
   * SQL no warehouse accepts (check-syntax.ts), which is an error on any tables.
   */
  warnings: ConfigProblem[];
  /** Tables the warehouse lacks, so the queries reading them were not checked. */
  unchecked: string[];
}

/**
 * A table named by its BigQuery project (`moz-fx-data-shared-prod.telemetry.clients_daily`,
 * backticked or not): a BigQuery project's table, left to `validate --dry_run` on BigQuery.
 */
const BIGQUERY_PROJECT_TABLE = /`?\b([a-z][a-z0-9]*(?:-[a-z0-9]+)+\.[A-Za-z_]\w*\.[A-Za-z_]\w*)`?/;

/**
 * What a config's SQL cannot be planned for (a custom enrollment query without the columns the
 * enrollments read, a fragment that does not lex), at the config item when the plan knows it;
 * null for any other error, which is not the config's fault.
 */
export function planProblemOf(error: unknown, spec: AnalysisSpec): ConfigProblem | null {
  if (!(error instanceof PlanError || error instanceof SqlSyntaxError)) return null;
  const at = error instanceof PlanError ? error.at : null;
  return {
    file: at?.file ?? spec.sources.at(-1) ?? '(config)',
    line: at?.line ?? null,
    keyPath: at?.key ?? '',
    message: error.message,
  };
}

export async function checkAnalysisSql(
  warehouse: Warehouse,
  spec: AnalysisSpec,
  options: {
    dataset: string;
    /** Tables holding contrail's synthetic sample (`mozdata.telemetry.clients_daily`), see SqlCheckResult.warnings. */
    synthetic?: readonly string[];
    /**
     * Plan every period but run no query: the warehouse holds no telemetry at all, so DuckDB
     * could only judge the SQL's syntax, and configs are written in BigQuery's.
     */
    planOnly?: boolean;
  },
): Promise<SqlCheckResult> {
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const unchecked = new Set<string>();
  let checked = withOverall(spec);
  await warehouse.createDataset(options.dataset);
  // SQL no warehouse accepts is an error however it is checked, even with no telemetry to run on.
  const syntax = await syntaxProblems(warehouse, checked);
  errors.push(...syntax);
  let enrollmentsDone = false;
  /** The tables the check's queries write (enrollments, metrics, statistic inputs), by name. */
  const written = new Set<string>();
  const due = dueDates(checked);
  periods: for (let p = 0; p < due.length; p++) {
    const [period, date] = due[p]!;
    let queries: PlannedQuery[];
    try {
      const plan = planAnalysis(checked, date, {
        dataset: options.dataset,
        dialect: warehouse.sqlDialect,
        periods: [period],
      });
      queries = [
        ...(plan.enrollments && !enrollmentsDone ? [plan.enrollments] : []),
        ...plan.windows.flatMap((w) => [...w.metricsScans, ...w.metrics, ...w.statisticInputs]),
      ];
      enrollmentsDone ||= plan.enrollments !== null;
      for (const query of [...(plan.enrollments ? [plan.enrollments] : []), ...queries])
        written.add(query.destination.table);
    } catch (error) {
      const problem = planProblemOf(error, spec);
      if (problem === null) throw error;
      // A string left open is one of the faults found above, named there with its config item.
      if (error instanceof SqlSyntaxError && syntax.length > 0) continue;
      errors.push(problem);
      continue;
    }
    if (options.planOnly) continue;
    for (const query of queries) {
      const inProject = BIGQUERY_PROJECT_TABLE.exec(query.sql)?.[1];
      if (inProject !== undefined && warehouse.dialect === 'duckdb') {
        unchecked.add(inProject);
        break; // later queries read this one's table
      }
      try {
        await warehouse.dryRun((await plannedSql(warehouse, query)).sql);
        await runPlannedQuery(warehouse, query);
      } catch (error) {
        const missing = missingTableIn(error);
        const message = warehouseMessageOf(error);
        // A query that does not parse while a fragment of the spec is known not to: that fragment,
        // named above, is why.
        const explained = syntax.length > 0 && /^Parser Error\b/.test(message);
        if (missing !== null) {
          // One of contrail's own tables is missing only because the query writing it failed,
          // which is reported already: it is not a table of the author's that went unchecked.
          if (!written.has(missing.table.replace(/["`]/g, '').split('.').at(-1) ?? ''))
            unchecked.add(missing.table);
        } else if (!explained) {
          const problems = await blame(warehouse, checked, query, message);
          // BigQuery syntax DuckDB lacks, found in the failing metric's own expression (else, for a
          // single problem, in the query): a warning, not the config's fault.
          const parseFailure = warehouse.dialect === 'duckdb' && /^Parser Error\b/.test(message);
          const synthetic = readsSynthetic(query.sql, options.synthetic ?? []);
          // Segments that fail alone are reported; the enrollments are made again without them, so
          // the metrics (which read the enrollments) are checked too.
          const failedSegments = new Set(
            problems.map((problem) => /^the SQL of config column '([^']+)'/.exec(problem.message)?.[1]),
          );
          const dropped = checked.segments.filter((s) => failedSegments.has(s.name));
          for (const problem of problems) {
            const own = expressionOf(checked, warehouse, problem);
            const sql = own ?? (problems.length === 1 ? query.sql : null);
            const construct =
              sql === null || warehouse.dialect !== 'duckdb'
                ? null
                : parseFailure
                  ? bigQueryOnlySyntax(sql)
                  : missingBigQueryFunction(problemMessage(problem), sql);
            if (construct !== null) warnings.push(notOnDuckDb(problem, construct));
            else if (synthetic) warnings.push(onSample(problem));
            else errors.push(problem);
          }
          if (query.kind === 'enrollments' && dropped.length > 0 && !failedSegments.has(undefined)) {
            checked = { ...checked, segments: checked.segments.filter((s) => !dropped.includes(s)) };
            enrollmentsDone = false;
            p--;
            continue periods;
          }
        }
        // Later queries read this one's table: stop this period here.
        break;
      }
    }
  }
  // A config fault shows in every period that plans or reads it: the author hears of it once.
  const distinct = (problems: ConfigProblem[]) => [
    ...new Map(problems.map((e) => [JSON.stringify([e.file, e.line, e.keyPath, e.message]), e])).values(),
  ];
  return { errors: distinct(errors), warnings: distinct(warnings), unchecked: [...unchecked] };
}

/**
 * BigQuery syntax that DuckDB's parser has no equivalent for and the DuckDB renderer does not
 * translate (src/sql/render/duckdb.ts), by how it reads in the rendered SQL.
 */
const BIGQUERY_ONLY_SYNTAX: readonly [RegExp, string][] = [
  [/\[\s*(SAFE_)?(OFFSET|ORDINAL)\s*\(/i, 'array subscripts [OFFSET(i)] / [SAFE_OFFSET(i)] / [ORDINAL(i)]'],
  [/\bWITH\s+OFFSET\b/i, 'UNNEST … WITH OFFSET'],
  [/\bSELECT\s+AS\s+(STRUCT|VALUE)\b/i, 'SELECT AS STRUCT / SELECT AS VALUE'],
  [
    /\bARRAY_AGG\s*\([^()]*\bIGNORE\s+NULLS\b/i,
    'ARRAY_AGG(DISTINCT … IGNORE NULLS) or a windowed ARRAY_AGG(… IGNORE NULLS)',
  ],
  [/\bARRAY_AGG\s*\([^()]*\bLIMIT\s+\d+\s*\)/i, 'ARRAY_AGG(… LIMIT n)'],
  [/\bSTRUCT\s*\(/i, 'STRUCT(…) with a field that has no name'],
  [/\bSAFE\.\w+\s*\(/i, 'the SAFE. function prefix'],
];

/** The rendered select expression of the metric or segment a problem of `blame` names, if it names one. */
function expressionOf(spec: AnalysisSpec, warehouse: Warehouse, problem: ConfigProblem): string | null {
  const [, kind, name] = /^the SQL of (metric|config column) '([^']+)'/.exec(problem.message) ?? [];
  if (name === undefined) return null;
  if (kind === 'config column') {
    const segment = spec.segments.find((s) => s.name === name);
    return segment ? warehouse.sqlDialect.userSql(segment.selectExpression) : null;
  }
  for (const list of Object.values(spec.metrics))
    for (const m of list)
      if (m.name === name && m.selectExpression) return warehouse.sqlDialect.userSql(m.selectExpression);
  return null;
}

/** What the warehouse said about a problem of `blame` (after its ': … on duckdb: ' prefix). */
function problemMessage(problem: ConfigProblem): string {
  return problem.message.split('\n')[0] ?? '';
}

/**
 * A function the SQL calls that BigQuery has and the embedded warehouse lacks, named for the
 * warning, when DuckDB's message is that the function does not exist: a UDF of the shared
 * project's `udf` dataset or of mozfun (contrail defines only some of them: bigquery-compat.ts),
 * or a BigQuery built-in DuckDB lacks. Null for any other function: a misspelling is the config's.
 */
function missingBigQueryFunction(message: string, sql: string): string | null {
  const name = /Catalog Error: (?:Scalar|Aggregate|Table) Function with name "?(\w+)"? does not exist/i.exec(
    message,
  )?.[1];
  if (name === undefined) return null;
  const escaped = name.replace(/[^\w]/g, '');
  const udf = new RegExp(`(?<![\\w.])(udf\\.|mozfun\\.\\w+\\.)${escaped}\\s*\\(`, 'i').exec(sql)?.[1];
  if (udf !== undefined) return `UDF ${udf.toLowerCase()}${name}`;
  if (
    BIGQUERY_FUNCTIONS_NOT_ON_DUCKDB.includes(name.toLowerCase()) &&
    new RegExp(`\\b${escaped}\\s*\\(`, 'i').test(sql)
  )
    return `function ${name.toUpperCase()}`;
  return null;
}

function bigQueryOnlySyntax(sql: string): string | null {
  return BIGQUERY_ONLY_SYNTAX.find(([pattern]) => pattern.test(sql))?.[1] ?? null;
}

/**
 * A query DuckDB cannot parse because of BigQuery syntax it lacks: not the config's fault, so a
 * warning that names the construct and says where the SQL can be checked.
 */
function notOnDuckDb(problem: ConfigProblem, construct: string): ConfigProblem {
  return {
    ...problem,
    message: `${problem.message.split('\n')[0]} (BigQuery's ${construct}, which DuckDB lacks: the config is BigQuery SQL the embedded warehouse cannot check, not a fault of the config; \`validate --dry_run\` checks it on BigQuery)`,
  };
}

/** A problem found over contrail's synthetic sample: a warning that says what could not be told. */
function onSample(problem: ConfigProblem): ConfigProblem {
  return {
    ...problem,
    message: `${problem.message.split('\n')[0]} (checked on contrail's synthetic sample, which has only some of the real tables' columns, in DuckDB's SQL: \`validate --dry_run\` on BigQuery checks the real ones)`,
  };
}

/** Whether `sql` reads one of the synthetic tables (named as the configs name them). */
function readsSynthetic(sql: string, synthetic: readonly string[]): boolean {
  return synthetic.some((table) =>
    new RegExp(`(?<![\\w.])${table.replaceAll('.', '\\.')}(?![\\w])`).test(sql),
  );
}

/**
 * The periods checked first: the windows of the others read their tables as covariates, as an
 * analysis computes them before the statistics that adjust for them (ensureCovariates).
 */
const PREENROLLMENT_PERIODS: readonly AnalysisPeriod[] = ['preenrollment_week', 'preenrollment_days28'];

/** The first date on which a window of each period with metrics is due, pre-enrollment periods first. */
function dueDates(spec: AnalysisSpec): [AnalysisPeriod, IsoDate][] {
  const out: [AnalysisPeriod, IsoDate][] = [];
  const start = spec.experiment.startDate;
  if (!start) return out;
  const periods = [
    ...PREENROLLMENT_PERIODS,
    ...ANALYSIS_PERIODS.filter((p) => !PREENROLLMENT_PERIODS.includes(p)),
  ];
  for (const period of periods) {
    if ((spec.metrics[period] ?? []).length === 0) continue;
    for (let day = 0; day <= 400; day++) {
      const date = addDays(start, day);
      if (windowsDueOn(spec, date, [period]).length > 0) {
        out.push([period, date]);
        break;
      }
    }
  }
  return out;
}

/** An experiment without an end date gets one, so its overall metrics are checked too. */
function withOverall(spec: AnalysisSpec): AnalysisSpec {
  if (spec.experiment.endDate || !spec.experiment.startDate) return spec;
  const endDate = addDays(spec.experiment.startDate, spec.enrollmentPeriod + 35);
  return { ...spec, experiment: { ...spec.experiment, endDate, status: 'complete' } };
}

/**
 * The metrics to blame for a failed query: each one's expression is tried alone over its data
 * source; those that fail alone are the culprits, else every metric of the query is named.
 */
async function blame(
  warehouse: Warehouse,
  spec: AnalysisSpec,
  query: PlannedQuery,
  message: string,
): Promise<ConfigProblem[]> {
  const metrics = (query.metrics ?? []).map((m) => m.name);
  const specs = new Map<string, MetricSpec>();
  for (const list of Object.values(spec.metrics)) for (const m of list) specs.set(m.name, m);
  const culprits: { name: string; message: string }[] = [];
  /** A metric's, or in the enrollments query a segment's, expression and the table it reads. */
  const alone = (name: string): { select: string; from: string; id: string } | null => {
    const segment = query.kind === 'enrollments' ? spec.segments.find((s) => s.name === name) : undefined;
    const segmentSource = segment ? spec.segmentDataSources[segment.dataSource] : undefined;
    if (segment && segmentSource)
      return {
        select: segment.selectExpression,
        from: segmentSource.fromExpression,
        id: segmentSource.clientIdColumn,
      };
    const metric = specs.get(name);
    const source = metric?.dataSource ? spec.dataSources[metric.dataSource] : undefined;
    if (!metric?.selectExpression || !source) return null;
    const id = spec.analysisUnit === 'profile_group' ? source.groupIdColumn : source.clientIdColumn;
    return { select: metric.selectExpression, from: source.fromExpression, id };
  };
  for (const name of metrics) {
    const item = alone(name);
    if (item === null) continue;
    // In the warehouse's own SQL, as the planned query has it: BigQuery's "text" is a column to DuckDB.
    const d = warehouse.sqlDialect;
    const expression = d.userSql(fillPlaceholders(item.select, { experiment_slug: spec.experiment.slug }));
    const from = d.userSql(fillPlaceholders(item.from, { dataset: appDataset(spec) }));
    const id = d.userSql(item.id);
    try {
      await warehouse.dryRun(`SELECT ${expression} FROM ${from} AS ds GROUP BY ds.${id}`);
    } catch (error) {
      // A metric over a table the warehouse lacks cannot be judged alone either.
      if (missingTableIn(error) === null) culprits.push({ name, message: warehouseMessageOf(error) });
    }
  }
  const located = (name: string, why: string): ConfigProblem => {
    const p = (query.metrics ?? []).find((m) => m.name === name)?.provenance;
    return {
      file: p?.file ?? '(config)',
      line: p?.line ?? null,
      keyPath: p?.key ?? '',
      message: `the SQL of ${query.kind === 'enrollments' ? 'config column' : 'metric'} '${name}' does not compile on ${warehouse.dialect}: ${why}`,
    };
  };
  if (culprits.length > 0) return culprits.map((c) => located(c.name, c.message));
  if (metrics.length > 0) return metrics.map((name) => located(name, message));
  return [
    {
      file: spec.sources.at(-1) ?? '(config)',
      line: null,
      keyPath: '',
      message: `the ${query.kind.replace('_', ' ')} query (${query.destination.table}) does not compile on ${warehouse.dialect}: ${message}`,
    },
  ];
}
