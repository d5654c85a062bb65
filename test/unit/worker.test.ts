import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { STATISTICS_PROGRESS_MS } from '../../src/analysis/statistic-rows.js';
import { ActivitiesInFlight, contrailWorkerOptions, SHUTDOWN_GRACE_MS } from '../../src/worker.js';

describe('the options of a contrail worker', () => {
  it('lets an activity heartbeat reach the server as often as a step heartbeats, so a cancellation is heard within about a second, unversioned or versioned', () => {
    // The SDK sends an activity's heartbeats at most 80% of its heartbeat timeout apart (12 s of
    // the workflows' 15 s) unless the worker caps it; the cancellation comes only in a
    // heartbeat's answer, so a cancelled analysis on a cluster computed on for up to 12 s.
    for (const deployment of [null, 'contrail']) {
      const { maxHeartbeatThrottleInterval } = contrailWorkerOptions({ deployment, buildId: 'b1' });
      assert.notEqual(maxHeartbeatThrottleInterval, undefined, `deployment ${deployment}`);
      assert.ok(
        msToNumber(maxHeartbeatThrottleInterval ?? 0) <= STATISTICS_PROGRESS_MS,
        `deployment ${deployment}: throttled to ${String(maxHeartbeatThrottleInterval)}`,
      );
    }
  });

  it('joins the Worker Deployment as its build only when it has a deployment, pinning runs to it', () => {
    assert.equal(
      contrailWorkerOptions({ deployment: null, buildId: 'b1' }).workerDeploymentOptions,
      undefined,
    );
    assert.deepEqual(
      contrailWorkerOptions({ deployment: 'contrail', buildId: 'b1' }).workerDeploymentOptions,
      {
        version: { deploymentName: 'contrail', buildId: 'b1' },
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'PINNED',
      },
    );
  });

  it('gives activities their grace time on a stop and tracks them when asked', () => {
    const inFlight = new ActivitiesInFlight();
    const tracked = contrailWorkerOptions({ deployment: null, buildId: 'b1', inFlight });
    assert.equal(tracked.shutdownGraceTime, SHUTDOWN_GRACE_MS);
    assert.deepEqual(tracked.interceptors, { activity: [inFlight.interceptor] });
    assert.equal(contrailWorkerOptions({ deployment: null, buildId: 'b1' }).interceptors, undefined);
  });
});
