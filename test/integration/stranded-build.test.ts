import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type DeploymentRef,
  describeDeploymentVersions,
  isNotFound,
  setCurrentVersion,
} from '../../src/temporal/worker-deployments.js';
import type { DeploymentVersionFacts } from '../../src/versions/deployment.js';
import { type RunningCli, runCli, spawnCli } from '../helpers/cli.js';
import { marked, processMarker } from '../helpers/processes.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * A Worker Deployment of two builds, one of which no worker serves (an old build whose workers
 * were stopped while runs were still pinned to it), as doctor, status and cancel say it: doctor's
 * check runs on the current version, so such a build is checked apart, and a run pinned to it
 * answers no progress query, so following it said nothing at all.
 */
describe('a build no worker runs, as doctor, status and cancel say it', () => {
  let temporal: TestTemporal;
  let ref: DeploymentRef;
  let env: NodeJS.ProcessEnv;
  const marker = processMarker();
  const workers: RunningCli[] = [];
  const suffix = randomUUID().slice(0, 8);
  const b1 = `b1-${suffix}`;
  const b2 = `b2-${suffix}`;

  before(async () => {
    temporal = await testTemporal();
    ref = { client: temporal.client, namespace: temporal.namespace, deploymentName: `doctor-${suffix}` };
    env = {
      ...temporal.env,
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-stranded-build-')),
      CONTRAIL_DEPLOYMENT: ref.deploymentName,
    };
    const registered = async (done: (versions: DeploymentVersionFacts[]) => boolean, what: string) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const versions = await describeDeploymentVersions(ref).catch((error: unknown) => {
          if (isNotFound(error)) return [];
          throw error;
        });
        if (done(versions)) return;
        if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(versions)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    const recorded = (versions: DeploymentVersionFacts[], buildId: string) =>
      versions.some((v) => v.buildId === buildId && typeof v.metadata.version === 'string');
    // b1 serves doctor's task queue (the deployment's first build makes itself current); then b2,
    // a version of the deployment whose only worker polls another task queue: none serves b2 here.
    workers.push(
      spawnCli(['worker'], { env: { ...env, ...marker.env, CONTRAIL_BUILD_ID: b1 }, timeoutMs: 300_000 }),
    );
    await registered(
      (versions) =>
        versions.some((v) => v.buildId === b1 && v.routing === 'current') && recorded(versions, b1),
      'b1 did not become current',
    );
    workers.push(
      spawnCli(['worker', '--task-queue', `${temporal.taskQueue}-elsewhere`], {
        env: { ...env, ...marker.env, CONTRAIL_BUILD_ID: b2 },
        timeoutMs: 300_000,
      }),
    );
    await registered((versions) => recorded(versions, b2), 'b2 did not register');
  });

  after(async () => {
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.done));
    assert.deepEqual(await marked(marker.pids, 10_000), []);
    await temporal.close();
  });

  test('each worker says whether its build is the current version; the second says how to release it', async () => {
    const said = async (worker: RunningCli, pattern: RegExp) => {
      const deadline = Date.now() + 30_000;
      while (!pattern.test(worker.stdout())) {
        if (Date.now() > deadline) assert.fail(`no line ${pattern} in: ${worker.stdout()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const [first, second] = workers as [RunningCli, RunningCli];
    await said(
      first,
      new RegExp(`^made ${ref.deploymentName}:${b1} the deployment's current version \\(it had none\\)`, 'm'),
    );
    // Before, the second build said only that it recorded its release, as if it served new runs.
    await said(
      second,
      new RegExp(
        `^${ref.deploymentName}:${b2} is NOT the deployment's current version \\(${ref.deploymentName}:${b1} is\\): this worker runs only the analyses pinned to this build .*; to release this build, make it current with \`\\S*temporal worker deployment set-current-version --deployment-name ${ref.deploymentName} --build-id ${b2} --yes\`$`,
        'm',
      ),
    );
  });

  test('a run pinned to a build no worker runs fails the check, named with the worker that would serve it', async () => {
    const healthy = await runCli(['doctor'], { env, timeoutMs: 180_000 });
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.match(healthy.stdout, /^contrail doctor: every link answered$/m);

    const waiting = await temporal.client.workflow.start('healthCheck', {
      taskQueue: temporal.taskQueue,
      workflowId: `doctor-pinned-${suffix}`,
      versioningOverride: { pinnedTo: { deploymentName: ref.deploymentName, buildId: b2 } },
    });
    try {
      // Before, every link answered (exit 0) while that run waited for ever.
      const doctor = await runCli(['doctor'], { env, timeoutMs: 180_000 });
      assert.equal(doctor.code, 1, doctor.stderr);
      assert.match(
        doctor.stdout,
        /^contrail doctor: every link answered, but work waits for a build no worker runs$/m,
      );
      assert.match(
        doctor.stdout,
        new RegExp(
          `^ {2}versions {3}contrail \\S+\\+${b2}: 1 workflow waits for a worker of this build, and none polls task queue '${temporal.taskQueue}': start one with \`\\S*contrail worker --build-id ${b2}\``,
          'm',
        ),
      );
      assert.match(
        doctor.stderr,
        new RegExp(
          `^contrail: 1 workflow waits for a worker of contrail \\S+\\+${b2}, which no worker runs$`,
          'm',
        ),
      );
    } finally {
      await waiting.terminate('test done');
    }
  });

  test('a current version no worker runs is said at once, not after the check has waited its two minutes', async () => {
    // As if b2's workers had all stopped once it was current (the server otherwise refuses a
    // current version that lacks a task queue the previous one had).
    await temporal.client.workflowService.setWorkerDeploymentCurrentVersion({
      namespace: ref.namespace,
      deploymentName: ref.deploymentName,
      buildId: b2,
      ignoreMissingTaskQueues: true,
    });
    try {
      const doctor = await runCli(['doctor'], { env, timeoutMs: 180_000 });
      assert.equal(doctor.code, 1, doctor.stderr);
      assert.match(
        doctor.stderr,
        new RegExp(
          `^contrail: Temporal at \\S+ answered, but no worker of contrail \\S+\\+${b2}, the current version of worker deployment ${ref.deploymentName}, polls task queue '${temporal.taskQueue}': every run started without a pin .* waits for one; start one with \`\\S*contrail worker --build-id ${b2}\`, or make a build whose workers poll current \\(\`\\S*temporal worker deployment set-current-version --deployment-name ${ref.deploymentName} --build-id ${b1} --yes\`; polling: contrail \\S+\\+${b1}\\)$`,
          'm',
        ),
      );
      assert.ok(doctor.ms < 60_000, `said after ${doctor.ms} ms`);
    } finally {
      await setCurrentVersion(ref, b1);
    }
  });

  test('status and cancel of a run pinned to a build no worker runs say so, with the worker to start', async () => {
    const workflowId = `stranded-${suffix}`;
    const stranded = await temporal.client.workflow.start('healthCheck', {
      taskQueue: temporal.taskQueue,
      workflowId,
      versioningOverride: { pinnedTo: { deploymentName: ref.deploymentName, buildId: b2 } },
    });
    const said = new RegExp(
      `^${workflowId} is pinned to build ${b2} and waits for a worker of it, but none polls task queue '${temporal.taskQueue}': nothing moves it until one runs \\(\`\\S*contrail worker --build-id ${b2}\` with the same TEMPORAL_ADDRESS`,
      'm',
    );
    try {
      for (const command of ['status', 'cancel']) {
        // Before, both waited without a word until Ctrl-C.
        const following = spawnCli([command, workflowId], { env, timeoutMs: 120_000 });
        try {
          await following.waitForStderr(said, 60_000);
        } finally {
          following.child.kill('SIGINT');
        }
        const stopped = await following.done;
        assert.equal(stopped.code, 130, stopped.stderr);
      }
    } finally {
      await stranded.terminate('test done');
    }
  });
});
