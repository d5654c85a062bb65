import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { withKeepAlive } from '../../../src/activities/keep-alive.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('activities heartbeat while they run', () => {
  test('an activity that never heartbeats itself heartbeats every interval, and stops when it ends', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const plan = async (n: number) => {
      await sleep(250);
      return n + 1;
    };
    const wrapped = withKeepAlive({ plan }, 20);
    assert.equal(await env.run(wrapped.plan, 1), 2);
    const during = beats.length;
    assert.ok(during >= 5, `${during} heartbeats in 250 ms at one per 20 ms`);
    await sleep(100);
    assert.equal(beats.length, during, 'no heartbeat after the activity ended');
  });

  test('a failing activity stops heartbeating too, and its error passes unchanged', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const failure = new RangeError('bad input');
    const { plan } = withKeepAlive(
      {
        plan: async () => {
          await sleep(60);
          throw failure;
        },
      },
      20,
    );
    await assert.rejects(env.run(plan), (error) => error === failure);
    const after = beats.length;
    assert.ok(after >= 1, 'it heartbeat while it ran');
    await sleep(100);
    assert.equal(beats.length, after);
  });

  test('outside an activity (a direct call) it simply runs', async () => {
    const { plan } = withKeepAlive({ plan: async (n: number) => n * 2 }, 20);
    assert.equal(await plan(21), 42);
  });
});
