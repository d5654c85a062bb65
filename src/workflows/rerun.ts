import { CancellationScope, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { z } from 'zod';
import type { Pin, RunOutcome, WaitingRun } from '../activities/types.js';
import { publishFailureMessage, tallyWarnings, type WarningTally } from '../analysis/results.js';
import { dateRange } from '../dates.js';
import { storageRefusalOf } from '../temporal/failures.js';
import { toolVersionKey } from '../versions/pin.js';
import type { StorageRefusal } from '../warehouse/errors.js';
import type { AnalysisResult } from './analysis-result.js';
import {
  clearResults,
  describedToday,
  enterStage,
  light,
  pinnedTarget,
  pinsQuery,
  resolvePin,
  trackProgress,
  validated,
  warehouseJobs,
} from './common.js';
import { type Failed, notReached, type RunItem } from './fan-out.js';
import { workflowIds } from './ids.js';
import { RerunInput } from './inputs.js';
import { nothingDue, pinnedAnalysis, pinnedPublication, runAll, stopOnStorage } from './runs.js';

export interface RerunResult {
  slug: string;
  /**
   * The experiment's earlier tables and views the rerun dropped: once it has published, those
   * its configs no longer make (the others were replaced by its publication, `published`); with
   * `recreateEnrollments`, every one, before it recomputes. A rerun of an older build listed the
   * replaced ones here too, and had no `published`.
   */
  dropped: string[];
  /** How many result tables and views its publication wrote, each replacing the earlier one of its name: 0 until it has published. */
  published?: { tables: number; views: number };
  /** The experiment's new anchor (now), or null when its enrollments were recreated by the analyses. */
  anchor: string | null;
  /** What the experiment is pinned to from now on: the latest release (or useVersion) and the newest configs. */
  pin: Pin;
  dates: number;
  analyzed: number;
  statisticsTables: number;
  /** The warnings of its statistics, counted (each is in the logs table); absent in older results. */
  warnings?: WarningTally;
  failed: { date: string; errorType: string; message: string }[];
  waited: WaitingRun[];
  /**
   * Set when a date failed because the embedded warehouse's file system refused its writes
   * (full or read-only): every later one would fail alike, so none was started after it (the
   * analyses already running ended as they did, their failures in `failed`, the first on
   * `date`), and nothing was published: the published results are as they were (none, when
   * `recreated`: the rerun dropped them first). `anchor`: whether the experiment's anchor is
   * back where it was (`restored`), or stays moved because putting it back failed on the
   * storage too (`moved`: its next analyses run on `pin`); `unmoved` when there was none to move.
   */
  storageStopped?: {
    date: string;
    storage: StorageRefusal;
    notAttempted: number;
    recreated: boolean;
    anchor: 'restored' | 'moved' | 'unmoved';
  };
}

/**
 * Recomputes an experiment from scratch on the latest tooling and configs (or the release
 * `useVersion` names): moves its anchor to now, which pins it to the latest release and the
 * newest config commit, analyses every date from its start to min(end, yesterday), each on the
 * pinned build, staged, then publishes them at once and drops the earlier tables the new
 * configs no longer make. A rerun stopped before it publishes leaves the published results as
 * they were. Asked to recreate the enrollments, it drops the results and enrollments first.
 */
export async function rerun(raw: RerunInput): Promise<RerunResult> {
  const input = validated(RerunInput, raw, 'rerun');
  const progress = trackProgress('rerun', { stage: 'resolving' });
  const pins: Record<string, Pin> = {};
  setHandler(pinsQuery, () => pins);

  // The results go with the configs that made them: dropped by the spec the old anchor pins.
  const old = await resolvePin(
    input.slug,
    input.dataset,
    { useLatest: true, useVersion: null },
    { refuse: false },
  );
  const oldTarget = pinnedTarget(input, 'rerun', old);
  progress({ stage: input.recreateEnrollments ? 'dropping results' : 'preparing' });
  const dropped = await clearResults(oldTarget, {
    expirationDays: null,
    keepEnrollments: !input.recreateEnrollments,
    stagedOnly: !input.recreateEnrollments,
  });
  const { anchor, previous } = await light.touch({
    slug: input.slug,
    dataset: input.dataset,
    ifAnchored: true,
  });
  // The anchor pins the published results to the tooling and configs that made them: a rerun
  // that ends without publishing (stopped, failed, or its publication failed) puts it back, or
  // the earlier results would pass for this rerun's.
  const publication = { done: false };
  const restoreAnchor = async (): Promise<boolean> => {
    if (!previous || publication.done || !patched('rerun-restores-anchor')) return false;
    await CancellationScope.nonCancellable(() =>
      light.touch({ slug: input.slug, dataset: input.dataset, ifAnchored: true, at: previous }),
    );
    return true;
  };
  try {
    return await recompute(input, { oldTarget, dropped, anchor, progress, pins, restoreAnchor, publication });
  } catch (error) {
    await restoreAnchor();
    throw error;
  }
}

/** What the rerun has done before it recomputes: the earlier results it dropped, the anchor it moved. */
interface Prepared {
  oldTarget: ReturnType<typeof pinnedTarget>;
  dropped: string[];
  anchor: string | null;
  progress: ReturnType<typeof trackProgress>;
  pins: Record<string, Pin>;
  /** Puts back the anchor the rerun moved, unless it has published: false when there was none to put back. */
  restoreAnchor: () => Promise<boolean>;
  /** Set once the rerun has published: its results go with the anchor it moved. */
  publication: { done: boolean };
}

/** The rerun's analyses of every date, staged, and their publication. */
async function recompute(input: z.output<typeof RerunInput>, prepared: Prepared): Promise<RerunResult> {
  const { oldTarget, dropped, anchor, progress, pins, restoreAnchor } = prepared;
  const pin = await resolvePin(input.slug, input.dataset, {
    useLatest: input.useVersion === null,
    useVersion: input.useVersion,
  });
  pins[input.slug] = pin;
  const target = pinnedTarget(input, 'rerun', pin);
  const experiment = await describedToday(target);
  const dates =
    experiment.startDate && experiment.lastAnalysisDate
      ? dateRange(experiment.startDate, experiment.lastAnalysisDate)
      : [];
  const result: RerunResult = {
    slug: input.slug,
    dropped,
    published: { tables: 0, views: 0 },
    anchor,
    pin,
    dates: dates.length,
    analyzed: 0,
    statisticsTables: 0,
    warnings: { warnings: 0, errors: 0, resultsMissing: 0 },
    failed: [],
    waited: [],
  };
  if (dates.length === 0) return result;

  const runsOf = {
    slug: input.slug,
    dataset: input.dataset,
    periods: input.periods,
    lenient: input.lenient,
    pin,
  };
  // A date before the last enrollment date or after the end date has nothing due: counted so,
  // without an analysis (the range runs from the start date to the day after the end date).
  const analysis = (date: string): RunItem<AnalysisResult> => {
    const workflowId = workflowIds.analysis(input.slug, date, input.dataset);
    const notDue = nothingDue(experiment.analysable, { workflowId, slug: input.slug, date, pin });
    if (notDue) return { label: date, outcome: notDue };
    return {
      label: date,
      start: pinnedAnalysis(runsOf, date, {
        // Staged under the rerun's run: it publishes them, once, at its end.
        stagedUnder: workflowInfo().workflowId,
        summary: `rerun of ${input.slug} for ${date} with contrail ${toolVersionKey(pin)}`,
      }),
    };
  };
  const count = (outcomes: RunOutcome<AnalysisResult>[], of: { date: string }[]) =>
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'failed')
        result.failed.push({
          date: of[i]?.date as string,
          errorType: outcome.errorType,
          message: outcome.message,
        });
      else {
        const analysed = outcome.result;
        if (analysed.status === 'analyzed') result.analyzed++;
        result.statisticsTables += analysed.statistics.length;
        tallyWarnings(analysed.statistics, result.warnings);
      }
    });

  const stopOn = stopOnStorage<AnalysisResult>('rerun-stops-when-storage-fails');

  // The last date with something due first and alone: it creates the enrollments table (when
  // it was dropped), so the dates analysed side by side afterwards all read the same one.
  progress({ stage: 'analysing', total: dates.length });
  const runs = dates.map((date) => ({ date, item: analysis(date) }));
  const lastDue = runs.findLastIndex(({ item }) => 'start' in item);
  const alone = runs.filter((_, i) => i === lastDue);
  const together = runs.filter((_, i) => i !== lastDue);
  const first = await runAll(
    alone.map((r) => r.item),
    { concurrency: 1, progress, stopOn },
  );
  count(first.outcomes, alone);
  result.waited.push(...first.waited);
  let stop: { date: string; failure: Failed<AnalysisResult>; notAttempted: number } | null = null;
  if (first.stoppedBy) {
    // None of the other dates is started: what needs no analysis (nothing due) is counted as
    // it would have been.
    const notAttempted = notReached(
      together,
      (r) => r.item,
      (r, outcome) => count([outcome], [r]),
    );
    stop = {
      date: alone[first.stoppedBy.index]?.date as string,
      failure: first.stoppedBy.failure,
      notAttempted,
    };
  } else {
    const others = await runAll(
      together.map((r) => r.item),
      {
        concurrency: input.concurrency,
        progress,
        counts: { done: alone.length, failed: result.failed.length },
        stopOn,
      },
    );
    count(
      others.outcomes.filter((_, i) => !others.notStarted.includes(i)),
      together.filter((_, i) => !others.notStarted.includes(i)),
    );
    result.waited.push(...others.waited);
    if (others.stoppedBy)
      stop = {
        date: together[others.stoppedBy.index]?.date as string,
        failure: others.stoppedBy.failure,
        notAttempted: others.notStarted.length,
      };
  }
  if (stop?.failure.storage) {
    // Nothing is published: the published results stay whole as they were, and what the dates
    // that finished staged expires with its staging tables. The anchor goes back with them,
    // unless the warehouse refuses that too.
    let anchorBack: 'restored' | 'moved' | 'unmoved';
    try {
      anchorBack = (await restoreAnchor()) ? 'restored' : 'unmoved';
    } catch (error) {
      if (storageRefusalOf(error) === null) throw error;
      anchorBack = 'moved';
    }
    result.storageStopped = {
      date: stop.date,
      storage: stop.failure.storage,
      notAttempted: stop.notAttempted,
      recreated: input.recreateEnrollments,
      anchor: anchorBack,
    };
    enterStage(progress, 'stopped', { current: [], waiting: [] });
    return result;
  }

  // The analyses don't publish; the rerun publishes once, over everything it recomputed.
  progress({ stage: 'publishing', current: [], waiting: [] });
  const published = await runAll(
    [
      {
        label: 'publish',
        start: pinnedPublication(runsOf, workflowInfo().workflowId),
      },
    ],
    { concurrency: 1, progress: (update) => progress({ ...update, done: dates.length }) },
  );
  result.waited.push(...published.waited);
  const publication = published.outcomes[0];
  if (publication?.status === 'failed') {
    await restoreAnchor();
    result.failed.push({
      date: dates.at(-1) as string,
      errorType: publication.errorType,
      message: publishFailureMessage(publication.message),
    });
  } else {
    prepared.publication.done = true;
    if (publication)
      result.published = {
        tables: publication.result.published.length,
        views: publication.result.views.length,
      };
    if (publication && !input.recreateEnrollments) {
      // Published: what the earlier configs made and the new ones do not (other periods, windows,
      // metrics) goes now, as it would have gone before a rerun that dropped everything first.
      const summary = publication.result;
      // Those it published over are replaced, not dropped: only the others are said dropped.
      const { dropped: stale } = await warehouseJobs.dropResults({
        target: oldTarget,
        keepEnrollments: true,
        keep: [...summary.published, ...summary.views],
      });
      result.dropped = [...stale].sort();
    }
  }
  enterStage(progress, 'done', { waiting: [] });
  return result;
}
