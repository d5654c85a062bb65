import { executeChild } from '@temporalio/workflow';
import { dateRange } from '../dates.js';
import { analyzeExperiment } from './analyze.js';
import {
  clearResults,
  describedToday,
  describeFailure,
  pinnedTarget,
  setSearchAttributes,
  trackedAll,
  trackProgress,
  validated,
  warehouseJobs,
} from './common.js';
import { workflowIds } from './ids.js';
import { RerunInput } from './inputs.js';

export interface RerunResult {
  slug: string;
  dropped: string[];
  dates: number;
  analyzed: number;
  failed: { date: string; errorType: string; message: string }[];
}

/**
 * Recomputes an experiment from scratch on the latest tooling and configs: drops its results
 * (and, if asked, its enrollments), then analyses every date from its start to
 * min(end, yesterday).
 */
export async function rerun(raw: RerunInput): Promise<RerunResult> {
  const input = validated(RerunInput, raw, 'rerun');
  const progress = trackProgress('rerun', { stage: 'resolving' });
  const target = await pinnedTarget(input, 'rerun');
  const { pin } = target;
  const experiment = await describedToday(target);

  progress({ stage: 'dropping results' });
  const dropped = await clearResults(target, {
    expirationDays: null,
    keepEnrollments: !input.recreateEnrollments,
  });
  const dates =
    experiment.startDate && experiment.lastAnalysisDate
      ? dateRange(experiment.startDate, experiment.lastAnalysisDate)
      : [];
  const result: RerunResult = { slug: input.slug, dropped, dates: dates.length, analyzed: 0, failed: [] };
  if (dates.length === 0) return result;

  // Enrollments first, once, so the dates analysed side by side all read the same table.
  progress({ stage: 'enrollments', total: dates.length });
  await warehouseJobs.computeEnrollments({ target, date: dates.at(-1)!, recreate: false });

  progress({ stage: 'analysing' });
  const results = await trackedAll(
    dates,
    input.concurrency,
    progress,
    (date) => date,
    async (date) =>
      await executeChild(analyzeExperiment, {
        workflowId: workflowIds.analysis(input.slug, date, input.dataset),
        args: [
          {
            slug: input.slug,
            date,
            dataset: input.dataset,
            periods: input.periods,
            lenient: input.lenient,
            pin,
            publish: false,
            run: target.run,
          },
        ],
        staticSummary: `rerun of ${input.slug} for ${date}`,
      }),
  );
  results.forEach((r, i) => {
    if (r.status === 'rejected')
      result.failed.push({ date: dates[i] as string, ...describeFailure(r.reason) });
    else if (r.value.status === 'analyzed') result.analyzed++;
  });
  // Children don't publish; the rerun publishes once, over everything it recomputed.
  progress({ stage: 'publishing', current: [] });
  await warehouseJobs.publish({ target });
  progress({ stage: 'done' });
  setSearchAttributes({ stage: 'done' });
  return result;
}
