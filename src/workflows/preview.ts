import { executeChild, setHandler } from '@temporalio/workflow';
import type { Pin, StatisticsSummary } from '../activities/types.js';
import { addDays, dateRange } from '../dates.js';
import { type AnalysisResult, analyzeExperiment } from './analyze.js';
import {
  clearResults,
  describedToday,
  pinnedTarget,
  pinQuery,
  resolvePin,
  setSearchAttributes,
  trackProgress,
  validated,
  warehouseJobs,
} from './common.js';
import { workflowIds } from './ids.js';
import { PreviewInput } from './inputs.js';

export interface PreviewResult {
  slug: string;
  dataset: string;
  startDate: string;
  endDate: string;
  sampleSize: number;
  pin: Pin;
  /** Per analysed date: what was computed. */
  days: {
    date: string;
    status: AnalysisResult['status'];
    reason: string | null;
    statistics: StatisticsSummary[];
  }[];
  views: string[];
}

/**
 * jetstream's preview (seed 000): the analysis of a few days on a small sample, written to a
 * dataset whose tables expire, so a config author sees results before merging a config.
 */
export async function preview(raw: PreviewInput): Promise<PreviewResult> {
  const input = validated(PreviewInput, raw, 'preview');
  const progress = trackProgress('preview', { stage: 'resolving' });
  // A preview shows what this build makes of the newest configs (and its tables expire): it is
  // pinned to the build that runs it, and its analyses run as children on the same build.
  const pin = await resolvePin(
    input.slug,
    input.dataset,
    { useLatest: false, useVersion: null },
    { mode: 'running' },
  );
  setHandler(pinQuery, () => pin);
  const target = pinnedTarget(input, 'preview', pin);

  // Default range: the last 3 days on which something is due (not "today", which may lie
  // long after an experiment ended).
  const described = await describedToday(target);
  const endDate = input.endDate ?? described.lastAnalysisDate ?? addDays(described.today, -1);
  const startDate = input.startDate ?? addDays(endDate, -2);
  const dates = dateRange(startDate, endDate);

  progress({ stage: 'preparing', total: dates.length });
  // A preview starts clean: an earlier preview's tables (other sample size, other config) must not mix in.
  await clearResults(target, { expirationDays: input.expirationDays, keepEnrollments: false });
  if (input.generatePopulation) await warehouseJobs.buildPopulationSample({ target, date: endDate });

  const days: PreviewResult['days'] = [];
  let views: string[] = [];
  for (const [i, date] of dates.entries()) {
    progress({ stage: 'analysing', current: [date], done: i });
    const analysis = await executeChild(analyzeExperiment, {
      workflowId: `${workflowIds.preview(input.slug, input.dataset)}/${date}`,
      args: [
        {
          slug: input.slug,
          date,
          dataset: input.dataset,
          periods: input.periods,
          lenient: input.lenient,
          configOverride: input.configOverride,
          sampleSize: input.sampleSize,
          pin,
          run: target.run,
          exports: input.exports,
        },
      ],
      staticSummary: `preview of ${input.slug} on ${date}`,
    });
    days.push({ date, status: analysis.status, reason: analysis.reason, statistics: analysis.statistics });
    if (analysis.views.length) views = analysis.views;
  }
  progress({ stage: 'done', done: dates.length, current: [] });
  setSearchAttributes({ stage: 'done' });
  return {
    slug: input.slug,
    dataset: input.dataset,
    startDate,
    endDate,
    sampleSize: input.sampleSize,
    pin,
    days,
    views,
  };
}
