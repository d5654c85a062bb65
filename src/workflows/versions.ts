import { workflowInfo } from '@temporalio/workflow';
import type { VersionsReportRow } from '../activities/types.js';
import { addDays, isoDate } from '../dates.js';
import { light, validated } from './common.js';
import { VersionsReportInput } from './inputs.js';

/**
 * `contrail versions`: the release registry as this deployment sees it, the experiments pinned
 * to each release, the versions with running or waiting work, and which can be retired.
 */
export async function versionsReport(raw: VersionsReportInput = {}): Promise<VersionsReportRow[]> {
  const input = validated(VersionsReportInput, raw, 'versionsReport');
  const date = input.date ?? addDays(isoDate(workflowInfo().startTime), -1);
  return await light.versionsReport({ dataset: input.dataset, date });
}
