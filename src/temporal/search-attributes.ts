import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * contrail's custom search attributes: what a run analyses and with which pinned tooling,
 * so the Web UI and `temporal workflow list --query` can find it. The dev server registers
 * them at start; a production cluster needs `temporal operator search-attribute create`.
 */
export const EXPERIMENT = defineSearchAttributeKey('ContrailExperiment', SearchAttributeType.KEYWORD);
export const TOOL_VERSION = defineSearchAttributeKey('ContrailToolVersion', SearchAttributeType.KEYWORD);
export const CONFIG_COMMIT = defineSearchAttributeKey('ContrailConfigCommit', SearchAttributeType.KEYWORD);
export const STAGE = defineSearchAttributeKey('ContrailStage', SearchAttributeType.KEYWORD);

export const CONTRAIL_SEARCH_ATTRIBUTES = [EXPERIMENT, TOOL_VERSION, CONFIG_COMMIT, STAGE] as const;
