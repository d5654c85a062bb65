import { proxyActivities } from '@temporalio/workflow';
import type { HealthReport } from '../activities/health.js';
import type { ContrailActivities } from '../activities/index.js';

const { checkWarehouse } = proxyActivities<ContrailActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** Proves the whole chain: client → server → worker → activity → warehouse, and back. */
export async function healthCheck(): Promise<HealthReport> {
  return await checkWarehouse();
}
