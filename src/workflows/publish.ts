import { CancellationScope, patched } from '@temporalio/workflow';
import type { PublishSummary } from '../activities/types.js';
import { enterStage, pinnedTarget, trackProgress, validated, warehouseJobs } from './common.js';
import { PublishExperimentInput } from './inputs.js';

/** The patch under which publishing runs to its end; histories from before it replay as they ran. */
const PUBLISH_TO_ITS_END = 'publish-runs-to-its-end';

/**
 * Publishes with `publish` (the activity that swaps a run's staged tables in for the published
 * ones, then writes the views and exports over them), run to its end even when the workflow is
 * cancelled meanwhile: cut short, BigQuery's swap (one copy job per table) left some of a day's
 * tables and views new and others old or missing, which readers take for one run's results. A
 * cancellation that came before publishing began stops the workflow here, as it would at any
 * other step; one that comes while it publishes takes effect once it has published (the workflow
 * then has nothing more to do and completes, every table of its results published).
 */
export async function publishToItsEnd<T>(publish: () => Promise<T>): Promise<T> {
  if (!patched(PUBLISH_TO_ITS_END)) return await publish();
  const scope = CancellationScope.current();
  // Rejects with the cancellation: a non-cancellable scope would otherwise start publishing anyway.
  if (scope.consideredCancelled) await scope.cancelRequested;
  return await CancellationScope.nonCancellable(publish);
}

/**
 * Publishes one experiment's results (views and JSON exports) on the build its pin names: a
 * backfill or rerun starts it pinned once its analyses are done, so that the exported
 * metadata names the build that computed the tables, not the parent's.
 */
export async function publishExperiment(raw: PublishExperimentInput): Promise<PublishSummary> {
  const input = validated(PublishExperimentInput, raw, 'publishExperiment');
  const progress = trackProgress('publishExperiment', { stage: 'publishing', total: 1 });
  const target = pinnedTarget(input, 'publish', input.pin);
  const publish = () => warehouseJobs.publish({ target });
  // A parent cancelled while this publishes cancels it: it ends once every table is published.
  const summary = await publishToItsEnd(publish);
  enterStage(progress, 'done', { done: 1 });
  return summary;
}
