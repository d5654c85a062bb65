import { continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Pin, PublishSummary, RunOutcome, WaitingRun } from '../activities/types.js';
import type { AnalysableDates } from '../analysis/analysable-dates.js';
import { publishFailureMessage, tallyWarnings, type WarningTally } from '../analysis/results.js';
import { dateRange } from '../dates.js';
import { toolVersionKey } from '../versions/pin.js';
import type { StorageRefusal } from '../warehouse/errors.js';
import type { AnalysisResult } from './analysis-result.js';
import {
  enterStage,
  pinsQuery,
  resolvePins,
  setSearchAttributes,
  trackProgress,
  validated,
} from './common.js';
import { notReached, notStarted, type RunItem } from './fan-out.js';
import { workflowIds } from './ids.js';
import { BackfillInput } from './inputs.js';
import { nothingDue, pinnedAnalysis, pinnedPublication, runAll, stopOnStorage } from './runs.js';

export interface BackfillResult {
  total: number;
  analyzed: number;
  nothingDue: number;
  failed: { slug: string; date: string; errorType: string; message: string }[];
  /** The dataset analysed into, whose logs table has every warning (absent in older results). */
  dataset?: string;
  /** The warnings of each experiment's statistics, counted over its dates (absent in older results). */
  warnings?: Record<string, WarningTally>;
  /** The tooling (`<version>+<build>`) and config commit each experiment was analysed with. */
  pins: Record<string, { toolVersion: string; configCommit: string | null }>;
  /** Analyses that waited for a worker of their pinned build, and since when. */
  waited: WaitingRun[];
  /**
   * Per experiment, how many of its dates were before its last enrollment date or after its end
   * date (counted as nothing due, no analysis started), with its dates and pin (absent in older
   * results).
   */
  outside?: Record<string, { days: number; dates: AnalysableDates; pin: Pin }>;
  /**
   * Set when an experiment-day failed because the embedded warehouse's file system refused its
   * writes (full or read-only): every later one would fail alike, so none was started after it
   * (the runs already started ended as they did, their failures in `failed`), and nothing was
   * published: the published tables are as they were before the backfill. The failure is the
   * first of `failed` on that slug and date.
   */
  storageStopped?: { slug: string; date: string; storage: StorageRefusal; notAttempted: number };
}

/** An experiment's pin, or why it has none: resolved once when the backfill started. */
type CarriedPin =
  | { pin: Pin; refusal: { errorType: string; message: string } | null; dates?: AnalysableDates }
  | { error: { errorType: string; message: string } };

interface Carried {
  offset: number;
  result: BackfillResult;
  /** Each experiment's pin, resolved once when the backfill started: every day uses the same. */
  pins: Record<string, CarriedPin>;
}

