import {
  ANALYSIS_BASES,
  ANALYSIS_PERIODS,
  type AnalysisBasis,
  type AnalysisPeriod,
  type AnalysisSpec,
  PERIOD_VIEW_SUFFIX,
  type StatisticSpec,
} from '../config/spec.js';
import type { IsoDate } from '../experiments/experiment.js';
import { eligibleForDailyRun } from '../experiments/source.js';
import type { SqlDialect } from '../sql/dialect.js';
import { enrollmentsTableName, statisticsTableName } from '../sql/names.js';
import { planAnalysis, type WindowPlan } from '../sql/plan/analysis.js';
import { planEnrollments } from '../sql/plan/enrollments.js';
import { planPopulationSample } from '../sql/plan/population.js';
import {
  groupStatisticInputRows,
  type StatisticInputGroup,
  type StatisticInputRow,
  statisticInputKey,
} from '../sql/plan/statistic-inputs.js';
import { duckdbDialect } from '../sql/render/duckdb.js';
import { runPlannedQuery } from '../sql/run.js';
import { addDays, lastAnalysisDate, lastEnrollmentDate } from '../sql/windows.js';
import {
  computeStatistic,
  IDENTITY_METRIC,
  requiredInput,
  StatisticConfigError,
  type StatisticInput,
  type StatisticResultRow,
  sampleRatioMismatch,
} from '../statistics/index.js';
import { StatisticsPool, type StatisticTask } from '../statistics/pool.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import type { ColumnType, TableRef, Warehouse } from '../warehouse/warehouse.js';
import type { ActivityDeps } from './deps.js';
import { InvalidInputError, withFailureMapping } from './failures.js';
import { heartbeat, warehouseJob } from './job-context.js';
import { resultLabels } from './labels.js';
import { appendLogs, logRow } from './logs.js';
import { publishResults } from './publish.js';
import { type ResolvedTarget, SpecResolver } from './spec-cache.js';
import type {
  AnalysisActivities,
  AnalysisTarget,
  AnalysisWindowRef,
  DueWork,
  EligibleExperiment,
  StatisticsSummary,
  TableSummary,
} from './types.js';

/** Columns of `statistics_<slug>_<period>_<window>` (jetstream's results schema plus window_index). */
export const STATISTICS_COLUMNS: { name: keyof StatisticResultRow; type: ColumnType }[] = [
  { name: 'metric', type: 'STRING' },
  { name: 'statistic', type: 'STRING' },
  { name: 'parameter', type: 'STRING' },
  { name: 'branch', type: 'STRING' },
  { name: 'comparison', type: 'STRING' },
  { name: 'comparison_to_branch', type: 'STRING' },
  { name: 'ci_width', type: 'FLOAT64' },
  { name: 'point', type: 'FLOAT64' },
  { name: 'lower', type: 'FLOAT64' },
  { name: 'upper', type: 'FLOAT64' },
  { name: 'segment', type: 'STRING' },
  { name: 'analysis_basis', type: 'STRING' },
  { name: 'window_index', type: 'STRING' },
];

/** The SQL renderer for the warehouse in use (an adapter that states its own is asked). */
export function dialectFor(warehouse: Warehouse): SqlDialect {
  if ('sqlDialect' in warehouse) return (warehouse as Warehouse & { sqlDialect: SqlDialect }).sqlDialect;
  if (warehouse.dialect === 'duckdb') return duckdbDialect();
  throw new Error(`no SQL renderer for the ${warehouse.dialect} warehouse in this build of contrail`);
}

/** The target's sample size replaces the config's (preview `--sample-size`). */
function targetSpec(resolved: ResolvedTarget, target: AnalysisTarget): AnalysisSpec {
  return target.sampleSize === null ? resolved.spec : { ...resolved.spec, sampleSize: target.sampleSize };
}

