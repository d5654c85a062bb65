import type { Pin } from '../../src/versions/pin.js';

/** A run pinned by an anchor to build `b2` of contrail 0.2.0 and config commit `abc123`, as workflows pass it down. */
export const anchoredPin: Pin = {
  toolVersion: '0.2.0',
  buildId: 'b2',
  configCommit: 'abc123',
  anchor: '2026-03-01T00:00:00.000Z',
  reason: 'anchor',
  resolvedAt: '2026-03-15T00:00:00.000Z',
};
