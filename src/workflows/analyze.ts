import { setHandler } from '@temporalio/workflow';
import type { AnalysisWindowRef, Pin, QueryRun, StatisticsSummary } from '../activities/types.js';
import { failedTogether, withQueriesRun } from '../temporal/failures.js';
import { type AnalysisResult, analyzedResult, nothingDueResult } from './analysis-result.js';
import {
  describeFailure,
  light,
  pinnedTarget,
  pinQuery,
  raisedAtOf,
  resolvePin,
  setSearchAttributes,
  trackedAll,
  trackProgress,
  validated,
  warehouseJobs,
} from './common.js';
import { AnalyzeExperimentInput } from './inputs.js';
import { publishToItsEnd } from './publish.js';

const windowName = (w: AnalysisWindowRef) => `${w.period} ${w.windowIndex}`;

/**
 * One experiment, one date: the windows that complete on that date. Enrollments (once), then
 * every window's metrics, then every window's statistics (they read pre-enrollment metrics as
 * covariates), then publish. A failure is logged to the dataset's logs table and fails the run.
 *
 * The pin comes from the parent that started this run on the pinned build; started on its
 * own, the run resolves it and computes only if it runs on the pinned build (its activities
 * refuse any other, see checkPinnedBuild).
 */
export async function analyzeExperiment(raw: AnalyzeExperimentInput): Promise<AnalysisResult> {
  const input = validated(AnalyzeExperimentInput, raw, 'analyzeExperiment');
  const progress = trackProgress('analyzeExperiment', { stage: 'resolving versions' });
  let stage = 'resolveVersions';
  let pinned: Pin | null = input.pin;
  setHandler(pinQuery, () => pinned);
  pinned ??= await resolvePin(input.slug, input.dataset, input, { here: true });
  const target = pinnedTarget(input, stage, pinned);
  const { pin } = target;
  const enter = (next: string, label: string) => {
    stage = next;
    setSearchAttributes({ stage: next });
    progress({ stage: label });
  };

  // Every query that ran to the end, in the order steps finished: a failed preview reports them.
  const queries: QueryRun[] = [];
  try {
    enter('plan', 'planning');
    const due = await light.planDay({ target, date: input.date });
    if (!due.enrollmentsDue && due.windows.length === 0) {
      enter('done', 'nothing due');
      return nothingDueResult(input.slug, input.date, pin, due.reason);
    }
    progress({ total: due.windows.length * 2 + 2 });

    enter('enrollments', 'enrollments');
    const enrollments = input.generatePopulation
      ? { ...(await warehouseJobs.buildPopulationSample({ target, date: input.date })), created: true }
      : await warehouseJobs.computeEnrollments({
          target,
          date: input.date,
          recreate: input.recreateEnrollments,
        });
    progress({ done: 1 });

    enter('metrics', 'metrics');
    const metricsTables: string[] = [];
    queries.push(...(enrollments.queries ?? []));
    await all(due.windows, async (window) => {
      const tables = await warehouseJobs.computeMetrics({ target, date: input.date, window });
      metricsTables.push(...tables.map((t) => t.table));
      queries.push(...tables.flatMap((t) => t.queries ?? []));
    });

    enter('statistics', 'statistics');
    const statistics: StatisticsSummary[] = [];
    await all(due.windows, async (window) => {
      const summary = await warehouseJobs.computeStatistics({ target, date: input.date, window });
      queries.push(...(summary.queries ?? []));
      // The queries travel once, in `queries`; the summary keeps its table, headline and warnings.
      const { queries: _own, ...rest } = summary;
      statistics.push(rest);
    });

    let views: string[] = [];
    if (input.publish) {
      enter('publish', 'publishing');
      const publish = () => warehouseJobs.publish({ target, exports: input.exports });
      views = (await publishToItsEnd(publish)).views;
    }
    enter('done', 'done');
    progress({ done: due.windows.length * 2 + 2, current: [] });
    return analyzedResult({
      slug: input.slug,
      date: input.date,
      pin,
      enrollments,
      metricsTables,
      statistics,
      views,
      queries,
    });
  } catch (error) {
    const failure = describeFailure(error);
    progress({ failed: 1 });
    // Logging must not hide the failure it logs.
    await light
      .recordError({
        dataset: input.dataset,
        error: {
          slug: input.slug,
          date: input.date,
          stage,
          message: failure.message,
          errorType: failure.errorType,
          configCommit: pin.configCommit,
          subjects: failure.subjects,
          raisedAt: raisedAtOf(error),
        },
        // The errors file is written as the run's exports would be: a results page then says
        // why this date's results did not come (the activity's input only, so replay-safe).
        exports: input.exports,
        preview: input.preview,
        // Scopes that file to the current analysis week as of this run's start.
        target,
      })
      .catch(() => undefined);
    // A preview says per query what happened on a failed date: the failure carries what ran.
    throw input.preview ? withQueriesRun(error, queries) : error;
  }

  /**
   * Windows run side by side; their failures fail the analysis once all have settled. When
   * several windows failed on the config or data, all their errors are raised together, so a
   * config author sees every broken data source and metric of the date at once.
   */
  async function all(
    windows: AnalysisWindowRef[],
    fn: (w: AnalysisWindowRef) => Promise<void>,
  ): Promise<void> {
    const { done } = progress({});
    const results = await trackedAll(windows, 4, progress, windowName, fn, { done, failed: 0 });
    const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
    if (failed.length > 0) throw failedTogether(failed, 'window');
  }
}
