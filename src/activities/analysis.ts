import type { AnalysisContext } from '../analysis/context.js';
import { estimatePreviewCost } from '../analysis/cost.js';
import { checkMaxBytes, checkRejected, describeEstimate } from '../analysis/cost-report.js';
import { ensureCovariates } from '../analysis/covariates.js';
import { eligibleExperiments } from '../analysis/eligible.js';
import {
  dropExperimentTables,
  experimentTables,
  forgetExperimentRows,
  lastTableDate,
} from '../analysis/experiment-tables.js';
import { resultLabels } from '../analysis/labels.js';
import { logRows, recordLogs } from '../analysis/logs.js';
import { SLUG_COLLISION } from '../analysis/ownership.js';
import { dueWindow, dueWork, experimentDates, type PlanTarget } from '../analysis/plan-day.js';
import { enrollmentDates } from '../analysis/previewed-enrollment.js';
import { exportErrors, failedRunErrorsSince, publishResults } from '../analysis/publish.js';
import { queryCostRows, recordQueryCosts } from '../analysis/query-costs.js';
import type { ResolvedTarget, SpecResolver } from '../analysis/spec-resolver.js';
import { dropStaged, runTables } from '../analysis/staging.js';
import { computeWindowStatistics } from '../analysis/statistics.js';
import { buildPopulation, computeWindowMetrics, ensureEnrollments } from '../analysis/steps.js';
import type { AnalysisSpec } from '../config/spec.js';
import { type IsoDate, isoDate } from '../dates.js';
import { type ErrorData, errorData } from '../errors.js';
import { everySlug } from '../experiments/source.js';
import { checkPinnedBuild, type RunningBuild } from '../versions/pin.js';
import { WarehouseUnavailableError } from '../warehouse/errors.js';
import type { ActivityDeps } from './deps.js';
import { temporalProgress } from './job-context.js';
import type { AnalysisActivities, AnalysisTarget } from './types.js';

/**
 * The analysis activities: each resolves the target's spec (cached per worker), calls one step
 * of src/analysis and returns its small summary. Nothing here renders SQL or computes statistics.
 */
