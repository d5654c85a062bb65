import type { AnalysisBasis, AnalysisSpec, StatisticSpec } from '../config/spec.js';
import { type StatisticInputGroup, statisticInputKey } from '../sql/plan/statistic-input-rows.js';
import type { AnalysisWindow } from '../sql/windows.js';
import {
  computeStatistic,
  IDENTITY_METRIC,
  requiredInput,
  type StatisticResultRow,
} from '../statistics/index.js';
import { StatisticsPool, type StatisticTask } from '../statistics/pool.js';
import { statisticSeed } from './seed.js';

/** The covariate_adjustment of a statistic removed: what jetstream computes when the pre-period table is missing. */
function withoutCovariate(statistic: StatisticSpec): StatisticSpec {
  const { covariate_adjustment: _dropped, ...params } = statistic.params;
  return { ...statistic, params };
}

let pool: StatisticsPool | undefined;
/** One pool of statistics threads per process, started on first use. */
function statisticsPool(): StatisticsPool {
  pool ??= new StatisticsPool();
  return pool;
}

/**
 * Every statistic of every metric of the window, for each basis and segment ('all' first),
 * from the value histograms of the statistic-input tables, plus jetstream's enrolment counts
 * (metric `identity`, statistic `count`). The statistics run on worker threads.
 */
export async function statisticRows(
  spec: AnalysisSpec,
  window: AnalysisWindow,
  groupsByBasis: Map<AnalysisBasis, Map<string, StatisticInputGroup>>,
): Promise<{ rows: StatisticResultRow[]; warnings: string[] }> {
  const tasks: { task: StatisticTask; basis: AnalysisBasis; segment: string }[] = [];
  const rows: StatisticResultRow[] = [];
  const warnings: string[] = [];
  const slug = spec.experiment.slug;
  const segments = ['all', ...spec.segments.map((s) => s.name)];
  const windowIndex = String(window.windowIndex);
  const referenceBranch = spec.experiment.referenceBranch;
  const context = (segment: string, basis: AnalysisBasis, metric: string, statistic: string) => ({
    segment,
    analysisBasis: basis,
    windowIndex,
    referenceBranch,
    seed: statisticSeed([slug, metric, statistic, segment, basis, window.period, windowIndex]),
  });
  for (const [basis, groups] of groupsByBasis) {
    for (const segment of segments) {
      // Every input of a basis covers the same clients (null values are kept as bins), so any
      // group of the segment gives the enrolment count per branch.
      const any = [...groups.values()].find((g) => g.segment === segment);
      if (any) {
        const counted = computeStatistic(
          { name: 'count', params: {}, preTreatments: [] },
          { metric: IDENTITY_METRIC, branches: any.branches, windowDays: any.windowDays },
          context(segment, basis, IDENTITY_METRIC, 'count'),
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
          tasks.push({
            basis,
            segment,
            task: {
              statistic: effective,
              input: { metric: metric.name, branches: input.branches, windowDays: input.windowDays },
              context: context(segment, basis, metric.name, statistic.name),
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
