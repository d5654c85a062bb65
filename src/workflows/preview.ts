import { CancellationScope, executeChild, isCancellation, patched, setHandler } from '@temporalio/workflow';
import type { Pin, StatisticsSummary } from '../activities/types.js';
import type { CostEstimate } from '../analysis/cost.js';
import type { AssumedEnrollment, EnrollmentDates } from '../analysis/previewed-enrollment.js';
import type { DayQueries } from '../analysis/query-costs.js';
import type { QueryCostRow } from '../analysis/table-rows.js';
import { addDays, dateRange } from '../dates.js';
import { type ErrorSubject, reviveError } from '../errors.js';
import { queriesRunOf, storageRefusalOf, toTemporalFailure } from '../temporal/failures.js';
import type { StorageRefusal } from '../warehouse/errors.js';
import type { AnalysisResult } from './analysis-result.js';
import { analyzeExperiment } from './analyze.js';
import {
  clearResults,
  describedToday,
  describeFailure,
  enterStage,
  light,
  pinnedTarget,
  pinQuery,
  resolvePin,
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
  /**
   * How the preview moved the enrollment of an experiment whose own enrollment does not end by
   * `startDate` (not launched, starting later, still enrolling): the start it took, so that the
   * enrollment period ends on `startDate`. Absent when the experiment keeps its dates.
   */
  assumed?: AssumedEnrollment;
  /**
   * The enrollment dates the preview analysed, and the config keys that set them: what its
   * report names when nobody in the sample is enrolled (absent without a start date, and in
   * previews whose estimate did not carry them).
   */
  enrollment?: EnrollmentDates;
  /** Set when a generated population stood in for the enrollments (`--generate-population`). */
  generatedPopulation?: true;
  /** Set when the config says skip = true: nothing was due on any date, and nothing ran. */
  skip?: true;
  pin: Pin;
  /** Per analysed date: what was computed. */
  days: {
    date: string;
    status: AnalysisResult['status'];
    reason: string | null;
    statistics: StatisticsSummary[];
  }[];
  views: string[];
  /** What the preview was estimated to scan before it ran, and what each query took (query_costs). */
  costs?: { estimate: CostEstimate; queries: QueryCostRow[] };
  /** Dates whose analysis failed (the others still ran): the error each failed with, and what it is about. */
  failed?: { date: string; errorType: string; message: string; subjects?: ErrorSubject[] }[];
  /**
   * Set when the preview was cancelled while it analysed (Ctrl-C): the date whose analysis was
   * stopped part way (what it had staged is dropped) and the dates after it, never started.
   * `days` holds the dates that finished. With `notStarted`, the cancellation came as the date
   * before it published (publishing, once begun, runs to its end): that date finished, published
   * in full, and this one never started.
   */
  interrupted?: { date: string; notRun: string[]; notStarted?: true };
  /**
   * Set when a date failed because the embedded warehouse's file system refused its writes
   * (full or read-only): the date (its failure is in `failed`) and the dates after it, not
   * attempted since each would fail alike. The query costs were not recorded (the warehouse
   * could not take them); `costs` still says what each query did.
   */
  storageStopped?: { date: string; storage: StorageRefusal; notRun: string[] };
}

