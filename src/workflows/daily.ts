import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { setHandler, workflowInfo } from '@temporalio/workflow';
import type { Pin, RunOutcome, WaitingRun } from '../activities/types.js';
import { tallyWarnings, type WarningTally } from '../analysis/results.js';
import { scheduledRunDate } from '../dates.js';
import { toolVersionKey } from '../versions/pin.js';
import type { StorageRefusal } from '../warehouse/errors.js';
import type { AnalysisResult } from './analysis-result.js';
import {
  enterStage,
  light,
  pinsQuery,
  resolvePins,
  setSearchAttributes,
  trackProgress,
  validated,
} from './common.js';
import { type Failed, notStarted, type RunItem } from './fan-out.js';
import { workflowIds } from './ids.js';
import { DailyAnalysisInput } from './inputs.js';
import { type RerunResult, rerun } from './rerun.js';
import { nothingDue, ownStorageFailure, pinnedAnalysis, runAll, runStart, stopOnStorage } from './runs.js';

export interface DailyAnalysisResult {
  date: string;
  /** The dataset analysed into, whose logs table has every warning (absent in older results). */
  dataset?: string;
  analyzed: {
    slug: string;
    /** `reran`: the experiment's own config changed since its anchor, so it was rerun from its start. */
    status: AnalysisResult['status'] | 'reran';
    /** Why nothing was due (absent in older results and when something was). */
    reason?: string;
    statisticsTables: number;
    /** The warnings of its statistics, counted (absent in older results). */
    warnings?: WarningTally;
    /** The tooling the analysis ran on (`<version>+<build>`) and its config commit. */
    toolVersion: string;
    configCommit: string | null;
  }[];
  failed: { slug: string; errorType: string; message: string }[];
  /** Experiments rerun because their own config file changed since their anchor. */
  reran: { slug: string; changed: string[] }[];
  /** Experiments whose analysis waited for a worker of its pinned build, and since when. */
  waited: WaitingRun[];
  /**
   * Set when an experiment's analysis (or rerun) failed because the embedded warehouse's file
   * system refused its writes (full or read-only): every later one would fail alike, so none
   * was started after it (those already running ended as they did, their failures in
   * `failed`, the first under `slug`). The experiments analysed before it are published; those
   * `notAttempted` keep the results they had.
   */
  storageStopped?: { slug: string; storage: StorageRefusal; notAttempted: string[] };
}

/**
 * The failure an experiment's run says the embedded warehouse's storage refused: its own, or,
 * for a rerun, that of the date the rerun stopped on.
 */
export function storageFailure(outcome: RunOutcome<AnalysisResult | RerunResult>): Failed<never> | null {
  if (outcome.status === 'failed') return ownStorageFailure(outcome);
  const result = outcome.result;
  if (!('dates' in result) || result.storageStopped === undefined) return null;
  const stop = result.storageStopped;
  const first = result.failed.find((f) => f.date === stop.date);
  return {
    workflowId: outcome.workflowId,
    status: 'failed',
    errorType: first?.errorType ?? 'WarehouseUnavailableError',
    message: first?.message ?? `the embedded warehouse's storage failed (${stop.storage})`,
    storage: stop.storage,
  };
}

const SCHEDULED_START_TIME = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

/** The date a scheduled run analyses: the day before its scheduled start time. */
function defaultDate(): string {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START_TIME);
  return scheduledRunDate(scheduled instanceof Date ? scheduled : info.startTime);
}

/**
 * Every eligible experiment for one date (jetstream's selection: live or ended within 90
 * days, not skipped, not rollouts), each analysed on the build its anchor pins it to, as an
 * analysis run of its own (this run stays on the deployment's current version), with bounded
 * concurrency. An experiment whose own config file changed since its anchor is rerun instead
 * (which moves its anchor to now). One experiment's failure does not fail the others; it is
 * reported once.
 */
