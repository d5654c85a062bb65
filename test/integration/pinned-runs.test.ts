import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunStart, type StartedRun, startRuns } from '../../src/temporal/pinned-runs.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * Two parents (a backfill and a one-day run, two overlapping backfills) start runs of the
 * same id: each writes under its own staging names, so one must never take the other's run
 * for its own. No worker polls the task queue here, so a started run stays running until it is
 * terminated.
 */
describe('runs of one id started by two parents', () => {
  let temporal: TestTemporal;
  before(async () => {
    temporal = await testTemporal();
  });
  after(async () => {
    await temporal.close();
  });

  const publication = (id: string, owner: string): RunStart => ({
    workflowType: 'publishExperiment',
    workflowId: id,
    input: { slug: 'exp', dataset: 'contrail', run: owner },
    pinnedTo: null,
    slug: 'exp',
    date: null,
    toolVersion: null,
    configCommit: null,
    summary: 'publication of exp',
  });
  const scope = () => ({ client: temporal.client, taskQueue: temporal.taskQueue, deploymentName: null });
  const runIdOf = (result: unknown): string => {
    assert.ok(result && typeof result === 'object' && 'runId' in result, JSON.stringify(result));
    return (result as StartedRun).runId;
  };

  test("another parent's running run is refused, naming its owner; its own is found again; once ended, the other starts anew", async () => {
    const id = `publish/exp/${temporal.taskQueue}`;
    const longAgo = new Date(Date.now() - 3_600_000);
    const [first] = await startRuns(scope(), [publication(id, 'backfill/exp/a')], longAgo);
    const firstRun = runIdOf(first);

    // The owner's retried start finds its own run.
    const [again] = await startRuns(scope(), [publication(id, 'backfill/exp/a')], longAgo);
    assert.equal(runIdOf(again), firstRun);

    // Another parent, started before the run (its notBefore is earlier): refused while it runs.
    const [refused] = await startRuns(scope(), [publication(id, 'run/exp/b')], longAgo);
    assert.deepEqual(refused, {
      workflowId: id,
      status: 'failed',
      errorType: 'ConcurrentRun',
      message: `${id} is already running for backfill/exp/a, which writes the same tables; run this again when it has finished`,
    });

    // Ended, the id is free: the other parent's run is its own, not the ended one.
    await temporal.client.workflow.getHandle(id, firstRun).terminate('test');
    const [own] = await startRuns(scope(), [publication(id, 'run/exp/b')], longAgo);
    assert.notEqual(runIdOf(own), firstRun);
    await temporal.client.workflow.getHandle(id).terminate('test');
  });

  test("a parent that waits for others is given another parent's running run, named by the parent that started it", async () => {
    const id = `publish/exp/busy-${temporal.taskQueue}`;
    const longAgo = new Date(Date.now() - 3_600_000);
    const byParent = { ...scope(), parent: 'backfill/exp/2026-03-01..2026-03-02' };
    const [first] = await startRuns(
      byParent,
      [publication(id, 'backfill/exp/2026-03-01..2026-03-02')],
      longAgo,
    );
    const firstRun = runIdOf(first);
    const [busy] = await startRuns(scope(), [publication(id, 'run/exp/b')], longAgo, { waitForOthers: true });
    assert.deepEqual(busy, {
      busy: true,
      workflowId: id,
      run: {
        workflowType: 'publishExperiment',
        workflowId: id,
        runId: firstRun,
        slug: 'exp',
        date: null,
        toolVersion: null,
        pinnedTo: null,
      },
      startedBy: 'backfill/exp/2026-03-01..2026-03-02',
    });
    await temporal.client.workflow.getHandle(id, firstRun).terminate('test');
    const [own] = await startRuns(scope(), [publication(id, 'run/exp/b')], longAgo, { waitForOthers: true });
    assert.notEqual(runIdOf(own), firstRun);
    await temporal.client.workflow.getHandle(id).terminate('test');
  });

  test('a parent started again joins the run an earlier run of it left going, but not one still stopping after its cancellation', async () => {
    const id = `publish/exp/again-${temporal.taskQueue}`;
    const parent = 'backfill/exp/2026-03-01..2026-03-02';
    const byParent = { ...scope(), parent };
    const start = (notBefore: Date, waitForOthers = false) =>
      startRuns(byParent, [publication(id, parent)], notBefore, { waitForOthers });
    const [first] = await start(new Date(Date.now() - 3_600_000));
    const firstRun = runIdOf(first);

    // Started again after a crash or a termination (its own start is later than the run's):
    // the run goes on, and is this parent's.
    const [adopted] = await start(new Date(Date.now() + 1000));
    assert.equal(runIdOf(adopted), firstRun);

    // Cancelled: with no worker polling, the run is still running while it stops, as a run
    // whose activity honours its cancellation late is. Joined, it would end cancelled.
    await temporal.client.workflow.getHandle(id, firstRun).cancel();
    const [busy] = await start(new Date(Date.now() + 1000), true);
    assert.deepEqual(busy, {
      busy: true,
      workflowId: id,
      run: {
        workflowType: 'publishExperiment',
        workflowId: id,
        runId: firstRun,
        slug: 'exp',
        date: null,
        toolVersion: null,
        pinnedTo: null,
      },
      startedBy: `an earlier run of ${parent}, cancelled and still stopping`,
    });
    // A parent of an older build, which does not wait: refused, saying why.
    const [refused] = await start(new Date(Date.now() + 1000));
    assert.deepEqual(refused, {
      workflowId: id,
      status: 'failed',
      errorType: 'ConcurrentRun',
      message: `${id} is still stopping after an earlier run of ${parent} was cancelled; run this again when it has ended`,
    });

    // Ended: the parent's run starts anew.
    await temporal.client.workflow.getHandle(id, firstRun).terminate('test');
    const [fresh] = await start(new Date(Date.now() + 1000), true);
    assert.notEqual(runIdOf(fresh), firstRun);
    await temporal.client.workflow.getHandle(id).terminate('test');
  });
});
