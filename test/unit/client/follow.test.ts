import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { followWorkflow } from '../../../src/client/follow.js';
import type { Progress } from '../../../src/workflows/common.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A client double whose progress queries take `queryMs` each and honour the abort signal the
 * way the SDK's calls do; it counts the queries running at any moment.
 */
function slowQueryClient(queryMs: number) {
  let signal: AbortSignal | null = null;
  let finish: (value: unknown) => void = () => undefined;
  const counts = { running: 0, most: 0, started: 0, cancelled: 0 };
  const signals = new Set<AbortSignal>();
  const handle = {
    query: async (): Promise<Progress> => {
      const mine = signal;
      if (mine) signals.add(mine);
      counts.started++;
      counts.running++;
      counts.most = Math.max(counts.most, counts.running);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, queryMs);
          mine?.addEventListener('abort', () => {
            clearTimeout(timer);
            counts.cancelled++;
            reject(new Error('cancelled'));
          });
        });
      } finally {
        counts.running--;
      }
      return { workflow: 'w', stage: 'analysing', total: 2, done: 1, failed: 0, current: [], waiting: [] };
    },
    result: () => new Promise((resolve) => (finish = resolve)),
  };
  const client = {
    workflow: { getHandle: () => handle },
    withAbortSignal: async <R>(s: AbortSignal, fn: () => Promise<R>) => {
      signal = s;
      return await fn();
    },
  } as unknown as Client;
  return { client, counts, signals, finish: (value: unknown) => finish(value) };
}

describe('followWorkflow', () => {
  it('leaves no progress query running when it returns (the connection closes next)', async () => {
    const double = slowQueryClient(5_000);
    const following = followWorkflow<string>(double.client, 'w', {
      progressBar: false,
      log: () => undefined,
    });
    await sleep(700); // the first poll (after 500 ms) is now waiting for its answer
    assert.equal(double.counts.running, 1);
    double.finish('the result');
    assert.equal(await following, 'the result');
    assert.equal(double.counts.running, 0, 'a query outlived followWorkflow');
    assert.ok(double.counts.cancelled >= 1, 'the waiting query was cancelled, not left to finish');
  });

  it('asks one query at a time, however slow the answers, each with its own abort signal', async () => {
    const double = slowQueryClient(1_200);
    const following = followWorkflow(double.client, 'w', { progressBar: false, log: () => undefined });
    await sleep(3_000);
    double.finish('done');
    await following;
    assert.ok(double.counts.started >= 2, `${double.counts.started} queries`);
    assert.equal(double.counts.most, 1);
    // A signal shared by every poll collects one listener per call: node warns of a leak after ten.
    assert.equal(double.signals.size, double.counts.started);
  });
});
