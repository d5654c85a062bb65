import type { AnalysisBasis, AnalysisSpec } from '../config/spec.js';
import type { IsoDate } from '../dates.js';
import { raisedAt } from '../errors.js';
import { statisticsTableName } from '../sql/names.js';
import type { WindowPlan } from '../sql/plan/analysis.js';
import {
  groupStatisticInputRows,
  STATISTIC_INPUT_COLUMNS,
  type StatisticInputGroup,
  toStatisticInputRow,
} from '../sql/plan/statistic-input-rows.js';
import { runPlannedQuery } from '../sql/run.js';
import { IDENTITY_METRIC, type StatisticResultRow } from '../statistics/index.js';
import type { ColumnType } from '../warehouse/warehouse.js';
import type { AnalysisContext } from './context.js';
import { logRows, recordLogs } from './logs.js';
import {
  type AnalysisWarning,
  type HeadlineRow,
  leavesResultsMissing,
  type QueryRun,
  type StatisticsSummary,
} from './results.js';
import { enrollmentRatioMismatch } from './srm.js';
import { statisticRows } from './statistic-rows.js';
import { queryRun } from './steps.js';

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

const HEADLINE_STATISTICS = new Set(['mean', 'mean_lm', 'binomial']);
const HEADLINE_ROWS = 60;

