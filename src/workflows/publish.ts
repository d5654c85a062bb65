import type { PublishSummary } from '../activities/types.js';
import { enterStage, pinnedTarget, trackProgress, validated, warehouseJobs } from './common.js';
import { PublishExperimentInput } from './inputs.js';

/**
 * Publishes one experiment's results (views and JSON exports) on the build its pin names: a
 * backfill or rerun starts it pinned once its analyses are done, so that the exported
 * metadata names the build that computed the tables, not the parent's.
 */
export async function publishExperiment(raw: PublishExperimentInput): Promise<PublishSummary> {
  const input = validated(PublishExperimentInput, raw, 'publishExperiment');
  const progress = trackProgress('publishExperiment', { stage: 'publishing', total: 1 });
  const target = pinnedTarget(input, 'publish', input.pin);
  const summary = await warehouseJobs.publish({ target });
  enterStage(progress, 'done', { done: 1 });
  return summary;
}
