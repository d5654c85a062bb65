import type { AnalysisBasis, AnalysisSpec, MetricSpec } from '../config/spec.js';
import type { ErrorSubject } from '../errors.js';
import { type StatisticInputGroup, statisticInputKey } from '../sql/plan/statistic-input-rows.js';
import { type AnalysisWindow, windowDays } from '../sql/windows.js';
import {
  type BranchBins,
  computeStatistic,
  IDENTITY_METRIC,
  requiredInput,
  type StatisticContext,
  type StatisticResultRow,
} from '../statistics/index.js';
import { StatisticsPool, type StatisticTask } from '../statistics/pool.js';
import type { StatisticSpec } from '../statistics/spec.js';
import type { QueryProgress } from '../warehouse/warehouse.js';
import { StatisticsFailedError } from './errors.js';
import type { AnalysisWarning } from './results.js';
import { statisticSeed } from './seed.js';

/** The covariate_adjustment of a statistic removed: what jetstream computes when the pre-period table is missing. */
function withoutCovariate(statistic: StatisticSpec): StatisticSpec {
  const { covariate_adjustment: _dropped, ...params } = statistic.params;
  return { ...statistic, params };
}

/**
 * How often a window's statistics say how far they got while they compute. A bootstrap keeps
 * its threads busy for seconds to minutes, and an activity hears of its cancellation only in the
 * answer to a heartbeat: with only the activity's keep-alive (every 5 s) to ask, a cancelled
 * analysis would compute on for seconds, and a short step to its end, writing its results.
 */
export const STATISTICS_PROGRESS_MS = 1_000;

/**
 * Runs `compute`, telling `progress` how many of `total` statistics are done: at once, then
 * every STATISTICS_PROGRESS_MS until it settles.
 */
async function reportingProgress<T>(
  progress: QueryProgress,
  total: number,
  compute: (onSettled: () => void) => Promise<T>,
): Promise<T> {
  const { onProgress } = progress;
  let done = 0;
  if (onProgress === undefined) return await compute(() => undefined);
  const started = Date.now();
  const report = () =>
    onProgress({ elapsedMs: Date.now() - started, detail: `${done} of ${total} statistics` });
  report();
  const timer = setInterval(report, STATISTICS_PROGRESS_MS);
  try {
    return await compute(() => done++);
  } finally {
    clearInterval(timer);
  }
}

let pool: StatisticsPool | undefined;
/** One pool of statistics threads per process, started on first use. */
function statisticsPool(): StatisticsPool {
  pool ??= new StatisticsPool();
  return pool;
}

/** A statistic of a metric in a window, and where its config author would look. */
function statisticSubject(metric: MetricSpec, statistic: StatisticSpec, period: string): ErrorSubject {
  const at = statistic.provenance ?? metric.provenance;
  return {
    metric: metric.name,
    statistic: statistic.name,
    period,
    file: at.file,
    key: at.key,
    line: at.line,
  };
}

/** `basis, segment …` places of one message, in the order they were met. */
function placesOf(bases: Map<AnalysisBasis, string[]>): {
  analysisBasis: string;
  segment: string;
  text: string;
} {
  const places = [...bases].map(
    ([basis, segs]) => `${basis} basis, segment${segs.length > 1 ? 's' : ''} ${segs.join(', ')}`,
  );
  return {
    analysisBasis: [...bases.keys()].join(', '),
    segment: [...new Set([...bases.values()].flat())].join(', '),
    text: places.join('; '),
  };
}

/**
 * Why a basis and segment of a window have no statistics but the enrolment count: they hold no
 * client. The window is not in the message (each log row and report line names it), so windows
 * with the same gap read as one message.
 */
function emptyPopulation(basis: AnalysisBasis, segment: string): string {
  const who =
    segment !== 'all'
      ? `no client of the ${basis} basis is in segment ${segment}`
      : basis === 'exposures'
        ? 'no enrolled client has an exposure'
        : 'no client is enrolled';
  return `${basis} basis, segment ${segment}: ${who}; no statistics for it but its enrolment count (identity), 0 in every branch`;
}

/**
 * jetstream's enrolment count (metric `identity`, statistic `count`) of one basis and segment:
 * every client of a branch counts (identity is 1 for each, whatever its metric values), and a
 * branch of the experiment with no client there counts 0, as jetstream adds it, rather than
 * having no row: Experimenter's client counts and population shares read one row per branch.
 */
function identityCounts(
  experimentBranches: readonly { slug: string }[],
  present: readonly BranchBins[],
  days: number,
  ctx: StatisticContext,
): StatisticResultRow[] {
  const branches = present.map((b) => ({
    branch: b.branch,
    bins: b.bins.map((bin) => ({ y: 1, count: bin.count })),
  }));
  for (const { slug } of experimentBranches) {
    if (!branches.some((b) => b.branch === slug)) branches.push({ branch: slug, bins: [] });
  }
  // An identity count has no missing values to warn about.
  return computeStatistic(
    { name: 'count', params: {}, preTreatments: [] },
    { metric: IDENTITY_METRIC, branches, windowDays: days },
    ctx,
  ).rows;
}

/**
 * Every statistic of every metric of the window, for each basis and segment ('all' first),
 * from the value histograms of the statistic-input tables, plus jetstream's enrolment counts
 * (metric `identity`, statistic `count`). The statistics run on worker threads. A statistic
 * whose own code throws is a StatisticComputationException among the warnings (at level ERROR,
 * as jetstream logs it), and the others' rows stand. A statistic the pool could not run (its
 * thread crashed or ran out of memory) stops no other either; once all have run, every such
 * failure is thrown together (StatisticsFailedError), each naming its metric, statistic and
 * config key, and the window has no results.
 */
