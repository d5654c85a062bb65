import type { Pin } from '../activities/types.js';
import { enterStage, light, resolvePin, setSearchAttributes, trackProgress, validated } from './common.js';
import { RerunSkipInput } from './inputs.js';

export interface RerunSkipResult {
  slug: string;
  /** The experiment's new anchor (now). */
  anchor: string;
  /** Every table and view relabelled, the enrollments table last. */
  tables: string[];
  /** What the experiment's next analyses are pinned to: the release and configs as of the new anchor. */
  pin: Pin;
}

/**
 * jetstream's `rerun-skip`: the experiment continues on the latest tooling and configs without
 * being recomputed. Its anchor moves to now by relabelling its tables; their contents stay.
 */
export async function rerunSkip(raw: RerunSkipInput): Promise<RerunSkipResult> {
  const input = validated(RerunSkipInput, raw, 'rerunSkip');
  const progress = trackProgress('rerunSkip', { stage: 'moving the anchor', total: 1 });
  setSearchAttributes({ slug: input.slug, stage: 'rerun-skip' });
  const moved = await light.touch({ slug: input.slug, dataset: input.dataset, ifAnchored: false });
  const pin = await resolvePin(
    input.slug,
    input.dataset,
    { useLatest: false, useVersion: null },
    { refuse: false },
  );
  enterStage(progress, 'done', { done: 1 }, { pin });
  return { slug: input.slug, anchor: moved.anchor as string, tables: moved.tables, pin };
}
