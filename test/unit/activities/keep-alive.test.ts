import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeatWith, withKeepAlive } from '../../../src/activities/keep-alive.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('activities heartbeat while they run', () => {
  test('an activity that never heartbeats itself heartbeats every interval, and stops when it ends', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    // Runs until it has seen three heartbeats it never sent itself (a loaded machine may take
    // longer than three intervals: the count, not the time, is what is checked).
    const plan = async (n: number) => {
      const started = Date.now();
      while (beats.length < 3) {
        if (Date.now() - started > 10_000)
          throw new Error(`${beats.length} heartbeats in 10 s at one per 20 ms`);
        await sleep(5);
      }
      return n + 1;
    };
    const wrapped = withKeepAlive({ plan }, 20);
    assert.equal(await env.run(wrapped.plan, 1), 2);
    const during = beats.length;
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
          // Fails once it has heartbeat, however long a loaded machine takes to get there.
          const started = Date.now();
          while (beats.length < 1 && Date.now() - started < 10_000) await sleep(5);
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

  test("the keep-alive repeats the step's latest details, so the server keeps showing them", async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const { plan } = withKeepAlive(
      {
        plan: async () => {
          heartbeatWith(Context.current(), { job: 'computing statistics', detail: '3 of 9' });
          const started = Date.now();
          while (beats.length < 4 && Date.now() - started < 10_000) await sleep(5);
        },
      },
      20,
    );
    await env.run(plan);
    assert.ok(beats.length >= 4, `${beats.length} heartbeats`);
    for (const beat of beats)
      assert.deepEqual(
        beat,
        { job: 'computing statistics', detail: '3 of 9' },
        'a bare heartbeat blanks them',
      );
  });

  test('outside an activity (a direct call) it simply runs', async () => {
    const { plan } = withKeepAlive({ plan: async (n: number) => n * 2 }, 20);
    assert.equal(await plan(21), 42);
  });
});
