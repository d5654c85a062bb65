import { continueAsNew, executeChild, workflowInfo } from '@temporalio/workflow';
import type { Pin } from '../activities/types.js';
import { dateRange } from '../dates.js';
import { analyzeExperiment } from './analyze.js';
import {
  describeFailure,
  light,
  setSearchAttributes,
  trackedAll,
  trackProgress,
  validated,
  warehouseJobs,
} from './common.js';
import { workflowIds } from './ids.js';
import { BackfillInput } from './inputs.js';

export interface BackfillResult {
  total: number;
  analyzed: number;
  nothingDue: number;
  failed: { slug: string; date: string; errorType: string; message: string }[];
}

interface Carried {
  offset: number;
  result: BackfillResult;
  /** Each experiment's pin, resolved once when the backfill started: every day uses the same. */
  pins: Record<string, Pin>;
}

/**
 * Experiments × dates, each experiment-day an analyzeExperiment child (id
 * `analysis/<slug>/<date>`), at most `concurrency` at once, in date order. Temporal keeps the
 * children it already started in the history, so a restarted worker resumes without
 * repeating them; long ranges continue as new every `continueAsNewAfter` children.
 */
export async function backfill(raw: BackfillInput, carried: Carried | null = null): Promise<BackfillResult> {
  const input = validated(BackfillInput, raw, 'backfill');
  const items = dateRange(input.startDate, input.endDate).flatMap((date) =>
    input.slugs.map((slug) => ({ slug, date })),
  );
  const offset = carried?.offset ?? 0;
  const result: BackfillResult = carried?.result ?? {
    total: items.length,
    analyzed: 0,
    nothingDue: 0,
    failed: [],
  };
  const batch = items.slice(offset, offset + input.continueAsNewAfter);
  const pins = carried?.pins ?? {};
  for (const slug of input.slugs) pins[slug] ??= await light.resolveVersions({ slug });

  setSearchAttributes({ slug: input.slugs.length === 1 ? input.slugs[0] : undefined, stage: 'backfill' });
  const progress = trackProgress('backfill', {
    stage: 'analysing',
    total: items.length,
    done: offset,
    failed: result.failed.length,
  });
  const results = await trackedAll(
    batch,
    input.concurrency,
    progress,
    ({ slug, date }) => `${slug} ${date}`,
    async ({ slug, date }) =>
      await executeChild(analyzeExperiment, {
        workflowId: workflowIds.analysis(slug, date, input.dataset),
        // Children don't publish: the backfill publishes each experiment once, at its end.
        args: [
          {
            slug,
            date,
            dataset: input.dataset,
            periods: input.periods,
            lenient: input.lenient,
            pin: pins[slug],
            publish: false,
            // Staged under the backfill's run: it publishes them, once, at its end.
            run: workflowInfo().workflowId,
          },
        ],
        staticSummary: `analysis of ${slug} on ${date}`,
      }),
    { done: offset, failed: result.failed.length },
  );
  results.forEach((r, i) => {
    const { slug, date } = batch[i] as { slug: string; date: string };
    if (r.status === 'rejected') result.failed.push({ slug, date, ...describeFailure(r.reason) });
    else if (r.value.status === 'analyzed') result.analyzed++;
    else result.nothingDue++;
  });

  const nextOffset = offset + batch.length;
  if (nextOffset < items.length) {
    await continueAsNew<typeof backfill>(raw, { offset: nextOffset, result, pins });
  }
  progress({ stage: 'publishing', current: [] });
  const days = items.length / input.slugs.length;
  for (const slug of input.slugs) {
    // Every day of it failed: nothing new to publish, and publishing would only report the
    // same failure (a broken config) a second time.
    if (result.failed.filter((f) => f.slug === slug).length === days) continue;
    try {
      await warehouseJobs.publish({
        target: {
          slug,
          dataset: input.dataset,
          pin: pins[slug] as Pin,
          configOverride: null,
          sampleSize: null,
          periods: input.periods,
          lenient: input.lenient,
          run: workflowInfo().workflowId,
        },
      });
    } catch (error) {
      const { errorType, message } = describeFailure(error);
      result.failed.push({ slug, date: input.endDate, errorType, message: `publish: ${message}` });
    }
  }
  progress({ stage: 'done' });
  setSearchAttributes({ stage: 'done' });
  return result;
}
