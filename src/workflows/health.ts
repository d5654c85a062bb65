import { proxyActivities } from '@temporalio/workflow';
import type { HealthReport } from '../activities/health.js';
import type { ContrailActivities } from '../activities/index.js';

// One attempt: the warehouse's own retries ride out a blip within it, and a check is there to
// say what it met. Attempted three times, a warehouse that does not answer took 18 s to be named.
const { checkWarehouse } = proxyActivities<ContrailActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

/** Proves the whole chain: client → server → worker → activity → warehouse, and back. */
export async function healthCheck(): Promise<HealthReport> {
  return await checkWarehouse();
}
