import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time.js';
import { pollerLine, pollerNamed, pollersLine, recentPollers } from '../../../src/client/held-up.js';

describe('the workers polling a task queue, as doctor says them', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  const seen = (secondsAgo: number) => msToTs(now - secondsAgo * 1000);

  it('counts the workers seen recently, by build; a worker stopped minutes ago is not counted', () => {
    const pollers = recentPollers(
      [
        { identity: 'w1@host-a', lastAccessTime: seen(5), deploymentOptions: { buildId: 'b2' } },
        { identity: 'w2@host-b', lastAccessTime: seen(30), deploymentOptions: { buildId: 'b2' } },
        { identity: 'w3@host-c', lastAccessTime: seen(10), deploymentOptions: { buildId: 'b1' } },
        { identity: 'gone@host-d', lastAccessTime: seen(600), deploymentOptions: { buildId: 'b0' } },
      ],
      now,
    );
    assert.deepEqual(
      pollers.map((p) => p.identity),
      ['w1@host-a', 'w2@host-b', 'w3@host-c'],
    );
    assert.equal(
      pollersLine('contrail', pollers),
      "3 workers poll task queue 'contrail' (build b1: 1; build b2: 2)",
    );
  });

  it('one unversioned worker (embedded mode) is one worker, not a build named after the SDK', () => {
    const pollers = recentPollers(
      [{ identity: 'embedded', lastAccessTime: seen(1), deploymentOptions: null }],
      now,
    );
    assert.equal(pollersLine('contrail', pollers), "1 worker polls task queue 'contrail' (unversioned: 1)");
    assert.equal(pollersLine('contrail', []), "0 workers poll task queue 'contrail'");
  });

  it('says how long ago each worker polled, and that one silent for longer than a live worker ever is has likely stopped; it is not counted as polling', () => {
    const pollers = recentPollers(
      [
        { identity: '4242@host-a', lastAccessTime: seen(3), deploymentOptions: null },
        { identity: '4300@host-b', lastAccessTime: seen(48), deploymentOptions: { buildId: 'b2' } },
        { identity: '4400@host-c', lastAccessTime: seen(78), deploymentOptions: null },
      ],
      now,
    );
    assert.deepEqual(
      pollers.map((p) => p.lastPolledMs),
      [3_000, 48_000, 78_000],
    );
    assert.deepEqual(pollers.map(pollerLine), [
      '4242@host-a, last polled 3 s ago',
      '4300@host-b (build b2), last polled 48 s ago',
      '4400@host-c, last polled 78 s ago: likely stopped (a live worker polls at least once a minute; the server lists one for 90 s after)',
    ]);
    assert.equal(pollerNamed(pollers[1]!), '4300@host-b (last polled 48 s ago)');
    assert.equal(
      pollersLine('contrail', pollers),
      "2 workers poll task queue 'contrail' (build b2: 1; unversioned: 1); 1 more listed has not polled for over a minute",
    );
  });
});
