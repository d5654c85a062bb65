/**
 * `contrail versions` against a cluster: what the server calls of the report take with several
 * builds of one Worker Deployment polling (a real dev server, one activity-only worker per build).
 *   node --import tsx bench/versions.ts [builds]
 * Prints the median time of describing the deployment's versions and of counting each
 * version's open workflows and pollers, over a few rounds.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { startDevServer } from '../src/client/dev-server.js';
import {
  type DeploymentRef,
  describeDeploymentVersions,
  versionQuery,
  versionWork,
} from '../src/temporal/worker-deployments.js';
import { connectWorker } from '../src/worker.js';

const builds = Number(process.argv[2] ?? 8);
const rounds = 15;

const server = await startDevServer({ startTimeoutMs: 120_000 });
const nativeConnection = await connectWorker(server.address, null);
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const ref: DeploymentRef = { client, namespace: server.namespace, deploymentName: `bench-${randomUUID()}` };
const taskQueue = `bench-versions-${randomUUID()}`;
const buildIds = Array.from({ length: builds }, (_, i) => `build-${i + 1}`);
const workers: { worker: Worker; running: Promise<void> }[] = [];
try {
  for (const buildId of buildIds) {
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: server.namespace,
      taskQueue,
      activities: { noop: async () => undefined },
      workerDeploymentOptions: {
        version: { deploymentName: ref.deploymentName, buildId },
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'PINNED',
      },
    });
    workers.push({ worker, running: worker.run() });
  }
  // The server registers versions after their first poll.
  const deadline = Date.now() + 60_000;
  while ((await describeDeploymentVersions(ref).catch(() => [])).length < builds) {
    if (Date.now() > deadline) throw new Error(`the server lists fewer than ${builds} versions after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // The same server calls one after another (as the report made them before), interleaved with
  // the report's own, so both are measured under the same load.
  const sequentialDescribe = async () => {
    await client.workflowService.describeWorkerDeployment({
      namespace: ref.namespace,
      deploymentName: ref.deploymentName,
    });
    for (const buildId of buildIds) {
      await client.workflowService.describeWorkerDeploymentVersion({
        namespace: ref.namespace,
        deploymentVersion: { deploymentName: ref.deploymentName, buildId },
      });
    }
  };
  const sequentialWork = async () => {
    await client.workflowService.describeTaskQueue({
      namespace: ref.namespace,
      taskQueue: { name: taskQueue },
    });
    for (const buildId of buildIds) {
      await client.workflow.count(
        `${versionQuery(ref.deploymentName, buildId)} AND ExecutionStatus = "Running"`,
      );
    }
  };
  const timings = {
    describe: [] as number[],
    work: [] as number[],
    seqDescribe: [] as number[],
    seqWork: [] as number[],
  };
  const time = async (into: number[], fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    into.push(performance.now() - started);
  };
  for (let i = 0; i < rounds; i++) {
    await time(timings.seqDescribe, sequentialDescribe);
    await time(timings.describe, () => describeDeploymentVersions(ref));
    await time(timings.seqWork, sequentialWork);
    await time(timings.work, () => versionWork(ref, taskQueue, buildIds));
  }
  const median = (times: number[]) =>
    (times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number).toFixed(1);
  process.stdout.write(
    `${builds} builds, median of ${rounds} rounds (ms): describe versions ${median(timings.describe)} (one by one: ${median(timings.seqDescribe)}); ` +
      `work per version ${median(timings.work)} (one by one: ${median(timings.seqWork)})\n`,
  );
} finally {
  for (const { worker } of workers) worker.shutdown();
  await Promise.all(workers.map((w) => w.running));
  await connection.close();
  await nativeConnection.close();
  await server.stop();
}
