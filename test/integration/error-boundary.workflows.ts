/**
 * Workflows for the error-boundary test: each runs the probe activity, which throws one of
 * contrail's error classes through the worker's real failure mapping. Loaded by the test's
 * worker bundle only.
 */
import { proxyActivities } from '@temporalio/workflow';
import { describeFailure } from '../../src/temporal/failures.js';

export interface ErrorProbeActivities {
  /** Throws the error of case `name` (see the test's table of cases). */
  raise(input: { name: string }): Promise<void>;
}

const { raise } = proxyActivities<ErrorProbeActivities>({
  startToCloseTimeout: '1 minute',
  // No list of non-retryable types: whether a failure is retried is the failure's own say.
  retry: { maximumAttempts: 3, initialInterval: '50ms', backoffCoefficient: 1 },
});

/** Every case side by side; each failure as the workflows describe it. */
export async function raiseEach(
  names: string[],
): Promise<{ name: string; errorType: string; message: string }[]> {
  return await Promise.all(
    names.map(async (name) => {
      try {
        await raise({ name });
        return { name, errorType: 'none', message: '' };
      } catch (error) {
        return { name, ...describeFailure(error) };
      }
    }),
  );
}

/** One case; the workflow fails with the activity's failure. */
export async function raiseOnce(name: string): Promise<void> {
  await raise({ name });
}
