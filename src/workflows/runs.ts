import { CancellationScope, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import type {
  Pin,
  PublishSummary,
  RunOutcome,
  RunStart,
  StartedRun,
  WaitingRun,
} from '../activities/types.js';
import type { AnalysableDates } from '../analysis/analysable-dates.js';
import { toolVersionKey } from '../versions/pin.js';
import { type AnalysisResult, resultOutsideDates } from './analysis-result.js';
import { analyzeExperiment } from './analyze.js';
import { type BehindRun, type Progress, runAwait, runControl } from './common.js';
import { workflowIds } from './ids.js';
import type { AnalyzeExperimentInput } from './inputs.js';
import { publishExperiment } from './publish.js';

/**
 * The fan-out of a parent workflow (daily analysis, backfill, rerun) over runs of their own:
 * each analysis is started as its own workflow pinned to its experiment's build, because a
 * child would run on the parent's build. At most `concurrency` are open at once; one activity
 * starts each batch and one awaits them, returning when a run ends, when the set of runs
 * waiting for a worker of their build changes (the progress query shows which experiments
 * wait for which version), or after a few minutes. A cancelled parent cancels the runs it
 * started. Every item ends with exactly one outcome, in the order of `items`.
 *
 * A run whose id another parent's run holds (the daily run's analysis of a day a backfill
 * reaches too, two backfills over the same days, their publications of one experiment) is
 * not taken for this parent's: it writes under the other's staging names or publishes itself,
 * and the other parent may still be cancelled or fail before it publishes. This parent waits
 * for that run to end (the progress query's `behind` says for which, started by whom, and
 * whether that run itself waits for a worker of its build), then starts its own, so the day counts as this parent's own result, not as a failure. The runs
 * waited for are analyses and publications, which start no runs of their own: each ends by
 * itself, so two parents waiting for each other's runs cannot wait for ever. A cancelled
 * parent stops waiting and leaves the other's run alone.
 */

/** Stands for the result type of a run's workflow in the type of its start; never a value. */
declare const returns: unique symbol;

/** A run to start whose workflow returns `R`: the parent reads `R` from its outcome. */
export type Start<R> = RunStart & { readonly [returns]?: R };

/** A run to start, or an outcome already decided (a pin that could not be resolved). */
export type RunItem<R = unknown> =
  | { label: string; start: Start<R> }
  | { label: string; outcome: RunOutcome<R> };

export interface RunAllOptions<R = unknown> {
  concurrency: number;
  progress: (update: Partial<Progress>) => Progress;
  /** Counting on from a run continued as new. */
  counts?: { done: number; failed: number };
  /**
   * The failure after which no further run is started (every later one would fail alike), when
   * an outcome is one: a failed run's own, or the one a completed run's result says it stopped
   * on (a rerun the daily run started); null to go on. The runs already started still end as
   * they end; the items not started yet are in `notStarted`.
   */
  stopOn?: (outcome: RunOutcome<R>) => Failed<R> | null;
}

export interface RunAllResult<R> {
  /** One per item, in the order of the items. */
  outcomes: RunOutcome<R>[];
  /** Every run that waited for a worker of its build at some point (as first seen waiting). */
  waited: WaitingRun[];
  /**
   * The items never started because an outcome met `stopOn`, by index (their outcomes say so,
   * with that outcome's error): empty unless it did. An item whose outcome was decided
   * beforehand keeps that outcome.
   */
  notStarted: number[];
  /** The failure `stopOn` stopped on and its item's index, if it did. */
  stoppedBy: { index: number; failure: Failed<R> } | null;
}

/** A run's outcome when it failed. */
export type Failed<R = unknown> = Extract<RunOutcome<R>, { status: 'failed' }>;

/**
 * `stopOn` for a parent of many runs (the daily run, a backfill, a rerun): stop once a run
 * fails because the embedded warehouse's disk is full or read-only, since every run after it
 * would fail on it alike, each after its retries, and say so again. A busy file or a BigQuery
 * 5xx is no reason to stop: the next run may well go through. `failureOf` finds that failure
 * in an outcome (by default the run's own); `patch` guards the stop, so that a parent's history
 * from a build that did not stop replays as it ran.
 */
export function stopOnStorage<R>(
  patch: string,
  failureOf: (outcome: RunOutcome<R>) => Failed<R> | null = ownStorageFailure,
): (outcome: RunOutcome<R>) => Failed<R> | null {
  return (outcome) => {
    const failure = failureOf(outcome);
    return failure !== null && patched(patch) ? failure : null;
  };
}

/** A run's outcome when it failed on the embedded warehouse's storage (`storage` set); else null. */
export function ownStorageFailure<R>(outcome: RunOutcome<R>): Failed<R> | null {
  return outcome.status === 'failed' && outcome.storage !== undefined ? outcome : null;
}

export async function runAll<R>(
  items: readonly RunItem<R>[],
  options: RunAllOptions<R>,
): Promise<RunAllResult<R>> {
  const outcomes: (RunOutcome<R> | undefined)[] = new Array(items.length);
  const waited = new Map<string, WaitingRun>();
  const open = new Map<string, { index: number; run: StartedRun }>();
  // Items whose id another parent's run holds: each waits for that run to end, then starts.
  const held = new Map<string, { index: number; other: StartedRun; startedBy: string }>();
  // Items whose other parent's run has ended: started before any new item.
  const again: number[] = [];
  // What the last await said waits for a worker, the runs waited for included: the next await
  // returns early only when that changes.
  let knownWaiting: string[] = [];
  let { done, failed } = options.counts ?? { done: 0, failed: 0 };
  let waiting: WaitingRun[] = [];
  // The runs of other parents waited for that the last await found waiting for a worker of their build.
  let othersWaiting: WaitingRun[] = [];
  let next = 0;
  // Typed through a cast: `finish` sets it, which narrowing from `null` would not see.
  let stoppedBy = null as { index: number; failure: Failed<R> } | null;
  const unstarted: number[] = [];
  const notBefore = workflowInfo().runStartTime.toISOString();

  // A result reaches the parent as the JSON the awaiting activity read from the run: the
  // workflow that run started returns R (its start says so), so this is where it is taken as R.
  const finish = (index: number, outcome: RunOutcome<unknown>) => {
    outcomes[index] = outcome as RunOutcome<R>;
    done++;
    if (outcome.status === 'failed') failed++;
    if (stoppedBy !== null || options.stopOn === undefined) return;
    const failure = options.stopOn(outcome as RunOutcome<R>);
    if (failure !== null) stoppedBy = { index, failure };
  };
  const current = () => [...open.values()].map(({ index }) => (items[index] as RunItem<R>).label);
  // Only the query's answer changes (no command, nothing in the history): replays as before.
  const runs = () => [...open.keys()];
  const behind = () =>
    behindRuns(
      [...held.values()].map(({ index, other, startedBy }) => ({
        label: (items[index] as RunItem<R>).label,
        other,
        startedBy,
      })),
      othersWaiting,
    );
  const report = () =>
    options.progress({ done, failed, current: current(), waiting, runs: runs(), behind: behind() });
  const startOf = (index: number) => (items[index] as { start: Start<R> }).start;
  const neverStarted = (index: number, failure: Failed<R>) => {
    // Neither done nor failed in the progress: it never ran.
    unstarted.push(index);
    outcomes[index] = notStarted(startOf(index).workflowId, {
      errorType: failure.errorType,
      message: `not started after ${failure.workflowId} failed: ${failure.message}`,
    });
  };

  try {
    while (next < items.length || open.size > 0 || held.size > 0 || again.length > 0) {
      const batch: { index: number; start: RunStart }[] = [];
      if (stoppedBy !== null) {
        // No more runs start: the items still waiting for another parent's run never start either.
        for (const { index } of held.values()) neverStarted(index, stoppedBy.failure);
        for (const index of again) neverStarted(index, stoppedBy.failure);
        held.clear();
        again.length = 0;
      }
      for (const index of again.splice(0)) batch.push({ index, start: startOf(index) });
      while (
        next < items.length &&
        (stoppedBy !== null || open.size + held.size + batch.length < options.concurrency)
      ) {
        const item = items[next] as RunItem<R>;
        if ('outcome' in item) finish(next, item.outcome);
        else if (stoppedBy !== null) neverStarted(next, stoppedBy.failure);
        else batch.push({ index: next, start: item.start });
        next++;
      }
      if (batch.length > 0) {
        // A parent of an older build was refused another parent's running run (a failed day);
        // this one waits for it. Histories before this replay as they ran.
        const waitForOthers = patched('runs-wait-for-another-parents-run');
        const started = await runControl.startRuns({
          runs: batch.map((b) => b.start),
          notBefore,
          ...(waitForOthers ? { waitForOthers } : {}),
        });
        started.forEach((result, i) => {
          const { index } = batch[i] as { index: number };
          if ('busy' in result)
            held.set(result.workflowId, { index, other: result.run, startedBy: result.startedBy });
          else if ('runId' in result) open.set(result.workflowId, { index, run: result });
          else finish(index, result);
        });
      }
      report();
      if (open.size === 0 && held.size === 0) continue;

      const awaited = await runAwait.awaitRuns({
        runs: [...[...open.values()].map((o) => o.run), ...[...held.values()].map((h) => h.other)],
        knownWaiting,
      });
      for (const outcome of awaited.finished) {
        const entry = open.get(outcome.workflowId);
        if (entry) {
          open.delete(outcome.workflowId);
          finish(entry.index, outcome);
          continue;
        }
        // The other parent's run ended, however it ended: this parent's own starts now.
        const heldBack = held.get(outcome.workflowId);
        if (!heldBack) continue;
        held.delete(outcome.workflowId);
        again.push(heldBack.index);
      }
      knownWaiting = awaited.waiting.map((w) => w.workflowId);
      waiting = awaited.waiting.filter((w) => open.has(w.workflowId));
      othersWaiting = awaited.waiting.filter((w) => held.has(w.workflowId));
      for (const w of waiting) if (!waited.has(w.workflowId)) waited.set(w.workflowId, w);
      report();
    }
  } catch (error) {
    if (isCancellation(error) && open.size > 0) {
      const runs = [...open.values()].map((o) => o.run);
      await CancellationScope.nonCancellable(() => runControl.cancelRuns({ runs }));
    }
    throw error;
  }
  return {
    outcomes: outcomes as RunOutcome<R>[],
    waited: [...waited.values()],
    notStarted: unstarted,
    stoppedBy,
  };
}

/**
 * The progress query's `behind`: each item held by another parent's run, with that run and the
 * parent that started it, and whether that run waits for a worker of its build (`waiting`, as
 * the last await found the runs waited for): a parent behind such a run waits on that worker
 * too, and its follower is told so rather than only that it waits.
 */
export function behindRuns(
  held: readonly { label: string; other: StartedRun; startedBy: string }[],
  waiting: readonly WaitingRun[],
): BehindRun[] {
  const waits = new Map(waiting.map((w) => [w.workflowId, w]));
  return held.map(({ label, other, startedBy }) => {
    const w = waits.get(other.workflowId);
    return {
      workflowId: other.workflowId,
      label,
      startedBy,
      ...(w ? { waitsForWorker: { toolVersion: w.toolVersion, since: w.since } } : {}),
    };
  });
}

/** The outcome of a run that was never started, with the error that kept it from starting. */
export function notStarted(
  workflowId: string,
  error: { errorType: string; message: string },
): RunOutcome<never> {
  return { workflowId, status: 'failed', errorType: error.errorType, message: error.message };
}

/**
 * The outcome of the analysis `workflowId` when nothing can be due on its date
 * (`resultOutsideDates`): what that analysis would return, without starting it. Null when
 * something may be due, or the dates are unknown.
 */
export function nothingDue(
  dates: AnalysableDates | undefined,
  run: { workflowId: string; slug: string; date: string; pin: Pin },
): RunOutcome<AnalysisResult> | null {
  const result = resultOutsideDates(dates, run);
  return result === null ? null : { workflowId: run.workflowId, status: 'completed', result };
}

/**
 * What a parent starts: a workflow by reference, with that workflow's own input type. The run
 * is started under the function's name, the name the worker registers it by (a test holds
 * each registered workflow's name to its export).
 */
export function runStart<I, R>(
  workflow: (input: I) => Promise<R>,
  input: NoInfer<I>,
  about: Omit<RunStart, 'workflowType' | 'input'>,
): Start<R> {
  return { workflowType: workflow.name, input, ...about };
}

/** What a parent starts for one experiment: a run of `workflow` pinned to the pin's build. */
export function pinnedRun<I, R>(
  workflow: (input: I) => Promise<R>,
  input: NoInfer<I>,
  about: { workflowId: string; slug: string; date: string | null; pin: Pin; summary: string },
): Start<R> {
  const { pin, ...rest } = about;
  return runStart(workflow, input, {
    ...rest,
    pinnedTo: pin.buildId,
    toolVersion: toolVersionKey(pin),
    configCommit: pin.configCommit,
  });
}

/** What one experiment's runs are about: the same for its analyses and its publication. */
export type PinnedExperiment = Pick<AnalyzeExperimentInput, 'slug' | 'dataset' | 'periods' | 'lenient'> & {
  pin: Pin;
};

/**
 * The analysis of one experiment-day on its pinned build. With `stagedUnder` (the workflow id
 * of a backfill or rerun) it writes under that run's staging names and does not publish: the
 * parent publishes once, at its end. Without it the analysis publishes itself.
 */
export function pinnedAnalysis(
  e: PinnedExperiment,
  date: string,
  options: { stagedUnder?: string; summary?: string } = {},
): Start<AnalysisResult> {
  const { slug, dataset, periods, lenient, pin } = e;
  return pinnedRun(
    analyzeExperiment,
    {
      slug,
      date,
      dataset,
      periods,
      lenient,
      pin,
      ...(options.stagedUnder === undefined ? {} : { publish: false, run: options.stagedUnder }),
    },
    {
      workflowId: workflowIds.analysis(slug, date, dataset),
      slug,
      date,
      pin,
      summary: options.summary ?? `analysis of ${slug} on ${date} with contrail ${toolVersionKey(pin)}`,
    },
  );
}

/** The publication, on the experiment's pinned build, of the tables the run `run` staged. */
export function pinnedPublication(e: PinnedExperiment, run: string): Start<PublishSummary> {
  const { slug, dataset, periods, lenient, pin } = e;
  return pinnedRun(
    publishExperiment,
    { slug, dataset, periods, lenient, pin, run },
    {
      workflowId: workflowIds.publish(slug, dataset),
      slug,
      date: null,
      pin,
      summary: `publication of ${slug} with contrail ${toolVersionKey(pin)}`,
    },
  );
}
