import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Pin,
  PinOverrideError,
  type PinReason,
  type VersionOverride,
  versionOverride,
} from '../../../src/versions/pin.js';
import { type Release, ReleaseRegistryError, UnknownReleaseError } from '../../../src/versions/release.js';
import { pinOf, resolveRelease } from '../../../src/versions/resolve.js';

const release = (buildId: string, version: string, releasedAt: string | null, breaking = false): Release => ({
  version,
  buildId,
  releasedAt,
  breaking,
});

/** Three plain releases and a build that is deployed but was never made current. */
const plain = [
  release('a1', '0.1.0', '2026-01-01T00:00:00Z'),
  release('a2', '0.2.0', '2026-02-01T00:00:00Z'),
  release('a3', '0.3.0', '2026-03-01T00:00:00Z'),
  release('a4', '0.4.0', null),
];

/** Breaking releases in February and April. */
const withBreaking = [
  release('b1', '1.1.0', '2026-01-01T00:00:00Z'),
  release('b2', '1.2.0', '2026-02-01T00:00:00Z', true),
  release('b3', '1.3.0', '2026-03-01T00:00:00Z'),
  release('b4', '1.4.0', '2026-04-01T00:00:00Z', true),
  release('b5', '1.5.0', '2026-05-01T00:00:00Z'),
];

interface Case {
  name: string;
  releases: Release[];
  anchor: string | null;
  override?: VersionOverride;
  build: string;
  reason: PinReason;
}

const cases: Case[] = [
  // The newest release at or before the anchor.
  {
    name: 'anchor between releases',
    releases: plain,
    anchor: '2026-02-15T00:00:00Z',
    build: 'a2',
    reason: 'anchor',
  },
  {
    name: 'anchor exactly at a release',
    releases: plain,
    anchor: '2026-02-01T00:00:00Z',
    build: 'a2',
    reason: 'anchor',
  },
  {
    name: 'anchor 1 ms before a release',
    releases: plain,
    anchor: '2026-01-31T23:59:59.999Z',
    build: 'a1',
    reason: 'anchor',
  },
  {
    name: 'anchor after every release',
    releases: plain,
    anchor: '2027-01-01T00:00:00Z',
    build: 'a3',
    reason: 'anchor',
  },
  {
    name: 'releases listed out of order',
    releases: [plain[2]!, plain[0]!, plain[3]!, plain[1]!],
    anchor: '2026-02-15T00:00:00Z',
    build: 'a2',
    reason: 'anchor',
  },
  // An anchor older than every release gets the earliest.
  {
    name: 'anchor before every release',
    releases: plain,
    anchor: '2025-06-01T00:00:00Z',
    build: 'a1',
    reason: 'before-first-release',
  },
  // No anchor yet: the latest release (a deployed, never-current build is not a release).
  { name: 'no anchor', releases: plain, anchor: null, build: 'a3', reason: 'no-anchor' },
  {
    name: 'no anchor, breaking releases',
    releases: withBreaking,
    anchor: null,
    build: 'b5',
    reason: 'no-anchor',
  },
  // A breaking release after the anchor moves the pin to it; with several, to the newest.
  {
    name: 'two breaking releases after the anchor',
    releases: withBreaking,
    anchor: '2026-01-15T00:00:00Z',
    build: 'b4',
    reason: 'breaking',
  },
  {
    name: 'one breaking release after the anchor',
    releases: withBreaking,
    anchor: '2026-03-15T00:00:00Z',
    build: 'b4',
    reason: 'breaking',
  },
  {
    name: 'a breaking release exactly at the anchor',
    releases: withBreaking,
    anchor: '2026-04-01T00:00:00Z',
    build: 'b4',
    reason: 'anchor',
  },
  {
    name: 'breaking releases only before the anchor',
    releases: withBreaking,
    anchor: '2026-05-15T00:00:00Z',
    build: 'b5',
    reason: 'anchor',
  },
  {
    name: 'between the last breaking and a newer release',
    releases: withBreaking,
    anchor: '2026-04-15T00:00:00Z',
    build: 'b4',
    reason: 'anchor',
  },
  {
    name: 'anchor before every release, breaking ones later',
    releases: withBreaking,
    anchor: '2025-06-01T00:00:00Z',
    build: 'b4',
    reason: 'breaking',
  },
  {
    name: 'the earliest release is the breaking one',
    releases: [
      release('c1', '2.0.0', '2026-01-01T00:00:00Z', true),
      release('c2', '2.1.0', '2026-02-01T00:00:00Z'),
    ],
    anchor: '2025-06-01T00:00:00Z',
    build: 'c1',
    reason: 'breaking',
  },
  // Overrides win over the anchor and over breaking releases.
  {
    name: '--use-latest',
    releases: plain,
    anchor: '2026-01-15T00:00:00Z',
    override: 'latest',
    build: 'a3',
    reason: 'use-latest',
  },
  {
    name: '--use-latest without an anchor',
    releases: withBreaking,
    anchor: null,
    override: 'latest',
    build: 'b5',
    reason: 'use-latest',
  },
  {
    name: '--use-version by version',
    releases: plain,
    anchor: '2026-03-15T00:00:00Z',
    override: { version: '0.1.0' },
    build: 'a1',
    reason: 'use-version',
  },
  {
    name: '--use-version by build id',
    releases: withBreaking,
    anchor: '2026-01-15T00:00:00Z',
    override: { version: 'b1' },
    build: 'b1',
    reason: 'use-version',
  },
  {
    name: '--use-version of a deployed, never-current build',
    releases: plain,
    anchor: null,
    override: { version: 'a4' },
    build: 'a4',
    reason: 'use-version',
  },
];

