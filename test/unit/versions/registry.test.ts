import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ownVersionMetadata, releasesFromDeployment } from '../../../src/versions/deployment.js';
import {
  loadReleaseManifest,
  manifestFile,
  ownManifestEntry,
  parseReleaseManifest,
  releasesFromManifest,
} from '../../../src/versions/manifest.js';
import { ReleaseRegistryError } from '../../../src/versions/release.js';
import { resolveRelease } from '../../../src/versions/resolve.js';

const problems = (text: string) => {
  try {
    parseReleaseManifest('releases.json', text);
  } catch (error) {
    assert.ok(error instanceof ReleaseRegistryError && error.permanent);
    return error.message.split('\n');
  }
  assert.fail('expected the manifest to be rejected');
};

describe('the release manifest', () => {
  it('ships with the package and lists the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const manifest = loadReleaseManifest();
    assert.equal(ownManifestEntry(manifest, pkg.version).version, pkg.version);
  });

  it('names the file, the entry and the field of every problem', () => {
    assert.deepEqual(
      problems(
        JSON.stringify({
          releases: [
            { version: '0.1.0', released: '2026-01-01T00:00:00Z' },
            { version: '0.2', released: 'last tuesday', breaking: 'yes' },
            { version: '0.3.0', released: '2026-03-01T00:00:00Z', brekaing: true },
          ],
        }),
      ),
      [
        'releases.json: releases[1] (0.2), field version: a version like 1.2.3',
        'releases.json: releases[1] (0.2), field released: Invalid ISO datetime',
        'releases.json: releases[1] (0.2), field breaking: Invalid input: expected boolean, received string',
        'releases.json: releases[2] (0.3.0): Unrecognized key: "brekaing"',
      ],
    );
  });

  it('rejects duplicates, releases out of order, an empty list and bad JSON', () => {
    assert.deepEqual(
      problems(
        JSON.stringify({
          releases: [
            { version: '0.1.0', released: '2026-02-01T00:00:00Z' },
            { version: '0.1.0', released: '2026-03-01T00:00:00Z' },
            { version: '0.2.0', released: '2026-01-01T00:00:00Z' },
          ],
        }),
      ),
      [
        'releases.json: releases[1] (0.1.0): version already listed at releases[0]',
        "releases.json: releases[2] (0.2.0): released 2026-01-01T00:00:00Z is before the previous entry's 2026-03-01T00:00:00Z; list releases oldest first",
      ],
    );
    assert.match(problems('{"releases": []}')[0]!, /^releases\.json: key releases: Too small/);
    assert.match(problems('{"releases": [')[0]!, /^releases\.json: not valid JSON/);
    assert.throws(
      () => loadReleaseManifest('/nonexistent/releases.json'),
      /cannot read the release manifest/,
    );
  });

  it('says what to add when the running version is missing', () => {
    const manifest = parseReleaseManifest(
      'm.json',
      '{"releases": [{"version": "0.1.0", "released": "2026-01-01T00:00:00Z"}]}',
    );
    assert.throws(
      () => ownManifestEntry(manifest, '0.2.0', 'm.json'),
      /^ReleaseRegistryError: m\.json: no entry for version 0\.2\.0 \(package\.json\); add \{"version": "0\.2\.0"/,
    );
  });

  it('is the embedded registry: the running release carries this build id', () => {
    const manifest = parseReleaseManifest(
      'm.json',
      JSON.stringify({
        releases: [
          { version: '0.1.0', released: '2026-01-01T00:00:00Z', buildId: 'old1' },
          { version: '0.2.0', released: '2026-02-01T00:00:00+01:00', breaking: true },
          { version: '0.3.0', released: '2026-03-01T00:00:00Z' },
        ],
      }),
    );
    const releases = releasesFromManifest(manifest, { version: '0.2.0', buildId: 'abc123' });
    assert.deepEqual(releases, [
      { version: '0.1.0', buildId: 'old1', releasedAt: '2026-01-01T00:00:00.000Z', breaking: false },
      { version: '0.2.0', buildId: 'abc123', releasedAt: '2026-01-31T23:00:00.000Z', breaking: true },
      { version: '0.3.0', buildId: null, releasedAt: '2026-03-01T00:00:00.000Z', breaking: false },
    ]);
    assert.equal(resolveRelease(releases, '2026-01-15T00:00:00Z').release.buildId, 'abc123');
  });

  it('manifestFile is the package root file', () => {
    assert.match(manifestFile(), /releases\.json$/);
  });
});

describe('releases of a Temporal worker deployment', () => {
  const facts = {
    buildId: 'v2',
    createdAt: '2026-02-01T10:00:00Z',
    firstActivatedAt: '2026-02-02T10:00:00Z',
    routing: 'current' as const,
    metadata: { version: '0.2.0', breaking: true, owner: 'ops' },
  };

  it('takes the release time from first activation and version and breaking from metadata', () => {
    assert.deepEqual(
      releasesFromDeployment('contrail', [
        facts,
        {
          buildId: 'v3',
          createdAt: '2026-03-01T10:00:00Z',
          firstActivatedAt: null,
          routing: 'inactive',
          metadata: {},
        },
      ]),
      [
        {
          version: '0.2.0',
          buildId: 'v2',
          releasedAt: '2026-02-02T10:00:00.000Z',
          breaking: true,
          deployedAt: '2026-02-01T10:00:00.000Z',
          routing: 'current',
        },
        {
          version: 'unknown',
          buildId: 'v3',
          releasedAt: null,
          breaking: false,
          deployedAt: '2026-03-01T10:00:00.000Z',
          routing: 'inactive',
        },
      ],
    );
  });

  it('says how to fix a breaking flag that is not a boolean', () => {
    assert.throws(
      () => releasesFromDeployment('contrail', [{ ...facts, metadata: { breaking: 'yes' } }]),
      (error: unknown) =>
        error instanceof ReleaseRegistryError &&
        error.message.startsWith(
          'worker deployment contrail version v2: metadata breaking: Invalid input: expected boolean, received string (set it with: temporal worker deployment update-metadata-version --deployment-name contrail --build-id v2 --metadata breaking=true',
        ),
    );
  });

  it("a starting worker records its manifest entry only where the keys are missing (an operator's value stays)", () => {
    const entry = { version: '0.2.0', breaking: false };
    assert.deepEqual(ownVersionMetadata(entry, {}), { version: '0.2.0', breaking: false });
    assert.deepEqual(ownVersionMetadata(entry, { breaking: true }), { version: '0.2.0' });
    assert.deepEqual(ownVersionMetadata(entry, { version: '0.2.0', breaking: true }), {});
  });
});
