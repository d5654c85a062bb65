import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { executeChild, workflowInfo } from '@temporalio/workflow';
import { addDays, isoDate } from '../dates.js';
import { type AnalysisResult, analyzeExperiment } from './analyze.js';
import {
  describeFailure,
  light,
  setSearchAttributes,
  trackedAll,
  trackProgress,
  validated,
} from './common.js';
import { workflowIds } from './ids.js';
import { DailyAnalysisInput } from './inputs.js';

export interface DailyAnalysisResult {
  date: string;
  analyzed: { slug: string; status: AnalysisResult['status']; statisticsTables: number }[];
  failed: { slug: string; errorType: string; message: string }[];
}

const SCHEDULED_START_TIME = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

/** The date a scheduled run analyses: the day before its scheduled start time. */
function defaultDate(): string {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START_TIME);
  const start = scheduled instanceof Date ? scheduled : info.startTime;
  return addDays(isoDate(start), -1);
}

/**
 * Every eligible experiment for one date (jetstream's selection: live or ended within 90
 * days, not skipped, not rollouts), each as its own analyzeExperiment child with bounded
 * concurrency. One experiment's failure does not fail the others; it is reported.
 */
export async function dailyAnalysis(raw: DailyAnalysisInput = {}): Promise<DailyAnalysisResult> {
  const input = validated(DailyAnalysisInput, raw, 'dailyAnalysis');
  const date = input.date ?? defaultDate();
  setSearchAttributes({ stage: 'selecting' });
  const progress = trackProgress('dailyAnalysis', { stage: 'selecting experiments' });
  const experiments = await light.listEligibleExperiments({ date });
  progress({ stage: 'analysing', total: experiments.length });
  setSearchAttributes({ stage: 'analysing' });

  const results = await trackedAll(
    experiments,
    input.concurrency,
    progress,
    ({ slug }) => slug,
    async ({ slug }) =>
      await executeChild(analyzeExperiment, {
        workflowId: workflowIds.analysis(slug, date, input.dataset),
        args: [{ slug, date, dataset: input.dataset }],
        staticSummary: `analysis of ${slug} on ${date}`,
      }),
  );

  const outcome: DailyAnalysisResult = { date, analyzed: [], failed: [] };
  results.forEach((result, i) => {
    const slug = experiments[i]!.slug;
    if (result.status === 'fulfilled') {
      outcome.analyzed.push({
        slug,
        status: result.value.status,
        statisticsTables: result.value.statistics.length,
      });
    } else {
      outcome.failed.push({ slug, ...describeFailure(result.reason) });
    }
  });
  progress({ stage: 'done', current: [] });
  setSearchAttributes({ stage: 'done' });
  return outcome;
}