describe('resolveRelease', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { release: chosen, reason } = resolveRelease(c.releases, c.anchor, c.override ?? null);
      assert.deepEqual({ build: chosen.buildId, reason }, { build: c.build, reason: c.reason });
    });
  }

  it('accepts the anchor as a Date', () => {
    assert.equal(resolveRelease(plain, new Date('2026-02-15T00:00:00Z')).release.buildId, 'a2');
  });

  it('names the known releases when --use-version names none', () => {
    assert.throws(
      () => resolveRelease(plain, null, { version: '9.9.9' }),
      (error: unknown) =>
        error instanceof UnknownReleaseError &&
        error.permanent &&
        error.message ===
          'use-version=9.9.9 is not a known contrail version or build id; known: 0.1.0 (build a1), 0.2.0 (build a2), 0.3.0 (build a3), 0.4.0 (build a4)',
    );
  });

  it('asks for the build id when a version has several builds', () => {
    const twoBuilds = [
      release('v1', '0.1.0', '2026-01-01T00:00:00Z'),
      release('v2', '0.1.0', '2026-02-01T00:00:00Z'),
    ];
    assert.throws(
      () => resolveRelease(twoBuilds, null, { version: '0.1.0' }),
      /use-version=0\.1\.0 names 2 builds \(v1, v2\): give the build id/,
    );
    assert.equal(resolveRelease(twoBuilds, null, { version: 'v1' }).release.buildId, 'v1');
  });

  it('fails clearly with no release, or none made current', () => {
    assert.throws(() => resolveRelease([], null), ReleaseRegistryError);
    assert.throws(
      () => resolveRelease([release('x', '0.1.0', null)], '2026-01-01T00:00:00Z'),
      /no contrail release has been made current yet \(deployed: 0\.1\.0 \(build x\)\); make one current/,
    );
  });

  it('rejects a release time that is not a time, naming the release', () => {
    assert.throws(
      () => resolveRelease([release('x', '0.1.0', 'yesterday')], null),
      /release 0\.1\.0 \(build x\) has an invalid release time "yesterday"/,
    );
  });
});

describe('versionOverride', () => {
  it('reads the use-latest / use-version fields', () => {
    assert.equal(versionOverride({}), null);
    assert.equal(versionOverride({ useLatest: false, useVersion: null }), null);
    assert.equal(versionOverride({ useLatest: true }), 'latest');
    assert.deepEqual(versionOverride({ useVersion: 'abc123' }), { version: 'abc123' });
  });

  it('refuses both at once', () => {
    assert.throws(
      () => versionOverride({ useLatest: true, useVersion: '0.1.0' }),
      (error: unknown) => error instanceof PinOverrideError && /give at most one of them/.test(error.message),
    );
  });
});

describe('pinOf', () => {
  it('makes a Pin that the Pin schema accepts', () => {
    const anchor = new Date('2026-02-15T00:00:00Z');
    const pin = pinOf(resolveRelease(plain, anchor), anchor, 'c0ffee', new Date('2026-03-02T04:00:00Z'));
    assert.deepEqual(pin, {
      toolVersion: '0.2.0',
      buildId: 'a2',
      configCommit: 'c0ffee',
      anchor: '2026-02-15T00:00:00.000Z',
      reason: 'anchor',
      resolvedAt: '2026-03-02T04:00:00.000Z',
    });
    assert.deepEqual(Pin.parse(pin), pin);
    assert.equal(pinOf(resolveRelease(plain, null), null, null, new Date()).anchor, null);
  });
});
