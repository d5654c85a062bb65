import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { releaseRecordLines } from '../../src/client/commands/worker.js';
import {
  DeploymentError,
  type DeploymentRef,
  deleteVersion,
  describeDeploymentVersions,
  isNotFound,
  makeCurrentIfNone,
  POLLER_RECENT_MS,
  recordOwnRelease,
  setCurrentVersion,
  updateVersionMetadata,
  versionQuery,
  versionWork,
} from '../../src/temporal/worker-deployments.js';
import { releasesFromDeployment } from '../../src/versions/deployment.js';
import { versionsReport } from '../../src/versions/report.js';
import { resolveRelease } from '../../src/versions/resolve.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * Worker Versioning on the real dev server: two builds (v1, v2) of one deployment polling one
 * task queue, as contrail's workers will. What the versions module reads from the server,
 * and the pinned execution the analyses will rely on.
 */
describe('worker deployment versions on the dev server', () => {
  let temporal: TestTemporal;
  let ref: DeploymentRef;
  let bundle: WorkflowBundleWithSourceMap;
  const workers = new Map<string, { worker: Worker; running: Promise<void> }>();

  const startWorker = async (
    buildId: string,
    deploymentName = ref.deploymentName,
    taskQueue = temporal.taskQueue,
  ) => {
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: bundle,
      activities: { buildOfWorker: async () => buildId },
      workerDeploymentOptions: {
        version: { deploymentName, buildId },
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'PINNED',
      },
    });
    const name = deploymentName === ref.deploymentName ? buildId : `${deploymentName}:${buildId}`;
    workers.set(name, { worker, running: worker.run() });
  };
  const stopWorker = async (buildId: string) => {
    const entry = workers.get(buildId);
    if (!entry) return;
    workers.delete(buildId);
    entry.worker.shutdown();
    await entry.running;
  };
  const releases = async () =>
    releasesFromDeployment(ref.deploymentName, await describeDeploymentVersions(ref));
  /**
   * Polls until `check` passes: the server registers versions and indexes visibility
   * asynchronously, so a version just listed can still be unknown to a describe call (NOT_FOUND).
   */
  const eventually = async <T>(
    read: () => Promise<T>,
    check: (value: T) => boolean,
    what: string,
  ): Promise<T> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = await read().then(
        (v) => ({ v }),
        (error: unknown) => {
          if (isNotFound(error)) return null;
          throw error;
        },
      );
      if (value && check(value.v)) return value.v;
      if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value?.v ?? 'not found')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const start = (id: string, pinnedTo: string | null, hold = false) =>
    temporal.client.workflow.start('whichBuild', {
      taskQueue: temporal.taskQueue,
      workflowId: `${ref.deploymentName}/${id}`,
      args: [hold],
      ...(pinnedTo
        ? { versioningOverride: { pinnedTo: { deploymentName: ref.deploymentName, buildId: pinnedTo } } }
        : {}),
    });

  before(async () => {
    temporal = await testTemporal();
    ref = {
      client: temporal.client,
      namespace: temporal.namespace,
      deploymentName: `contrail-test-${randomUUID().slice(0, 8)}`,
    };
    bundle = await bundleWorkflowCode({
      workflowsPath: new URL('../fixtures/versions/workflows.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    });
    await startWorker('v1');
    await startWorker('v2');
  });
  after(async () => {
    for (const buildId of [...workers.keys()]) await stopWorker(buildId);
    await temporal.close();
  });

  it('lists both builds once they poll; neither is a release until one is made current', async () => {
    const deployed = await eventually(releases, (r) => r.length === 2, 'versions of the deployment');
    assert.deepEqual(deployed.map((r) => [r.buildId, r.releasedAt, r.routing]).sort(), [
      ['v1', null, 'inactive'],
      ['v2', null, 'inactive'],
    ]);
    assert.throws(() => resolveRelease(deployed, null), /no contrail release has been made current yet/);
    await setCurrentVersion(ref, 'v1');
    const [v1] = (await releases()).filter((r) => r.buildId === 'v1');
    assert.equal(v1?.routing, 'current');
    assert.ok(v1?.releasedAt && Date.parse(v1.releasedAt) <= Date.now());
  });

  it("records a worker's release without overwriting an operator's breaking flag; the flag moves pins", async () => {
    assert.deepEqual(await recordOwnRelease(ref, 'v1', { version: '0.1.0', breaking: false }), {
      version: '0.1.0',
      breaking: false,
    });
    await updateVersionMetadata(ref, 'v2', { breaking: true });
    assert.deepEqual(await recordOwnRelease(ref, 'v2', { version: '0.1.0', breaking: false }), {
      version: '0.1.0',
    });

    const anchor = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await setCurrentVersion(ref, 'v2');
    const registry = await releases();
    assert.deepEqual(registry.map((r) => [r.buildId, r.version, r.breaking, r.routing]).sort(), [
      ['v1', '0.1.0', false, 'inactive'],
      ['v2', '0.1.0', true, 'current'],
    ]);
    assert.deepEqual(resolveRelease(registry, anchor), {
      release: registry.find((r) => r.buildId === 'v2'),
      reason: 'breaking',
    });

    await updateVersionMetadata(ref, 'v2', { breaking: false });
    const unmarked = await releases();
    assert.equal(resolveRelease(unmarked, anchor).release.buildId, 'v1');
    assert.equal(resolveRelease(unmarked, null).release.buildId, 'v2');
  });

  it('runs a run pinned to v1 on v1 while v2 is current; it waits, visibly, while no v1 worker polls', async () => {
    assert.deepEqual(await (await start('current', null)).result(), { workflow: 'v2', activity: 'v2' });
    assert.deepEqual(await (await start('pinned', 'v1')).result(), { workflow: 'v1', activity: 'v1' });

    const held = await start('held', 'v1', true);
    const work = () => versionWork(ref, temporal.taskQueue, ['v1', 'v2']);
    await eventually(work, (w) => w[0]?.openWorkflows === 1 && (w[0]?.pollers ?? 0) > 0, 'open work on v1');

    await stopWorker('v1');
    await held.signal('release');
    const outcome = await Promise.race([
      held.result(),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000)),
    ]);
    assert.equal(outcome, 'still waiting');
    assert.equal((await held.describe()).status.name, 'RUNNING');
    // A stopped worker stays in the poller list with its last poll time; once that is older than
    // an idle worker's re-poll interval, the version counts as having no worker.
    const later = new Date(Date.now() + 2 * POLLER_RECENT_MS);
    const [v1Work] = await versionWork(ref, temporal.taskQueue, ['v1'], later);
    assert.deepEqual(v1Work, { buildId: 'v1', openWorkflows: 1, pollers: 0 });
    const report = versionsReport({ releases: await releases(), pins: [], work: [v1Work!] });
    assert.deepEqual(
      report.filter((r) => r.release.buildId === 'v1').map((r) => [r.waiting, r.retirable]),
      [[true, false]],
    );

    await startWorker('v1');
    assert.deepEqual(await held.result(), { workflow: 'v1', activity: 'v1' });
    const listed: string[] = [];
    for await (const run of temporal.client.workflow.list({ query: versionQuery(ref.deploymentName, 'v1') }))
      listed.push(run.workflowId);
    assert.deepEqual(listed.sort(), [held.workflowId, `${ref.deploymentName}/pinned`].sort());
  });

  it('of two builds whose workers start at once on a fresh deployment, the first to claim becomes current; the other says which', async () => {
    for (let round = 1; round <= 4; round++) {
      const fresh: DeploymentRef = { ...ref, deploymentName: `${ref.deploymentName}-race-${round}` };
      const taskQueue = `${temporal.taskQueue}-race-${round}`;
      await Promise.all(['a', 'b'].map((build) => startWorker(build, fresh.deploymentName, taskQueue)));
      // Each worker's start records its release first (which waits for its version to exist),
      // then claims the current version: both claims at once, as when their workers start together.
      await Promise.all(
        ['a', 'b'].map((build) => recordOwnRelease(fresh, build, { version: '0.1.0', breaking: false })),
      );
      const [a, b] = await Promise.all([makeCurrentIfNone(fresh, 'a'), makeCurrentIfNone(fresh, 'b')]);
      const current = (await describeDeploymentVersions(fresh)).filter((v) => v.routing === 'current');
      assert.equal(current.length, 1, `round ${round}: one current version`);
      const winner = current[0]?.buildId;
      const claims = { a, b };
      assert.deepEqual(
        Object.entries(claims)
          .filter(([, standing]) => standing.claim === 'made')
          .map(([build]) => build),
        [winner],
        `round ${round}: only the current build's worker says it made itself current (${JSON.stringify(claims)})`,
      );
      const loser = winner === 'a' ? 'b' : 'a';
      const lost = claims[loser];
      // The other read the winner's build as current: after its own claim was refused (taken) or,
      // when the winner's set came before the other's first read (a loaded machine), at once (had).
      assert.ok(lost.claim !== 'made', `round ${round}: ${JSON.stringify(claims)}`);
      assert.deepEqual(
        [lost.currentBuildId, lost.routing],
        [winner, 'inactive'],
        `round ${round}: the other says which build won`,
      );
      const won = `${fresh.deploymentName}:${winner} is${
        lost.claim === 'taken' ? ': its worker, starting at the same time, claimed it first' : ''
      }`;
      assert.deepEqual(
        releaseRecordLines({ recorded: {}, ...lost }, { deployment: fresh.deploymentName, buildId: loser }),
        [
          `${fresh.deploymentName}:${loser} is NOT the deployment's current version (${won}): this worker runs only the analyses pinned to this build (experiments pinned to it, runs given --use-version ${loser}), while daily runs, backfills and reruns run on ${fresh.deploymentName}:${winner} and new experiments pin to it; to release this build, make it current with \`temporal worker deployment set-current-version --deployment-name ${fresh.deploymentName} --build-id ${loser} --yes\``,
        ],
      );
      // A later start of either build finds a current version and leaves it.
      assert.deepEqual(await makeCurrentIfNone(fresh, loser), {
        claim: 'had',
        currentBuildId: winner,
        routing: 'inactive',
      });
      assert.deepEqual(await makeCurrentIfNone(fresh, winner as string), {
        claim: 'had',
        currentBuildId: winner,
        routing: 'current',
      });
      for (const build of ['a', 'b']) await stopWorker(`${fresh.deploymentName}:${build}`);
    }
  });

  it('of two workers of one build starting at once on a fresh deployment, one says it made the build current', async () => {
    const fresh: DeploymentRef = { ...ref, deploymentName: `${ref.deploymentName}-twins` };
    await startWorker('a', fresh.deploymentName, `${temporal.taskQueue}-twins`);
    await recordOwnRelease(fresh, 'a', { version: '0.1.0', breaking: false });
    const claims = await Promise.all([makeCurrentIfNone(fresh, 'a'), makeCurrentIfNone(fresh, 'a')]);
    // The other found it made: during its own claim (taken), or before it (had) when the first
    // claim's set came before the other's first read.
    assert.equal(
      claims.filter((standing) => standing.claim === 'made').length,
      1,
      `one made it, the other found it made (${JSON.stringify(claims)})`,
    );
    // Both say the build is current, so neither prints the command that would release it.
    for (const standing of claims)
      assert.deepEqual([standing.currentBuildId, standing.routing], ['a', 'current']);
    assert.deepEqual(
      (await describeDeploymentVersions(fresh)).map((v) => [v.buildId, v.routing]),
      [['a', 'current']],
    );
    await stopWorker(`${fresh.deploymentName}:a`);
  });

  it('refuses to delete the current version, saying why', async () => {
    await assert.rejects(
      deleteVersion(ref, 'v2'),
      (error: unknown) =>
        error instanceof DeploymentError &&
        error.permanent &&
        error.message ===
          `cannot delete worker deployment version ${ref.deploymentName}:v2: Version cannot be deleted since it is current or ramping.`,
    );
  });
});
