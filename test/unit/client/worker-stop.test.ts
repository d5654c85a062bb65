import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abandonedLine, stoppedLine, stoppingLine } from '../../../src/client/worker-stop.js';

describe('what a stopping worker says', () => {
  it('names the activities under way by type, their grace time and what happens after', () => {
    assert.equal(
      stoppingLine('SIGTERM', ['computeMetrics', 'awaitRuns', 'computeMetrics'], 10_000),
      'stopping (SIGTERM): no new work is taken; 3 activities under way (awaitRuns, computeMetrics ×2) get 10 s to finish, then are cancelled and retried by Temporal on another worker; SIGTERM again stops at once',
    );
    assert.equal(
      stoppingLine('SIGINT', ['publish'], 10_000),
      'stopping (SIGINT): no new work is taken; 1 activity under way (publish) gets 10 s to finish, then is cancelled and retried by Temporal on another worker; SIGINT again stops at once',
    );
    assert.equal(
      stoppingLine('SIGTERM', [], 10_000),
      'stopping (SIGTERM): no new work is taken and none is under way',
    );
  });

  it('says how the activities under way ended, and what a second signal leaves unfinished', () => {
    assert.equal(
      stoppedLine('SIGTERM', { finished: 2, cancelled: 1 }),
      'contrail worker stopped (SIGTERM): 2 activities finished, 1 activity cancelled (Temporal retries it on another worker).',
    );
    assert.equal(stoppedLine('SIGINT', { finished: 0, cancelled: 0 }), 'contrail worker stopped (SIGINT).');
    assert.equal(stoppedLine(null, { finished: 0, cancelled: 0 }), 'contrail worker stopped.');
    assert.equal(
      abandonedLine('SIGINT', ['computeStatistics', 'computeStatistics']),
      'stopped at once (SIGINT again): 2 activities under way (computeStatistics ×2) left unfinished; Temporal retries them once their heartbeat timeout passes',
    );
    assert.equal(abandonedLine('SIGTERM', []), 'stopped at once (SIGTERM again)');
  });
});
