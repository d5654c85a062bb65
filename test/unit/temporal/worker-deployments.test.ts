import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { mapBounded } from '../../../src/concurrency.js';
import { describeDeploymentVersions, versionWork } from '../../../src/temporal/worker-deployments.js';

/**
 * A stand-in for the workflow service of a cluster whose answers take a while, later builds
 * answering sooner: it counts how many calls are in flight at once.
 */
function slowServer(buildIds: string[]) {
  let inFlight = 0;
  let most = 0;
  const answer = async <T>(delayMs: number, value: T): Promise<T> => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    inFlight--;
    return value;
  };
  const delay = (buildId: string) => 5 + 3 * (buildIds.length - buildIds.indexOf(buildId));
  const client = {
    workflowService: {
      describeWorkerDeployment: () =>
        answer(5, {
          workerDeploymentInfo: {
            routingConfig: { currentDeploymentVersion: { buildId: buildIds[0] } },
            versionSummaries: buildIds.map((buildId) => ({ deploymentVersion: { buildId } })),
          },
        }),
      describeWorkerDeploymentVersion: (request: { deploymentVersion: { buildId: string } }) =>
        answer(delay(request.deploymentVersion.buildId), {
          workerDeploymentVersionInfo: { metadata: { entries: {} } },
        }),
      describeTaskQueue: () =>
        answer(5, {
          pollers: buildIds.map((buildId) => ({
            deploymentOptions: { deploymentName: 'd', buildId },
            lastAccessTime: msToTs(Date.now()),
          })),
        }),
    },
    workflow: {
      count: (query: string) => {
        const buildId = /d:([^"]+)"/.exec(query)?.[1] ?? '';
        return answer(delay(buildId), { count: buildIds.indexOf(buildId) });
      },
    },
  };
  return { client: client as unknown as Client, most: () => most };
}

test('the versions report asks the server about its builds side by side, at most 8 of a kind at once, in the listed order', async () => {
  const buildIds = Array.from({ length: 12 }, (_, i) => `build-${i + 1}`);
  const server = slowServer(buildIds);
  const ref = { client: server.client, namespace: 'ns', deploymentName: 'd' };
  const versions = await describeDeploymentVersions(ref);
  assert.deepEqual(
    versions.map((v) => v.buildId),
    buildIds,
  );
  assert.equal(versions[0]?.routing, 'current');
  assert.equal(server.most(), 8);

  const work = await versionWork(ref, 'queue', buildIds);
  assert.deepEqual(
    work.map((w) => [w.buildId, w.openWorkflows, w.pollers]),
    buildIds.map((b, i) => [b, i, 1]),
  );
  // Eight counts, and the task queue's pollers beside them.
  assert.equal(server.most(), 9);
});

test('mapBounded keeps the order of its items and rejects with the first failure once all settled', async () => {
  const settled: number[] = [];
  await assert.rejects(
    mapBounded([30, 10, 20], 2, async (ms, i) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      settled.push(i);
      if (i > 0) throw new Error(`item ${i}`);
      return ms;
    }),
    /item 1/,
  );
  assert.deepEqual([...settled].sort(), [0, 1, 2]);
  assert.deepEqual(await mapBounded([3, 1, 2], 2, async (n) => n * 2), [6, 2, 4]);
});