export async function dailyAnalysis(raw: DailyAnalysisInput = {}): Promise<DailyAnalysisResult> {
  const input = validated(DailyAnalysisInput, raw, 'dailyAnalysis');
  const date = input.date ?? defaultDate();
  setSearchAttributes({ stage: 'selecting' });
  const progress = trackProgress('dailyAnalysis', { stage: 'selecting experiments' });
  const experiments = await light.listEligibleExperiments({ date });

  progress({ stage: 'resolving versions' });
  const pins: Record<string, Pin> = {};
  setHandler(pinsQuery, () => pins);
  const resolved = await resolvePins(
    experiments.map((e) => e.slug),
    input.dataset,
    input,
    { dates: { lenient: input.lenient } },
  );
  const items: RunItem<AnalysisResult | RerunResult>[] = [];
  const reran: DailyAnalysisResult['reran'] = [];
  for (const { slug } of experiments) {
    const analysisId = workflowIds.analysis(slug, date, input.dataset);
    const r = resolved[slug];
    if (r === undefined || 'error' in r) {
      items.push({
        label: slug,
        outcome: notStarted(analysisId, r?.error ?? { errorType: 'PinError', message: 'no pin resolved' }),
      });
      continue;
    }
    pins[slug] = r.pin;
    if (r.configChanged.length > 0) {
      // The rerun runs on the current version like this run, and pins the experiment anew.
      reran.push({ slug, changed: r.configChanged });
      items.push({
        label: `${slug} (rerun)`,
        start: runStart(
          rerun,
          {
            slug,
            dataset: input.dataset,
            periods: input.periods,
            lenient: input.lenient,
            concurrency: input.concurrency,
          },
          {
            workflowId: workflowIds.rerun(slug, input.dataset),
            pinnedTo: null,
            slug,
            date: null,
            toolVersion: null,
            configCommit: null,
            summary: `rerun of ${slug}: its config changed (${r.configChanged.join(', ')})`,
          },
        ),
      });
      continue;
    }
    if (r.refusal) {
      items.push({ label: slug, outcome: notStarted(analysisId, r.refusal) });
      continue;
    }
    // Still enrolling, or ended (the daily run keeps ended experiments for 90 days, as
    // jetstream): nothing is due, which needs no analysis of its own to say.
    const notDue = nothingDue(r.dates, { workflowId: analysisId, slug, date, pin: r.pin });
    if (notDue) {
      items.push({ label: slug, outcome: notDue });
      continue;
    }
    items.push({
      label: slug,
      start: pinnedAnalysis(
        { slug, dataset: input.dataset, periods: input.periods, lenient: input.lenient, pin: r.pin },
        date,
      ),
    });
  }

  enterStage(progress, 'analysing', { total: experiments.length });
  const {
    outcomes,
    waited,
    notStarted: unstarted,
    stoppedBy,
  } = await runAll(items, {
    concurrency: input.concurrency,
    progress,
    // A rerun the daily run started stops it too when it stopped on the storage (storageFailure).
    stopOn: stopOnStorage('daily-stops-when-storage-fails', storageFailure),
  });

  const outcome: DailyAnalysisResult = {
    date,
    dataset: input.dataset,
    analyzed: [],
    failed: [],
    reran,
    waited,
  };
  outcomes.forEach((result, i) => {
    const slug = experiments[i]?.slug as string;
    if (unstarted.includes(i)) return;
    if (result.status === 'failed') {
      outcome.failed.push({ slug, errorType: result.errorType, message: result.message });
      return;
    }
    // An experiment whose config changed was rerun: its result is the rerun's, over every date.
    if ('dates' in result.result) {
      const rerun = result.result;
      const first = rerun.failed[0];
      // Stopped on the warehouse's storage: said in its words, once with the others that failed on it.
      const onStorage = storageFailure(result);
      if (onStorage) {
        outcome.failed.push({ slug, errorType: onStorage.errorType, message: onStorage.message });
        return;
      }
      if (first) {
        outcome.failed.push({
          slug,
          errorType: first.errorType,
          message: `rerun after a config change: ${rerun.failed.length} of ${rerun.dates} dates failed; ${first.date}: ${first.message}`,
        });
        return;
      }
      outcome.analyzed.push({
        slug,
        status: 'reran',
        statisticsTables: rerun.statisticsTables,
        ...(rerun.warnings ? { warnings: rerun.warnings } : {}),
        toolVersion: toolVersionKey(rerun.pin),
        configCommit: rerun.pin.configCommit,
      });
      return;
    }
    const analysis = result.result;
    outcome.analyzed.push({
      slug,
      status: analysis.status,
      ...(analysis.reason === null ? {} : { reason: analysis.reason }),
      statisticsTables: analysis.statistics.length,
      warnings: tallyWarnings(analysis.statistics),
      toolVersion: toolVersionKey(analysis.pin),
      configCommit: analysis.pin.configCommit,
    });
  });
  const storage = stoppedBy?.failure.storage;
  if (stoppedBy && storage) {
    outcome.storageStopped = {
      slug: experiments[stoppedBy.index]?.slug as string,
      storage,
      notAttempted: unstarted.map((i) => experiments[i]?.slug as string),
    };
  }
  const stage = outcome.storageStopped ? 'stopped' : 'done';
  enterStage(progress, stage, { current: [], waiting: [] });
  return outcome;
}