/** Relative change against the reference branch, all clients, enrollments basis: what a person reads first. */
export function headline(rows: StatisticResultRow[], spec: AnalysisSpec): HeadlineRow[] {
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

/**
 * How many clients the window analysed: its enrolment count (identity) over the branches, all
 * clients, enrollments basis. A window nobody was enrolled in still has rows, its counts of 0
 * (as jetstream publishes them); this tells it from one with results.
 */
export function enrolledClients(rows: readonly StatisticResultRow[]): number {
  let clients = 0;
  for (const r of rows) {
    if (
      r.metric === IDENTITY_METRIC &&
      r.statistic === 'count' &&
      r.comparison === null &&
      r.segment === 'all' &&
      r.analysis_basis === 'enrollments'
    )
      clients += r.point ?? 0;
  }
  return clients;
}

/** Warnings a statistics summary carries back (the rest are in the logs table). */
const SUMMARY_WARNINGS = 20;

/**
 * The warnings a statistics summary keeps, of all a window's statistics gave (each once): the
 * errors first (a statistic that could not be computed, logged at level ERROR), so that the
 * run's report always shows them, then those that leave results null or missing, so that
 * informational ones (values left out, rounding) cannot crowd them out, each kind in the order
 * they came.
 */
export function summaryWarnings(unique: readonly AnalysisWarning[]): AnalysisWarning[] {
  const errors = unique.filter((w) => w.exceptionType !== undefined);
  const rest = unique.filter((w) => w.exceptionType === undefined);
  const missing = rest.filter((w) => leavesResultsMissing(w.message));
  const informing = rest.filter((w) => !leavesResultsMissing(w.message));
  return [...errors, ...missing, ...informing].slice(0, SUMMARY_WARNINGS);
}

/** Who logs the warnings of a statistics step, and when. */
export interface WarningLog {
  date: IsoDate;
  configCommit: string | null;
  now: Date;
  toolVersion: string;
}

/**
 * One window's statistics: the statistic-input queries (value histograms) run and read back,
 * the statistics engine over them, the rows written to `statistics_<slug>_<period>_<window>`,
 * the sample ratio check, every warning appended to the logs table; a small summary returned.
 */
export async function computeWindowStatistics(
  ctx: AnalysisContext,
  windowPlan: WindowPlan,
  log: WarningLog,
): Promise<StatisticsSummary> {
  const { spec, warehouse, progress } = ctx;
  const { window } = windowPlan;
  const warnings: AnalysisWarning[] = [];
  const queries: QueryRun[] = [];
  const groupsByBasis = new Map<AnalysisBasis, Map<string, StatisticInputGroup>>();
  for (const planned of windowPlan.statisticInputs) {
    progress.step(planned.destination.table);
    const table = ctx.results.published(planned.destination.table);
    const result = await runPlannedQuery(warehouse, planned, {
      labels: ctx.labels,
      table,
      ...progress.job(planned.destination.table),
    });
    queries.push(queryRun(table, result));
    if (result.usedFallback && planned.fallback) {
      warnings.push({
        message: `${table}: ${planned.fallback.reason}`,
        subjects: [{ query: table, period: window.period }],
      });
    }
    const rows = await warehouse.readRows(
      planned.destination,
      STATISTIC_INPUT_COLUMNS,
      progress.job(`reading ${planned.destination.table}`),
    );
    const basis = planned.analysisBasis ?? 'enrollments';
    const groups = groupsByBasis.get(basis) ?? new Map<string, StatisticInputGroup>();
    for (const [key, g] of groupStatisticInputRows(rows.map(toStatisticInputRow), window)) groups.set(key, g);
    groupsByBasis.set(basis, groups);
  }
  // The activity's cancellation reaches the statistics threads too: a bootstrap runs for seconds,
  // heartbeating as it goes so that the cancellation is heard.
  const computing = progress.job('computing statistics');
  const computed = await statisticRows(spec, window, groupsByBasis, computing);
  warnings.push(...computed.warnings);
  const table = statisticsTableName(spec.experiment.slug, window.period, window.windowIndex);
  const staged = ctx.results.written(table);
  await warehouse.writeRows({
    destination: { dataset: ctx.dataset, table: staged },
    columns: STATISTICS_COLUMNS,
    rows: computed.rows,
    labels: ctx.labels,
    mode: 'replace',
    expirationDays: ctx.results.expirationDays(staged),
  });
  const srmWarnings: string[] = [];
  const srm = await enrollmentRatioMismatch(warehouse, spec, ctx.dataset, srmWarnings);
  warnings.push(...srmWarnings.map((message) => ({ message, subjects: [] })));
  const unique = [...new Map(warnings.map((w) => [w.message, w])).values()];
  // Cancelled while its rows were written or its sample ratio checked, the step logs nothing:
  // its warnings are of results that will not be published.
  computing.signal?.throwIfAborted();
  // Where they are logged, as jetstream's logger records where its call was: the statistics
  // threads that found them say no more than their message.
  const loggedAt = raisedAt(new Error().stack);
  // Every warning goes to the logs table; the summary (a Temporal payload) keeps the first few.
  await recordLogs(
    warehouse,
    ctx.dataset,
    unique.flatMap((w) =>
      logRows(
        {
          slug: spec.experiment.slug,
          date: log.date,
          stage: `statistics ${window.period} ${window.windowIndex}`,
          message: w.message,
          // A statistic jetstream could not compute is its exception, at its level.
          errorType: w.exceptionType ?? 'StatisticWarning',
          configCommit: log.configCommit,
          subjects: w.subjects,
          raisedAt: loggedAt,
        },
        { now: log.now, toolVersion: log.toolVersion, level: w.exceptionType ? 'ERROR' : 'WARNING' },
      ),
    ),
  );
  const kept = summaryWarnings(unique);
  return {
    table,
    rows: computed.rows.length,
    enrolled: enrolledClients(computed.rows),
    period: window.period,
    windowIndex: window.windowIndex,
    warnings: kept.map((w) => w.message),
    warningCount: unique.length,
    errorCount: unique.filter((w) => w.exceptionType !== undefined).length,
    // An error's statistic is missing anyway: counted here are the warnings that leave results so.
    resultsMissing: unique.filter((w) => w.exceptionType === undefined && leavesResultsMissing(w.message))
      .length,
    warningDetails: kept,
    headline: headline(computed.rows, spec),
    sampleRatioMismatch: srm,
    queries,
  };
}