/**
 * jetstream's preview: the analysis of a few days on a small sample, written to a
 * dataset whose tables expire, so a config author sees results before merging a config. What
 * it would scan is estimated first, shown, and refused above `maxBytes` before any query runs;
 * each date is analysed even when another failed, so every error shows at once.
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
  const target = pinnedTarget({ ...input, preview: true }, 'preview', pin);

  // Default range: the last `numDays` days up to the last one on which a window of the previewed
  // periods completes (not "today", which may lie long after an experiment ended).
  const described = await describedToday(target);
  const endDate =
    input.endDate ?? described.lastDueDate ?? described.lastAnalysisDate ?? addDays(described.today, -1);
  const startDate = input.startDate ?? addDays(endDate, -(input.numDays - 1));
  const dates = dateRange(startDate, endDate);

  // A generated population stands in for enrollments: an experiment whose own enrollment does
  // not end by the first previewed date (not launched, starting later, still enrolling) is taken
  // to have enrolled up to it, as in jetstream's preview, so that the previewed dates have
  // something due. One whose enrollment is over keeps its dates.
  const analysed = input.generatePopulation ? { ...target, enrolledUntil: startDate } : target;

  progress({ stage: 'estimating cost', total: dates.length });
  const cost = await light.estimatePreviewCost({
    target: analysed,
    dates,
    generatePopulation: input.generatePopulation,
    sampleSize: input.sampleSize,
    maxBytes: input.maxBytes,
    usdPerTib: input.usdPerTib,
  });
  progress({ notes: cost.lines });
  if (cost.refusal) throw toTemporalFailure(reviveError(cost.refusal));

  progress({ stage: 'preparing' });
  // Nothing due on any previewed date (every date before the experiment's windows complete, or
  // after its end): no query would run, so the earlier preview stays; a mistyped date must not
  // delete it for nothing.
  const writesNothing =
    cost.estimate.queries.length === 0 && patched('preview-writing-nothing-keeps-earlier');
  // A preview starts clean: an earlier preview's tables, warnings and costs (other sample size,
  // other config) must not mix in.
  if (!writesNothing)
    await clearResults(analysed, {
      expirationDays: input.expirationDays,
      keepEnrollments: false,
      forgetRows: true,
    });
  const population =
    input.generatePopulation && !writesNothing
      ? await warehouseJobs.buildPopulationSample({ target: analysed, date: endDate })
      : null;

  const days: PreviewResult['days'] = [];
  // The generated population's query ran (and scanned) like the others: it is counted with them,
  // on the date its estimate was made for.
  const populationDate = cost.estimate.queries.find((q) => q.kind === 'enrollments')?.date ?? endDate;
  const runs: DayQueries[] = population?.queries
    ? [{ date: populationDate, queries: population.queries }]
    : [];
  const failed: NonNullable<PreviewResult['failed']> = [];
  let views: string[] = [];
  let interrupted: PreviewResult['interrupted'];
  let storageStopped: PreviewResult['storageStopped'];
  for (const [i, date] of dates.entries()) {
    // Cancelled while the date before published: that publication ran to its end and the date
    // finished; this one is not started (it would only end cancelled, said as stopped part way).
    if (CancellationScope.current().consideredCancelled && patched('preview-stops-after-a-publication')) {
      interrupted = { date, notRun: dates.slice(i + 1), notStarted: true };
      break;
    }
    progress({ stage: 'analysing', current: [date], done: i, failed: failed.length });
    try {
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
            preview: true,
            platform: input.platform,
            ...(analysed.enrolledUntil ? { enrolledUntil: analysed.enrolledUntil } : {}),
          },
        ],
        staticSummary: `preview of ${input.slug} on ${date}`,
      });
      days.push({ date, status: analysis.status, reason: analysis.reason, statistics: analysis.statistics });
      runs.push({ date, queries: analysis.queries ?? [] });
      if (analysis.views.length) views = analysis.views;
    } catch (error) {
      // Cancelled (Ctrl-C): the next dates would only fail as cancelled one by one. The preview
      // stops here and says which dates finished and which did not run.
      if (isCancellation(error)) {
        interrupted = { date, notRun: dates.slice(i + 1) };
        runs.push({ date, queries: queriesRunOf(error) });
        break;
      }
      // The analysis logged its error to the dataset's logs table; the next dates still run.
      const failure = describeFailure(error);
      failed.push({ date, ...failure });
      // What the date's queries did before it failed: those that ran, those that failed.
      runs.push({
        date,
        queries: queriesRunOf(error),
        failedQueries: failure.subjects.flatMap((s) => (s.query ? [s.query] : [])),
      });
      // The embedded warehouse's disk is full or read-only: every later date would fail on it
      // alike, each after its retries, and say so again. A busy file or a BigQuery 5xx is no
      // reason to stop: the next date may well go through.
      const storage = storageRefusalOf(error);
      if (storage && patched('preview-stops-when-storage-fails')) {
        storageStopped = { date, storage, notRun: dates.slice(i + 1) };
        break;
      }
    }
  }
  const finished = days.length + failed.length;
  progress({ stage: 'recording costs', done: finished, failed: failed.length, current: [] });
  // Cancelled, the preview still leaves what it finished in order: the stopped date's staged
  // tables go (never published half-written) and the finished dates' costs are kept. Nothing
  // else cancels this: the command that cancelled waits for it, briefly.
  // Stopped on the warehouse's storage, nothing more is written to it: the costs are only
  // reported, and what the failed date staged stays under its staging names (never published;
  // they expire, and the next preview drops them as it starts).
  const recorded = await CancellationScope.nonCancellable(async () => {
    if (interrupted && !interrupted.notStarted)
      await warehouseJobs.dropResults({ target: analysed, keepEnrollments: true, stagedOnly: true });
    // The stop says of the queries it left unrun what became of them, in their rows as in the report.
    return await light.recordQueryCosts({
      target,
      estimate: cost.estimate,
      runs,
      ...(interrupted ? { stop: { date: interrupted.date, by: 'interruption' as const } } : {}),
      ...(storageStopped
        ? { record: false, stop: { date: storageStopped.date, by: 'storage' as const } }
        : {}),
    });
  });
  const stage = interrupted ? 'interrupted' : storageStopped ? 'stopped' : 'done';
  enterStage(progress, stage);
  return {
    slug: input.slug,
    dataset: input.dataset,
    startDate,
    endDate,
    sampleSize: input.sampleSize,
    ...(cost.assumed ? { assumed: cost.assumed } : {}),
    ...(cost.enrollment ? { enrollment: cost.enrollment } : {}),
    ...(input.generatePopulation ? { generatedPopulation: true as const } : {}),
    ...(cost.skip ? { skip: true as const } : {}),
    pin,
    days,
    views,
    costs: { estimate: cost.estimate, queries: recorded.rows },
    failed,
    ...(interrupted ? { interrupted } : {}),
    ...(storageStopped ? { storageStopped } : {}),
  };
}
