import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatVersionsReport, versionsReport } from '../../../src/versions/report.js';

const v1 = { version: '0.1.0', buildId: 'v1', releasedAt: '2026-01-01T00:00:00.000Z', breaking: false };
const v2 = { version: '0.2.0', buildId: 'v2', releasedAt: '2026-02-01T00:00:00.000Z', breaking: true };
const v3 = { version: '0.3.0', buildId: 'v3', releasedAt: '2026-03-01T00:00:00.000Z', breaking: false };
const v4 = { version: '0.4.0', buildId: 'v4', releasedAt: null, breaking: false };
const pin = (buildId: string, toolVersion: string) => ({ buildId, toolVersion });

describe('versionsReport', () => {
  const rows = versionsReport({
    releases: [
      { ...v1, routing: 'inactive' },
      { ...v2, routing: 'inactive' },
      { ...v3, routing: 'current' },
      { ...v4, routing: 'ramping' },
    ],
    pins: [
      { slug: 'zeta', pin: pin('v2', '0.2.0') },
      { slug: 'alpha', pin: pin('v2', '0.2.0') },
      { slug: 'new-one', pin: pin('v3', '0.3.0') },
    ],
    work: [
      { buildId: 'v1', openWorkflows: 2, pollers: 0 },
      { buildId: 'v2', openWorkflows: 1, pollers: 2 },
      { buildId: 'v3', openWorkflows: 0, pollers: 1 },
    ],
  });
  const byBuild = (build: string) => rows.find((r) => r.release.buildId === build)!;

  it('lists unreleased builds first, then releases newest first', () => {
    assert.deepEqual(
      rows.map((r) => r.release.buildId),
      ['v4', 'v3', 'v2', 'v1'],
    );
  });

  it('names the experiments pinned to each release', () => {
    assert.deepEqual(byBuild('v2').pinned, ['alpha', 'zeta']);
    assert.deepEqual(byBuild('v3').pinned, ['new-one']);
    assert.deepEqual(byBuild('v1').pinned, []);
  });

  it('says which versions have open work and which of them wait for a worker', () => {
    assert.deepEqual(
      rows.map((r) => [r.release.buildId, r.openWorkflows, r.waiting]),
      [
        ['v4', 0, false],
        ['v3', 0, false],
        ['v2', 1, false],
        ['v1', 2, true],
      ],
    );
  });

  it('retires only a version that is not routed to, has no pins and no open work', () => {
    assert.deepEqual(
      rows.map((r) => [r.release.buildId, r.retirable, r.keep]),
      [
        ['v4', false, ['it is the ramping version']],
        ['v3', false, ['it is the current version', '1 experiment is pinned to it']],
        ['v2', false, ['2 experiments are pinned to it', '1 workflow is open on it']],
        ['v1', false, ['2 workflows are open on it']],
      ],
    );
    const idle = versionsReport({
      releases: [v1, { ...v3, routing: 'current' }, { ...v4, routing: 'inactive' }],
      pins: [],
      work: [{ buildId: 'v4', openWorkflows: 0, pollers: 2 }],
    });
    assert.deepEqual(
      idle.map((r) => [r.release.buildId, r.retirable, r.keep]),
      [
        // Deployed, its workers polling, never made current: on its way in.
        ['v4', false, ['it is not released yet (make it current to release it)']],
        ['v3', false, ['it is the current version']],
        ['v1', true, []],
      ],
    );
  });

  it('matches pins by version when a release has no build id (embedded manifest entries)', () => {
    const embedded = versionsReport({
      releases: [{ ...v1, buildId: null }, v3],
      pins: [{ slug: 'old', pin: pin('whatever', '0.1.0') }],
      work: [],
    });
    assert.deepEqual(embedded.find((r) => r.release.version === '0.1.0')?.pinned, ['old']);
  });

  it('formats one line per release', () => {
    assert.deepEqual(formatVersionsReport(rows), [
      '0.4.0 (build v4) | not released | ramping | no experiments pinned | keep: it is the ramping version',
      '0.3.0 (build v3) | released 2026-03-01T00:00:00.000Z | current | pinned: new-one | keep: it is the current version; 1 experiment is pinned to it',
      '0.2.0 (build v2) | released 2026-02-01T00:00:00.000Z | breaking | pinned: alpha, zeta | 1 open | keep: 2 experiments are pinned to it; 1 workflow is open on it',
      '0.1.0 (build v1) | released 2026-01-01T00:00:00.000Z | no experiments pinned | 2 open, waiting: no worker of this version is polling | keep: 2 workflows are open on it',
    ]);
  });
});