export function analysisActivities(
  deps: ActivityDeps,
  specs: SpecResolver,
): Omit<AnalysisActivities, 'resolveVersions' | 'touch' | 'versionsReport'> {
  const running: RunningBuild = { ...deps.toolVersion, deployment: deps.deployment };

  /** The target's spec: the config at the pin, the target's sample size in place of the config's. */
  async function specOf(target: AnalysisTarget, resolved?: ResolvedTarget): Promise<AnalysisSpec> {
    const { spec } = resolved ?? (await specs.resolve(target));
    return target.sampleSize === null ? spec : { ...spec, sampleSize: target.sampleSize };
  }

  /** A step that writes results computes only on the build its experiment is pinned to. */
  async function computingContextOf(target: AnalysisTarget): Promise<AnalysisContext> {
    checkPinnedBuild(target.slug, target.pin, running);
    return await contextOf(target);
  }

  /**
   * The context of a step of `target`; `resolved`, when the step needs more of the resolution than
   * the spec, so that it is not resolved twice (each resolution looks at the repos' state again:
   * a walk of a plain directory, a git process for a checkout read at its HEAD).
   */
  async function contextOf(target: AnalysisTarget, resolved?: ResolvedTarget): Promise<AnalysisContext> {
    const spec = await specOf(target, resolved);
    const warehouse = await deps.warehouse();
    return {
      spec,
      warehouse,
      dataset: target.dataset,
      periods: target.periods,
      labels: resultLabels(target.pin, deps.toolVersion, target.slug),
      // A target from a workflow started before results were staged has no run: it writes in place.
      results: await runTables(warehouse, {
        run: target.run ?? null,
        dataset: target.dataset,
        slug: target.slug,
      }),
      progress: temporalProgress,
    };
  }

  const planTarget = (ctx: AnalysisContext): PlanTarget => ({ ...ctx, dialect: ctx.warehouse.sqlDialect });

  /** Experimenter's enrollment end date of a failed run's experiment; null when its spec cannot be resolved (maybe the failure itself). */
  async function enrollmentEndDateOf(target: AnalysisTarget): Promise<IsoDate | null> {
    try {
      return (await specs.resolve(target)).spec.experiment.enrollmentEndDate;
    } catch {
      return null;
    }
  }

  return {
    async describeExperiment({ target, today }) {
      return experimentDates(await specs.datesOf(target, today), today, target.periods);
    },

    async planDay({ target, date }) {
      return dueWork(planTarget(await contextOf(target)), date);
    },

    async computeEnrollments({ target, date, recreate }) {
      return ensureEnrollments(await computingContextOf(target), date, recreate, deps.now());
    },

    async buildPopulationSample({ target, date }) {
      return buildPopulation(await computingContextOf(target), date, target.sampleSize);
    },

    async computeMetrics({ target, date, window }) {
      const ctx = await computingContextOf(target);
      return computeWindowMetrics(ctx, dueWindow(planTarget(ctx), date, window));
    },

    async computeStatistics({ target, date, window }) {
      let ctx = await computingContextOf(target);
      if ((await ensureCovariates(ctx, dueWindow(planTarget(ctx), date, window))).length > 0) {
        // The covariates were just written: plan again, reading them.
        ctx = await computingContextOf(target);
      }
      return computeWindowStatistics(ctx, dueWindow(planTarget(ctx), date, window), {
        date,
        configCommit: target.pin.configCommit,
        now: deps.now(),
        toolVersion: deps.toolVersion.version,
      });
    },

    async publish({ target, exports }) {
      checkPinnedBuild(target.slug, target.pin, running);
      // The run was allowed to start (resolveVersions); another experiment whose slug names the
      // same tables may have published since. Its tables are never swapped over.
      const known = await everySlug(deps.experiments).catch(() => []);
      const resolved = await specs.resolve(target);
      const ctx = await contextOf(target, resolved);
      return publishResults({
        warehouse: ctx.warehouse,
        spec: ctx.spec,
        collection: resolved.collection,
        dataset: target.dataset,
        pin: target.pin,
        toolVersion: deps.toolVersion,
        // Absent in workflows started before exports could be turned off: they exported.
        exportDir: exports === false ? null : deps.exportDir,
        ...(deps.productionDataset === undefined ? {} : { productionDataset: deps.productionDataset }),
        knownSlugs: known,
        preview: target.preview === true,
        results: ctx.results,
        now: deps.now(),
        progress: ctx.progress,
      });
    },

    async recordError({ dataset, error, exports, preview, target }) {
      let logged = false;
      try {
        const warehouse = await deps.warehouse();
        await recordLogs(
          warehouse,
          dataset,
          logRows(error, { now: deps.now(), toolVersion: deps.toolVersion.version }),
        );
        logged = true;
        const { exportDir } = deps;
        // An error of no one experiment (a daily run's listing) has no errors file to go to; one
        // refused for another experiment's tables would write that experiment's errors file.
        if (
          exports === true &&
          exportDir !== null &&
          error.slug !== null &&
          error.errorType !== SLUG_COLLISION
        )
          await exportErrors({
            warehouse,
            dataset,
            slug: error.slug,
            exportDir,
            ...(deps.productionDataset === undefined ? {} : { productionDataset: deps.productionDataset }),
            preview: preview === true,
            // Absent in workflows started before failed runs scoped their errors file: every row.
            since:
              target === undefined
                ? null
                : await failedRunErrorsSince({
                    warehouse,
                    target,
                    enrollmentEndDate: await enrollmentEndDateOf(target),
                    now: deps.now(),
                  }),
          });
      } catch (failure) {
        // The error being logged fails its workflow and reaches the user either way. A warehouse
        // that gave no answer through this call's own retries would only hold that report back
        // through the activity's retries too (half a minute a date on an unreachable BigQuery).
        if (failure instanceof WarehouseUnavailableError && !failure.permanent)
          throw new WarehouseUnavailableError({
            warehouseMessage: `${failure.warehouseMessage}; ${logged ? 'the error was logged, but its errors file not exported' : 'the error was not logged'}`,
            permanent: true,
            cause: failure,
          });
        throw failure;
      }
    },

    async listEligibleExperiments({ date }) {
      return eligibleExperiments(specs, date);
    },

    async estimatePreviewCost({ target, dates, generatePopulation, sampleSize, maxBytes, usdPerTib }) {
      const resolved = await specs.resolve(target);
      const ctx = await contextOf(target, resolved);
      const estimate = await estimatePreviewCost(ctx.warehouse, planTarget(ctx), {
        dates,
        generatePopulation,
        sampleSize,
        usdPerTib,
      });
      const lines = describeEstimate(estimate);
      let refusal: ErrorData | null = null;
      try {
        // Rejected queries first: they leave the total short of what the preview would scan.
        checkRejected(estimate);
        checkMaxBytes(estimate, maxBytes);
      } catch (error) {
        // The refusal carries the estimate, so whoever reads the failure can show it first.
        const data = errorData(error);
        refusal = { ...data, details: { ...data.details, notes: lines } };
      }
      const { assumed } = resolved;
      const enrollment = enrollmentDates(resolved);
      return {
        estimate,
        lines,
        refusal,
        ...(assumed ? { assumed } : {}),
        ...(enrollment ? { enrollment } : {}),
        ...(resolved.spec.skip ? { skip: true as const } : {}),
      };
    },

    async recordQueryCosts({ target, estimate, runs, stop, record }) {
      const rows = queryCostRows(target.slug, estimate, runs, deps.now(), stop);
      if (record !== false) await recordQueryCosts(await deps.warehouse(), target.dataset, target.slug, rows);
      return { rows };
    },

    async dropResults({ target, keepEnrollments, forgetRows, keep, stagedOnly }) {
      const ctx = await contextOf(target);
      // The run starts over: what a crashed attempt of it staged goes.
      await dropStaged(ctx.warehouse, target.dataset, ctx.results);
      if (stagedOnly) return { dropped: [] };
      // What a run's publication did not write (`keep`) goes only among the periods it computed:
      // a rerun of the weekly results leaves the daily and overall ones, and their views, as they were.
      const periods = keep && target.periods ? target.periods : undefined;
      const tables = experimentTables(
        ctx.spec,
        target.dataset,
        lastTableDate(ctx.spec, isoDate(deps.now())),
        periods,
      );
      const { dropped } = await dropExperimentTables(ctx.warehouse, tables, {
        keepEnrollments,
        ...(keep ? { keep } : {}),
      });
      if (forgetRows) await forgetExperimentRows(ctx.warehouse, target.dataset, target.slug);
      return { dropped };
    },
  };
}