/**
 * Experiments × dates, each experiment-day an analysis run of its own on the experiment's
 * pinned build (id `analysis/<slug>/<date>`), at most `concurrency` at once, in date order.
 * The runs it started are in its history, so a restarted worker resumes without repeating
 * them; long ranges continue as new every `continueAsNewAfter` experiment-days. Each
 * experiment is published once at the end, on its pinned build.
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
    dataset: input.dataset,
    warnings: {},
    pins: {},
    waited: [],
  };
  const batch = items.slice(offset, offset + input.continueAsNewAfter);
  const pins: Record<string, CarriedPin> = carried?.pins ?? {};
  const missing = input.slugs.filter((slug) => pins[slug] === undefined);
  if (missing.length > 0) {
    const resolved = await resolvePins(missing, input.dataset, input, { dates: { lenient: input.lenient } });
    for (const slug of missing) {
      const r = resolved[slug];
      pins[slug] =
        r === undefined
          ? { error: { errorType: 'PinError', message: `no pin resolved for ${slug}` } }
          : 'error' in r
            ? { error: r.error }
            : { pin: r.pin, refusal: r.refusal, ...(r.dates ? { dates: r.dates } : {}) };
    }
  }
  const pinned = () =>
    Object.fromEntries(
      Object.entries(pins).flatMap(([slug, p]) => ('pin' in p ? [[slug, p.pin] as const] : [])),
    );
  setHandler(pinsQuery, pinned);
  for (const [slug, p] of Object.entries(pinned()))
    result.pins[slug] = { toolVersion: toolVersionKey(p), configCommit: p.configCommit };

  const only = input.slugs.length === 1 ? pins[input.slugs[0] as string] : undefined;
  setSearchAttributes({
    slug: input.slugs.length === 1 ? input.slugs[0] : undefined,
    pin: only && 'pin' in only ? only.pin : undefined,
    stage: 'backfill',
  });
  const progress = trackProgress('backfill', {
    stage: 'analysing',
    total: items.length,
    done: offset,
    failed: result.failed.length,
  });
  const experiment = (slug: string) => ({
    slug,
    dataset: input.dataset,
    periods: input.periods,
    lenient: input.lenient,
  });
  const runItem = ({ slug, date }: { slug: string; date: string }): RunItem<AnalysisResult> => {
    const workflowId = workflowIds.analysis(slug, date, input.dataset);
    const label = `${slug} ${date}`;
    const p = pins[slug] as CarriedPin;
    if ('error' in p) return { label, outcome: notStarted(workflowId, p.error) };
    if (p.refusal) return { label, outcome: notStarted(workflowId, p.refusal) };
    // A date before the experiment's last enrollment date or after its end date has nothing due
    // on any build: its analysis would only start to say so (a year around a month's experiment).
    const notDue = nothingDue(p.dates, { workflowId, slug, date, pin: p.pin });
    if (p.dates && notDue) {
      const outside = result.outside ?? {};
      outside[slug] = { dates: p.dates, pin: p.pin, days: (outside[slug]?.days ?? 0) + 1 };
      result.outside = outside;
      return { label, outcome: notDue };
    }
    return {
      label,
      start: pinnedAnalysis({ ...experiment(slug), pin: p.pin }, date, {
        // Staged under the backfill's run: it publishes each experiment once, at its end.
        stagedUnder: workflowInfo().workflowId,
      }),
    };
  };
  const tally = ({ slug, date }: { slug: string; date: string }, outcome: RunOutcome<AnalysisResult>) => {
    if (outcome.status === 'failed')
      result.failed.push({ slug, date, errorType: outcome.errorType, message: outcome.message });
    else {
      const analysis = outcome.result;
      if (analysis.status === 'analyzed') result.analyzed++;
      else result.nothingDue++;
      if (result.warnings) result.warnings[slug] = tallyWarnings(analysis.statistics, result.warnings[slug]);
    }
  };
  const {
    outcomes,
    waited,
    notStarted: unstarted,
    stoppedBy,
  } = await runAll(batch.map(runItem), {
    concurrency: input.concurrency,
    progress,
    counts: { done: offset, failed: result.failed.length },
    stopOn: stopOnStorage('backfill-stops-when-storage-fails'),
  });
  result.waited.push(...waited);
  outcomes.forEach((outcome, i) => {
    if (!unstarted.includes(i)) tally(batch[i] as { slug: string; date: string }, outcome);
  });

  const nextOffset = offset + batch.length;
  const storage = stoppedBy?.failure.storage;
  if (stoppedBy && storage) {
    // The later batches are not started either; what needs no run (nothing due on the date, no
    // pin) is counted as it would have been.
    const notAttempted = unstarted.length + notReached(items.slice(nextOffset), runItem, tally);
    const { slug, date } = batch[stoppedBy.index] as { slug: string; date: string };
    result.storageStopped = { slug, date, storage, notAttempted };
    // Nothing is published: the published tables stay whole as they were, and what the days
    // that finished staged expires with its staging tables.
    enterStage(progress, 'stopped', { current: [], waiting: [] });
    return result;
  }
  if (nextOffset < items.length) {
    await continueAsNew<typeof backfill>(raw, { offset: nextOffset, result, pins });
  }

  const days = items.length / input.slugs.length;
  const publications: RunItem<PublishSummary>[] = [];
  const published: string[] = [];
  for (const slug of input.slugs) {
    const p = pins[slug] as CarriedPin;
    // Every day of it failed: nothing new to publish, and publishing would only report the
    // same failure (a broken config, a pin that cannot run) a second time.
    if (!('pin' in p) || result.failed.filter((f) => f.slug === slug).length === days) continue;
    published.push(slug);
    publications.push({
      label: `publish ${slug}`,
      start: pinnedPublication({ ...experiment(slug), pin: p.pin }, workflowInfo().workflowId),
    });
  }
  // Publishing counts experiments published, not experiment-days: the analysis counts would
  // stand still at their total for as long as publishing takes.
  progress({ stage: 'publishing', total: publications.length, done: 0, failed: 0, current: [], waiting: [] });
  const publishing = await runAll(publications, { concurrency: input.concurrency, progress });
  result.waited.push(...publishing.waited);
  publishing.outcomes.forEach((outcome, i) => {
    if (outcome.status === 'failed')
      result.failed.push({
        slug: published[i] as string,
        date: input.endDate,
        errorType: outcome.errorType,
        message: publishFailureMessage(outcome.message),
      });
  });
  enterStage(progress, 'done', { waiting: [] });
  return result;
}