export async function statisticRows(
  spec: AnalysisSpec,
  window: AnalysisWindow,
  groupsByBasis: Map<AnalysisBasis, Map<string, StatisticInputGroup>>,
  /**
   * `signal` stops the computation (a cancelled analysis): it throws the signal's reason.
   * `onProgress` hears how many statistics are done, at once and every STATISTICS_PROGRESS_MS
   * while they run (an activity heartbeats from it, and hears its cancellation in the answer).
   */
  progress: QueryProgress = {},
): Promise<{ rows: StatisticResultRow[]; warnings: AnalysisWarning[] }> {
  const tasks: { task: StatisticTask; basis: AnalysisBasis; segment: string; subject: ErrorSubject }[] = [];
  const rows: StatisticResultRow[] = [];
  const warnings: AnalysisWarning[] = [];
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
      if (!any) {
        // No input row at all: no client is in this basis and segment, so every statistic of
        // every metric would say "nothing computed". Say it once, with the reason. jetstream
        // still publishes the enrolment count of such a segment, 0 for every branch (its metric
        // statistics see no branch and give no row, and log nothing): Experimenter's client
        // counts read one row per branch of each basis and segment analysed.
        const inputs = spec.metrics[window.period]?.some((m) => m.analysisBases.includes(basis));
        if (inputs) {
          rows.push(
            ...identityCounts(
              spec.experiment.branches,
              [],
              windowDays(window),
              context(segment, basis, IDENTITY_METRIC, 'count'),
            ),
          );
          warnings.push({
            message: emptyPopulation(basis, segment),
            subjects: [{ analysisBasis: basis, segment, period: window.period }],
          });
        }
        continue;
      }
      rows.push(
        ...identityCounts(
          spec.experiment.branches,
          any.branches,
          any.windowDays,
          context(segment, basis, IDENTITY_METRIC, 'count'),
        ),
      );
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
          const subject = statisticSubject(metric, statistic, window.period);
          if (!input) {
            warnings.push({
              message: `${metric.name}/${statistic.name} (${basis}, segment ${segment}): no statistic input rows; nothing computed`,
              subjects: [{ ...subject, analysisBasis: basis, segment }],
            });
            continue;
          }
          tasks.push({
            basis,
            segment,
            subject,
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
  const outcomes = await reportingProgress(progress, tasks.length, (onSettled) =>
    statisticsPool().computeEach(
      tasks.map((t) => t.task),
      progress.signal,
      onSettled,
    ),
  );
  // The same warning (or failure) for several segments and bases is reported once, naming where it applies.
  type Places = { subject: ErrorSubject; bases: Map<AnalysisBasis, string[]>; permanent: boolean };
  const warned = new Map<string, Places>();
  // What jetstream logs as a StatisticComputationException (the statistic's other rows stand).
  const uncomputable = new Map<string, Places>();
  const failed = new Map<string, Places & { message: string }>();
  const add = (places: Places, basis: AnalysisBasis, segment: string) =>
    places.bases.set(basis, [...(places.bases.get(basis) ?? []), segment]);
  outcomes.forEach((out, i) => {
    const task = tasks[i];
    if (!task) return;
    if (!out.ok && out.byStatistic) {
      // The statistic threw on its input or parameters (a bug, or an input it cannot handle): as
      // jetstream's Statistic.apply, its StatisticComputationException is logged and the other
      // statistics are published. Computed again, it would throw again.
      const { metric, statistic } = task.subject;
      const named = out.error.name === 'Error' ? '' : `${out.error.name}: `;
      const message = `${metric}/${statistic}: error while computing the statistic: ${named}${out.error.message}; no results`;
      const entry = uncomputable.get(message) ?? { subject: task.subject, bases: new Map(), permanent: true };
      add(entry, task.basis, task.segment);
      uncomputable.set(message, entry);
      return;
    }
    if (!out.ok) {
      // The pool could not run it (a thread that crashed or ran out of memory): nothing about
      // the statistic, so the window fails and is retried rather than published without it.
      const key = JSON.stringify([task.subject.metric, task.subject.statistic, out.error.message]);
      const entry = failed.get(key) ?? {
        subject: task.subject,
        bases: new Map(),
        permanent: true,
        message: out.error.message,
      };
      entry.permanent &&= out.error.permanent;
      add(entry, task.basis, task.segment);
      failed.set(key, entry);
      return;
    }
    rows.push(...out.result.rows);
    for (const [messages, into] of [
      [out.result.warnings, warned],
      [out.result.computationErrors ?? [], uncomputable],
    ] as const) {
      for (const w of messages) {
        const entry = into.get(w) ?? { subject: task.subject, bases: new Map(), permanent: true };
        add(entry, task.basis, task.segment);
        into.set(w, entry);
      }
    }
  });
  if (failed.size > 0) {
    throw new StatisticsFailedError(
      [...failed.values()].map((f) => {
        const { analysisBasis, segment } = placesOf(f.bases);
        return { ...f.subject, analysisBasis, segment, message: f.message, permanent: f.permanent };
      }),
    );
  }
  // One subject per basis, naming that basis's own segments: each logged row then says which
  // segments went with which basis, and the errors export can list every basis and segment on
  // its own, as jetstream logs them.
  for (const [exceptionType, messages] of [
    [null, warned],
    ['StatisticComputationException', uncomputable],
  ] as const) {
    for (const [w, entry] of messages) {
      const { text } = placesOf(entry.bases);
      warnings.push({
        message: `${w} (${text})`,
        subjects: [...entry.bases].map(([basis, segs]) => ({
          ...entry.subject,
          analysisBasis: basis,
          segment: [...new Set(segs)].join(', '),
        })),
        ...(exceptionType !== null ? { exceptionType } : {}),
      });
    }
  }
  return { rows, warnings };
}
