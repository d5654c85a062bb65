import { Context } from '@temporalio/activity';
import { awaitRuns, cancelRuns, type RunScope, startRuns } from '../temporal/pinned-runs.js';
import type { RunActivities, StatisticsSummary } from './types.js';

/** Await returns at least this often: one activity in the parent's history per few minutes of waiting. */
const MAX_WAIT_MS = 4 * 60_000;
/** A task left this long without a worker taking it means its build has no worker free. */
const WAITING_AFTER_MS = 5_000;

/**
 * The activities through which a parent workflow starts, awaits and cancels the runs it does
 * not run as children (each analysis on its pinned build). They use the worker's own client
 * and task queue, and pin runs within the worker's deployment (null: an unversioned worker).
 */
export function runActivities(deployment: string | null): RunActivities {
  const scope = (): RunScope => {
    const context = Context.current();
    return {
      client: context.client,
      taskQueue: context.info.taskQueue,
      deploymentName: deployment,
      ...(context.info.workflowExecution ? { parent: context.info.workflowExecution.workflowId } : {}),
    };
  };
  return {
    async startRuns({ runs, notBefore, waitForOthers }) {
      return await startRuns(scope(), runs, new Date(notBefore), { waitForOthers: waitForOthers === true });
    },

    async awaitRuns({ runs, knownWaiting }) {
      const context = Context.current();
      const awaited = await awaitRuns(context.client, runs, {
        knownWaiting,
        maxWaitMs: MAX_WAIT_MS,
        waitingAfterMs: WAITING_AFTER_MS,
        heartbeat: () => context.heartbeat(),
        signal: context.cancellationSignal,
      });
      const types = new Map(runs.map((r) => [r.workflowId, r.workflowType]));
      return {
        waiting: awaited.waiting,
        finished: awaited.finished.map((outcome) =>
          outcome.status === 'completed' && types.get(outcome.workflowId) === 'analyzeExperiment'
            ? { ...outcome, result: withoutHeadlines(outcome.result as AnalysisResultShape) }
            : outcome,
        ),
      };
    },

    async cancelRuns({ runs }) {
      await cancelRuns(Context.current().client, runs);
    },
  };
}

interface AnalysisResultShape {
  statistics: (StatisticsSummary & Record<string, unknown>)[];
}

/**
 * An analysis's result as a parent keeps it: the statistics tables without their headline rows
 * and warnings (a parent counts tables; the people who read headlines read the analysis's own
 * result), so a daily run over hundreds of experiments keeps a small history.
 */
function withoutHeadlines(result: AnalysisResultShape): AnalysisResultShape {
  return {
    ...result,
    statistics: result.statistics.map((s) => ({ ...s, headline: [], warnings: [] })),
  };
}
