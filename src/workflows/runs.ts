import { CancellationScope, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import type { Pin, PublishSummary, RunOutcome, RunStart } from '../activities/types.js';
import type { AnalysableDates } from '../analysis/analysable-dates.js';
import { toolVersionKey } from '../versions/pin.js';
import { type AnalysisResult, resultOutsideDates } from './analysis-result.js';
import { analyzeExperiment } from './analyze.js';
import { type Progress, runAwait, runControl } from './common.js';
import {
  type Failed,
  FanOut,
  type FanOutOptions,
  type RunAllResult,
  type RunItem,
  type Start,
} from './fan-out.js';
import { workflowIds } from './ids.js';
import type { AnalyzeExperimentInput } from './inputs.js';
import { publishExperiment } from './publish.js';

export interface RunAllOptions<R = unknown> extends FanOutOptions<R> {
  progress: (update: Partial<Progress>) => Progress;
}

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
 * whether that run itself waits for a worker of its build), then starts its own, so the day
 * counts as this parent's own result, not as a failure. The runs waited for are analyses and
 * publications, which start no runs of their own: each ends by itself, so two parents waiting
 * for each other's runs cannot wait for ever. A cancelled parent stops waiting and leaves the
 * other's run alone.
 *
 * This function is the loop over the activities (start a batch, report, await, report, until
 * every item has its outcome); what to start next, what is open or held, the counts, the
 * progress and the outcomes are kept by a `FanOut` (src/workflows/fan-out.ts).
 */
export async function runAll<R>(
  items: readonly RunItem<R>[],
  options: RunAllOptions<R>,
): Promise<RunAllResult<R>> {
  const fanOut = new FanOut(items, options);
  const notBefore = workflowInfo().runStartTime.toISOString();
  const report = () => options.progress(fanOut.progress());
  try {
    while (fanOut.pending) {
      const batch = fanOut.nextBatch();
      if (batch.length > 0) {
        // A parent of an older build was refused another parent's running run (a failed day);
        // this one waits for it. Histories before this replay as they ran.
        const waitForOthers = patched('runs-wait-for-another-parents-run');
        const started = await runControl.startRuns({
          runs: batch.map((b) => b.start),
          notBefore,
          ...(waitForOthers ? { waitForOthers } : {}),
        });
        fanOut.started(batch, started);
      }
      report();
      const runs = fanOut.toAwait();
      if (runs.length === 0) continue;
      fanOut.awaited(await runAwait.awaitRuns({ runs, knownWaiting: fanOut.knownWaiting }));
      report();
    }
  } catch (error) {
    const runs = fanOut.openRuns();
    if (isCancellation(error) && runs.length > 0) {
      await CancellationScope.nonCancellable(() => runControl.cancelRuns({ runs }));
    }
    throw error;
  }
  return fanOut.result();
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