/** A 31-bit FNV-1a hash: the statistics seed of one computation, the same on every rerun. */
export function statisticSeed(parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

/** Why nothing is due on `date`, in jetstream's terms (EnrollmentNotComplete, Ended, …). */
function nothingDueReason(spec: AnalysisSpec, date: IsoDate): string {
  const { startDate, endDate, slug } = spec.experiment;
  if (spec.skip) return `${slug}: the config says skip = true`;
  if (startDate === null) return `${slug} has no start date (not launched)`;
  if (date < startDate) return `${slug} starts ${startDate}, after ${date}`;
  const lastEnrollment = lastEnrollmentDate(spec);
  if (lastEnrollment !== null && date < lastEnrollment) {
    return `enrollment of ${slug} is not complete on ${date} (last enrollment date ${lastEnrollment})`;
  }
  if (endDate !== null && date > addDays(endDate, 1)) return `${slug} ended on ${endDate}`;
  return `no analysis window of ${slug} completes on ${date}`;
}

function findWindow(windows: WindowPlan[], ref: AnalysisWindowRef, date: IsoDate, slug: string): WindowPlan {
  const found = windows.find(
    (w) => w.window.period === ref.period && w.window.windowIndex === ref.windowIndex,
  );
  if (!found) {
    const due = windows.map((w) => `${w.window.period} ${w.window.windowIndex}`).join(', ') || 'none';
    throw new InvalidInputError(
      `${slug}: window ${ref.period} ${ref.windowIndex} is not due on ${date} (due: ${due})`,
    );
  }
  return found;
}

async function rowCount(warehouse: Warehouse, dialect: SqlDialect, ref: TableRef): Promise<number> {
  const rows = await warehouse.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${dialect.table(ref)}`);
  return Number(rows[0]?.n ?? 0);
}

/** The covariate_adjustment of a statistic removed: what jetstream computes when the pre-period table is missing. */
function withoutCovariate(statistic: StatisticSpec): StatisticSpec {
  const { covariate_adjustment: _dropped, ...params } = statistic.params;
  return { ...statistic, params };
}

/**
 * Every statistic of every metric of the window, for each basis and segment ('all' first),
 * from the value histograms of the statistic-input tables, plus jetstream's enrolment counts
 * (metric `identity`, statistic `count`). The statistics run on worker threads.
 */
async function statisticRows(
  spec: AnalysisSpec,
  window: WindowPlan['window'],
  groupsByBasis: Map<AnalysisBasis, Map<string, StatisticInputGroup>>,
): Promise<{ rows: StatisticResultRow[]; warnings: string[] }> {
  const tasks: { task: StatisticTask; basis: AnalysisBasis; segment: string }[] = [];
  const rows: StatisticResultRow[] = [];
  const warnings: string[] = [];
  const slug = spec.experiment.slug;
  const segments = ['all', ...spec.segments.map((s) => s.name)];
  const windowIndex = String(window.windowIndex);
  const referenceBranch = spec.experiment.referenceBranch;
  for (const [basis, groups] of groupsByBasis) {
    for (const segment of segments) {
      // Every input of a basis covers the same clients (null values are kept as bins), so any
      // group of the segment gives the enrolment count per branch.
      const any = [...groups.values()].find((g) => g.segment === segment);
      if (any) {
        const counted = computeStatistic(
          { name: 'count', params: {}, preTreatments: [] },
          { metric: IDENTITY_METRIC, branches: any.branches, windowDays: any.windowDays },
          {
            segment,
            analysisBasis: basis,
            windowIndex,
            referenceBranch,
            seed: statisticSeed([slug, IDENTITY_METRIC, 'count', segment, basis, window.period, windowIndex]),
          },
        );
        // An identity count has no missing values to warn about.
        rows.push(...counted.rows);
      }
      for (const metric of spec.metrics[window.period] ?? []) {
        if (!metric.analysisBases.includes(basis)) continue;
        for (const statistic of metric.statistics) {
          const required = requiredInput(statistic, window.period);
          let effective = statistic;
          let input: StatisticInputGroup | undefined;
          if (required.kind === 'covariate') {
            input = groups.get(statisticInputKey(metric.name, 'covariate', required.period, segment));
            if (!input) {
              // Covariate not computed (or its table missing): unadjusted, as jetstream falls back.
              effective = withoutCovariate(statistic);
              input = groups.get(statisticInputKey(metric.name, 'values', null, segment));
            }
          } else {
            // A covariate statistic in a period that is not adjusted (pre-enrolment, or the
            // covariate's own period) runs unadjusted, without warning about a missing covariate.
            if (required.kind === 'values') effective = withoutCovariate(statistic);
            input = groups.get(statisticInputKey(metric.name, required.kind, null, segment));
          }
          if (!input) {
            warnings.push(
              `${metric.name}/${statistic.name} (${basis}, segment ${segment}): no statistic input rows; nothing computed`,
            );
            continue;
          }
          const statisticInput: StatisticInput = {
            metric: metric.name,
            branches: input.branches,
            windowDays: input.windowDays,
          };
          tasks.push({
            basis,
            segment,
            task: {
              statistic: effective,
              input: statisticInput,
              context: {
                segment,
                analysisBasis: basis,
                windowIndex,
                referenceBranch,
                seed: statisticSeed([
                  slug,
                  metric.name,
                  statistic.name,
                  segment,
                  basis,
                  window.period,
                  windowIndex,
                ]),
              },
            },
          });
        }
      }
    }
  }
  const results = await statisticsPool().computeAll(tasks.map((t) => t.task));
  // The same warning for several segments and bases is logged once, naming where it applies.
  const where = new Map<string, Map<AnalysisBasis, string[]>>();
  results.forEach((out, i) => {
    rows.push(...out.rows);
    const task = tasks[i];
    if (!task) return;
    for (const w of out.warnings) {
      const bases = where.get(w) ?? new Map<AnalysisBasis, string[]>();
      bases.set(task.basis, [...(bases.get(task.basis) ?? []), task.segment]);
      where.set(w, bases);
    }
  });
  for (const [w, bases] of where) {
    const places = [...bases].map(
      ([basis, segs]) => `${basis} basis, segment${segs.length > 1 ? 's' : ''} ${segs.join(', ')}`,
    );
    warnings.push(`${w} (${places.join('; ')})`);
  }
  return { rows, warnings };
}

let pool: StatisticsPool | undefined;
/** One pool of statistics threads per worker process, started on first use. */
function statisticsPool(): StatisticsPool {
  pool ??= new StatisticsPool();
  return pool;
}

const HEADLINE_STATISTICS = new Set(['mean', 'mean_lm', 'binomial']);
const HEADLINE_ROWS = 60;

/** Relative change against the reference branch, all clients, enrollments basis: what a person reads first. */
function headline(rows: StatisticResultRow[], spec: AnalysisSpec): StatisticsSummary['headline'] {
  const reference = spec.experiment.referenceBranch ?? spec.experiment.branches[0]?.slug ?? null;
  return rows
    .filter(
      (r) =>
        r.comparison === 'relative_uplift' &&
        r.comparison_to_branch === reference &&
        r.segment === 'all' &&
        r.analysis_basis === 'enrollments' &&
        HEADLINE_STATISTICS.has(r.statistic),
    )
    .slice(0, HEADLINE_ROWS)
    .map((r) => ({
      metric: r.metric,
      statistic: r.statistic,
      branch: r.branch,
      referenceBranch: r.comparison_to_branch ?? '',
      point: r.point,
      lower: r.lower,
      upper: r.upper,
    }));
}

/** Warnings a statistics summary carries back to the workflow (the rest are in the logs table). */
const SUMMARY_WARNINGS = 20;

export function analysisActivities(deps: ActivityDeps): AnalysisActivities {
  const specs = new SpecResolver(deps.configRepos, deps.experiments);
  const labelsFor = (target: AnalysisTarget) => resultLabels(target.pin, deps.toolVersion);

  async function prepare(target: AnalysisTarget) {
    const resolved = await specs.resolve(target);
    const warehouse = await deps.warehouse();
    return { resolved, spec: targetSpec(resolved, target), warehouse, dialect: dialectFor(warehouse) };
  }

  function plan(
    spec: AnalysisSpec,
    target: AnalysisTarget,
    date: IsoDate,
    dialect: SqlDialect,
    periods?: AnalysisPeriod[],
  ) {
    const only = periods ?? target.periods;
    return planAnalysis(spec, date, { dataset: target.dataset, dialect, ...(only ? { periods: only } : {}) });
  }

  /** The spec, warehouse and the plan of one window that is due on `date`. */
  async function prepareWindow(target: AnalysisTarget, date: IsoDate, window: AnalysisWindowRef) {
    const prepared = await prepare(target);
    const { windows } = plan(prepared.spec, target, date, prepared.dialect, [window.period]);
    return { ...prepared, windowPlan: findWindow(windows, window, date, target.slug) };
  }

  const activities: AnalysisActivities = {
    async resolveVersions() {
      // Always the current state of the repos: this is what a new analysis gets pinned to.
      const collection = await specs.collection(null);
      return {
        toolVersion: deps.toolVersion.version,
        buildId: deps.toolVersion.buildId,
        configCommit: collection.commit,
        resolvedAt: deps.now().toISOString(),
      };
    },

    async describeExperiment({ target, today }) {
      const spec = targetSpec(await specs.resolve(target), target);
      return {
        startDate: spec.experiment.startDate,
        endDate: spec.experiment.endDate,
        status: spec.experiment.status,
        lastAnalysisDate: lastAnalysisDate(spec, addDays(today, -1)),
      };
    },

    async planDay({ target, date }): Promise<DueWork> {
      const spec = targetSpec(await specs.resolve(target), target);
      if (spec.skip) return { enrollmentsDue: false, windows: [], reason: nothingDueReason(spec, date) };
      // Planning renders every query of the day: a config that cannot be planned fails here, before any job runs.
      const planned = plan(spec, target, date, dialectFor(await deps.warehouse()));
      const windows = planned.windows.map((w) => ({
        period: w.window.period,
        windowIndex: w.window.windowIndex,
      }));
      const enrollmentsDue = planned.enrollments !== null;
      return {
        enrollmentsDue,
        windows,
        reason: enrollmentsDue || windows.length > 0 ? null : nothingDueReason(spec, date),
      };
    },

    async computeEnrollments({ target, date, recreate }) {
      const { spec, warehouse, dialect } = await prepare(target);
      const ref = { dataset: target.dataset, table: enrollmentsTableName(target.slug) };
      await warehouse.createDataset(target.dataset);
      // jetstream keeps an existing enrollments table: its creation time anchors the version pin.
      if (!recreate && (await warehouse.tableExists(ref))) {
        return { table: ref.table, rows: await rowCount(warehouse, dialect, ref), created: false };
      }
      if (spec.experiment.startDate !== null && date < spec.experiment.startDate) {
        throw new InvalidInputError(
          `${target.slug} starts ${spec.experiment.startDate}: no enrollments on ${date}`,
        );
      }
      const planned = planEnrollments({ spec, dataset: target.dataset, dialect });
      const result = await runPlannedQuery(warehouse, planned, {
        labels: labelsFor(target),
        ...warehouseJob(`enrollments ${target.slug}`),
      });
      return { table: ref.table, rows: result.rows, created: true };
    },

    async buildPopulationSample({ target, date }) {
      const { spec, warehouse, dialect } = await prepare(target);
      await warehouse.createDataset(target.dataset);
      // jetstream preview's population sample size defaults to 1 % of clients.
      const planned = planPopulationSample(
        { spec, dataset: target.dataset, dialect },
        { date, sampleSize: target.sampleSize ?? spec.sampleSize ?? 1 },
      );
      const result = await runPlannedQuery(warehouse, planned, {
        labels: labelsFor(target),
        ...warehouseJob(`population sample ${target.slug}`),
      });
      return { table: planned.destination.table, rows: result.rows };
    },

    async computeMetrics({ target, date, window }) {
      const { warehouse, windowPlan } = await prepareWindow(target, date, window);
      const summaries: TableSummary[] = [];
      // Scans first: each basis's metrics table is split from its data source's scan.
      for (const planned of [...windowPlan.metricsScans, ...windowPlan.metrics]) {
        heartbeat(planned.destination.table);
        const result = await runPlannedQuery(warehouse, planned, {
          labels: labelsFor(target),
          ...warehouseJob(planned.destination.table),
        });
        summaries.push({ table: planned.destination.table, rows: result.rows });
      }
      return summaries;
    },

    async computeStatistics({ target, date, window }): Promise<StatisticsSummary> {
      const { spec, warehouse, dialect, windowPlan } = await prepareWindow(target, date, window);
      const warnings: string[] = [];
      const groupsByBasis = new Map<AnalysisBasis, Map<string, StatisticInputGroup>>();
      for (const planned of windowPlan.statisticInputs) {
        heartbeat(planned.destination.table);
        const result = await runPlannedQuery(warehouse, planned, {
          labels: labelsFor(target),
          ...warehouseJob(planned.destination.table),
        });
        if (result.usedFallback && planned.fallback)
          warnings.push(`${planned.destination.table}: ${planned.fallback.reason}`);
        const rows = await warehouse.query<Record<string, unknown>>(
          `SELECT metric, kind, covariate_period, segment, branch, y, x, count FROM ${dialect.table(planned.destination)}`,
          warehouseJob(`reading ${planned.destination.table}`),
        );
        const basis = planned.analysisBasis ?? 'enrollments';
        const groups = groupsByBasis.get(basis) ?? new Map<string, StatisticInputGroup>();
        for (const [key, g] of groupStatisticInputRows(rows.map(toInputRow), windowPlan.window))
          groups.set(key, g);
        groupsByBasis.set(basis, groups);
      }
      const computed = await statisticRows(spec, windowPlan.window, groupsByBasis);
      warnings.push(...computed.warnings);
      const destination = {
        dataset: target.dataset,
        table: statisticsTableName(target.slug, window.period, window.windowIndex),
      };
      await warehouse.writeRows({
        destination,
        columns: STATISTICS_COLUMNS,
        rows: computed.rows,
        labels: labelsFor(target),
        mode: 'replace',
      });
      const srm = await enrollmentRatioMismatch(warehouse, dialect, spec, target.dataset, warnings);
      const unique = [...new Set(warnings)];
      // Every warning goes to the logs table; the summary (a Temporal payload) keeps the first few.
      await appendLogs(
        warehouse,
        target.dataset,
        unique.map((message) =>
          logRow(
            {
              slug: target.slug,
              date,
              stage: `statistics ${window.period} ${window.windowIndex}`,
              message,
              errorType: 'StatisticWarning',
              configCommit: target.pin.configCommit,
            },
            { now: deps.now(), toolVersion: deps.toolVersion.version, level: 'WARNING' },
          ),
        ),
      );
      return {
        table: destination.table,
        rows: computed.rows.length,
        period: window.period,
        windowIndex: window.windowIndex,
        warnings: unique.slice(0, SUMMARY_WARNINGS),
        warningCount: unique.length,
        headline: headline(computed.rows, spec),
        sampleRatioMismatch: srm,
      };
    },

    async publish({ target }) {
      const { resolved, spec, warehouse, dialect } = await prepare(target);
      return publishResults({
        warehouse,
        dialect,
        spec,
        collection: resolved.collection,
        target,
        toolVersion: deps.toolVersion,
        exportDir: deps.exportDir,
        now: deps.now(),
      });
    },

    async recordError({ dataset, error }) {
      await appendLogs(await deps.warehouse(), dataset, [
        logRow(error, { now: deps.now(), toolVersion: deps.toolVersion.version }),
      ]);
    },

    async listEligibleExperiments({ date }) {
      const eligible: EligibleExperiment[] = [];
      for (const experiment of await deps.experiments.list()) {
        if (!eligibleForDailyRun(experiment, date) || experiment.status === 'draft') continue;
        // Only a config that resolves and says so skips: a broken config still runs, so that the
        // analysis reports the config's error.
        const skip = await specs
          .resolveLatest(experiment)
          .then((r) => r.spec.skip)
          .catch(() => false);
        if (skip) continue;
        eligible.push({ slug: experiment.slug, appName: experiment.appName, status: experiment.status });
      }
      return eligible;
    },

    async dropResults({ slug, dataset, keepEnrollments }) {
      const warehouse = await deps.warehouse();
      const others = (await deps.experiments.list()).map((e) => normalizeSlug(e.slug));
      const tables = (await warehouse.listTables(dataset)).map((t) => t.ref.table);
      const mine = tables.filter((name) => belongsToExperiment(name, normalizeSlug(slug), others));
      const enrollments = enrollmentsTableName(slug);
      const toDrop = mine.filter((name) => !(keepEnrollments && name === enrollments));
      // Views first: they read the tables dropped after them.
      toDrop.sort((a, b) => Number(/_\d+$/.test(a)) - Number(/_\d+$/.test(b)));
      for (const table of toDrop) await warehouse.dropTable({ dataset, table });
      return { dropped: toDrop };
    },
  };

  return withFailureMapping(activities);
}

function toInputRow(row: Record<string, unknown>): StatisticInputRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    metric: String(row.metric),
    kind: String(row.kind) as StatisticInputRow['kind'],
    covariate_period: row.covariate_period === null ? null : String(row.covariate_period),
    segment: String(row.segment),
    branch: String(row.branch),
    y: num(row.y),
    x: num(row.x),
    count: Number(row.count),
  };
}

/** Chi-square test of enrolled clients per branch against the configured ratios (null when it cannot be computed). */
async function enrollmentRatioMismatch(
  warehouse: Warehouse,
  dialect: SqlDialect,
  spec: AnalysisSpec,
  dataset: string,
  warnings: string[],
): Promise<StatisticsSummary['sampleRatioMismatch']> {
  const ref = { dataset, table: enrollmentsTableName(spec.experiment.slug) };
  if (!(await warehouse.tableExists(ref))) return null;
  const rows = await warehouse.query<{ branch: string | null; n: number }>(
    `SELECT branch, COUNT(*) AS n FROM ${dialect.table(ref)} GROUP BY branch`,
  );
  const ratios = Object.fromEntries(spec.experiment.branches.map((b) => [b.slug, b.ratio]));
  const counts: Record<string, number> = {};
  for (const row of rows) {
    const branch = row.branch ?? '(null)';
    if (Object.hasOwn(ratios, branch)) counts[branch] = Number(row.n);
    else
      warnings.push(
        `enrollments: ${Number(row.n)} client(s) in branch '${branch}', which the experiment does not have`,
      );
  }
  try {
    const srm = sampleRatioMismatch(counts, ratios);
    return { chiSquare: srm.chiSquare, degreesOfFreedom: srm.degreesOfFreedom, pValue: srm.pValue };
  } catch (error) {
    if (!(error instanceof StatisticConfigError)) throw error;
    warnings.push(error.message);
    return null;
  }
}

const PERIODS = `(${ANALYSIS_PERIODS.join('|')})`;
const SUFFIXES = `(${Object.values(PERIOD_VIEW_SUFFIX).join('|')})`;
const BASES = `(${ANALYSIS_BASES.join('|')})`;

/** Whether a table or view of the dataset is one contrail writes for experiment `slug` (normalized). */
export function belongsToExperiment(name: string, slug: string, allSlugs: string[]): boolean {
  const patterns = (s: string) => {
    const e = s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return [
      new RegExp(`^enrollments_${e}$`),
      new RegExp(`^${e}_${BASES}_(.+_${PERIODS}_\\d+|${SUFFIXES})$`),
      new RegExp(`^statistics_${e}_(${PERIODS}_\\d+|${SUFFIXES})$`),
      new RegExp(`^metrics_${e}_.+_${PERIODS}_\\d+$`),
      new RegExp(`^statistic_inputs_${e}_${BASES}_.+_${PERIODS}_\\d+$`),
    ];
  };
  if (!patterns(slug).some((p) => p.test(name))) return false;
  // A longer slug sharing this prefix ("foo" and "foo_bar") claims its own tables.
  return !allSlugs.some(
    (other) =>
      other.length > slug.length && other.startsWith(`${slug}_`) && patterns(other).some((p) => p.test(name)),
  );
}
