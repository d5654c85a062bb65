import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../../../src/activities/index.js';
import type { ResolvedPin } from '../../../src/activities/types.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { anchorLabels, readAnchor } from '../../../src/versions/anchor.js';
import type { ManifestRelease } from '../../../src/versions/manifest.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { testDeps } from '../../helpers/deps.js';
import { runGit } from '../../helpers/git.js';
import { DEMO_CONFIG_REPO } from '../../helpers/sample.js';

/**
 * The version activities on an unversioned worker (embedded mode): releases from the manifest,
 * anchors from a DuckDB warehouse, configs from a git repo with dated commits.
 */
const DATASET = 'contrail';
const NOW = new Date('2026-06-01T00:00:00Z');
const RUNNING = { version: '0.2.0', buildId: 'b2' };
const MANIFEST: ManifestRelease[] = [
  { version: '0.1.0', released: '2026-01-01T00:00:00Z', breaking: false, buildId: null, notes: '' },
  { version: '0.2.0', released: '2026-05-01T00:00:00Z', breaking: false, buildId: null, notes: '' },
];

describe('resolveVersions, touch and the report on an unversioned worker', () => {
  let warehouse: Warehouse;
  let repo: string;
  const commits: string[] = [];
  const git = (args: string[], date?: string) => runGit(repo, args, date);
  const commit = (file: string, text: string, date: string) => {
    writeFileSync(join(repo, file), text);
    git(['add', '-A']);
    git(['commit', '-q', '-m', date], date);
    commits.push(git(['rev-parse', 'HEAD']));
  };
  const activities = () =>
    createActivities(
      testDeps(warehouse, {
        toolVersion: RUNNING,
        releaseManifest: () => MANIFEST,
        configRepos: [repo],
        now: () => NOW,
      }),
    );
  const resolve = async (overrides: { useLatest?: boolean; here?: boolean } = {}) => {
    const resolved = (
      await activities().resolveVersions({
        slugs: [DEMO_SLUG],
        dataset: DATASET,
        useLatest: overrides.useLatest ?? false,
        useVersion: null,
        mode: 'anchor',
        here: overrides.here ?? false,
      })
    )[DEMO_SLUG];
    assert.ok(resolved && 'pin' in resolved, JSON.stringify(resolved));
    return resolved as Extract<ResolvedPin, { pin: unknown }>;
  };

  before(async () => {
    repo = mkdtempSync(join(tmpdir(), 'contrail-versions-'));
    cpSync(DEMO_CONFIG_REPO, repo, { recursive: true });
    git(['init', '-q', '-b', 'main']);
    git(['add', '-A']);
    git(['commit', '-q', '-m', 'demo'], '2026-02-01T00:00:00Z');
    commits.push(git(['rev-parse', 'HEAD']));
    warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    await warehouse.createDataset(DATASET);
    // Anchored in March: before 0.2.0 (May), after 0.1.0 (January).
    await warehouse.runToTable({
      sql: 'SELECT 1 AS x',
      destination: { dataset: DATASET, table: 'enrollments_contrail_demo_sidebar' },
      labels: anchorLabels(new Date('2026-03-01T00:00:00Z')),
    });
  });
  after(async () => {
    await warehouse.close();
    rmSync(repo, { recursive: true, force: true });
  });

  test('a pin to an older release is refused here, saying what to do; --use-latest runs here', async () => {
    const pinned = await resolve();
    assert.deepEqual(
      [pinned.pin.toolVersion, pinned.pin.buildId, pinned.pin.reason, pinned.pin.configCommit],
      ['0.1.0', null, 'anchor', commits[0]],
    );
    assert.equal(pinned.refusal?.errorType, 'PinnedBuildError');
    assert.match(
      pinned.refusal?.message ?? '',
      /pinned to contrail 0\.1\.0 \(the newest release at or before its anchor; anchored 2026-03-01/,
    );
    assert.match(pinned.refusal?.message ?? '', /not part of a Temporal Worker Deployment.*--use-latest/);

    const latest = await resolve({ useLatest: true });
    assert.deepEqual([latest.pin.buildId, latest.pin.reason, latest.refusal], ['b2', 'use-latest', null]);
    assert.equal(latest.pin.configCommit, commits[0], 'the configs stay at the anchor');
  });

  test('slugs the experiment source does not know fail the call at once, all named, each with its closest', async () => {
    await assert.rejects(
      activities().resolveVersions({
        slugs: [DEMO_SLUG, 'contrail-demo-sidebr', 'no-such-experiment'],
        dataset: DATASET,
        useLatest: false,
        useVersion: null,
        mode: 'anchor',
        here: false,
      }),
      (error: Error & { type?: string; nonRetryable?: boolean }) => {
        assert.equal(error.type, 'UnknownExperimentError');
        assert.equal(error.nonRetryable, true);
        assert.match(
          error.message,
          /^unknown experiments 'contrail-demo-sidebr' \(did you mean 'contrail-demo-sidebar'\?\), 'no-such-experiment': not in the experiment source \(known: /,
        );
        return true;
      },
    );
  });

  test('the versions report: each release with the experiments pinned to it', async () => {
    const rows = await activities().versionsReport({ dataset: DATASET, date: '2026-03-20' });
    assert.deepEqual(
      rows.map((r) => [r.release.version, r.release.buildId, r.routing, r.pinned, r.retirable]),
      [
        ['0.2.0', 'b2', 'current', ['contrail-demo-pinned-tabs', 'contrail-demo-search-bar'], false],
        ['0.1.0', null, 'inactive', [DEMO_SLUG], false],
      ],
    );
  });

  test("the experiment's own config file changed after the anchor is reported; shared files are not", async () => {
    commit('definitions/firefox_desktop.toml', '# edited\n', '2026-04-01T00:00:00Z');
    assert.deepEqual((await resolve()).configChanged, []);
    commit(`jetstream/${DEMO_SLUG}.toml`, '[metrics]\nweekly = ["uri_count"]\n', '2026-04-02T00:00:00Z');
    const changed = await resolve();
    assert.deepEqual(changed.configChanged, [join(repo, 'jetstream', `${DEMO_SLUG}.toml`)]);
    assert.equal(changed.pin.configCommit, commits[0], 'still read as of the anchor');
  });

  test('touch moves the anchor to now; the pin follows to the latest release and configs', async () => {
    const anchored = await readAnchor(warehouse, DATASET, DEMO_SLUG);
    assert.ok(anchored !== null && anchored.getTime() !== NOW.getTime());
    const moved = await activities().touch({ slug: DEMO_SLUG, dataset: DATASET, ifAnchored: false });
    assert.deepEqual(moved, {
      anchor: NOW.toISOString(),
      tables: ['enrollments_contrail_demo_sidebar'],
      previous: anchored.toISOString(),
    });
    const pinned = await resolve({ here: true });
    assert.deepEqual(
      [pinned.pin.buildId, pinned.pin.reason, pinned.pin.configCommit, pinned.refusal, pinned.configChanged],
      ['b2', 'anchor', commits.at(-1), null, []],
    );
    // A rerun that does not publish puts back the anchor it moved.
    const back = await activities().touch({
      slug: DEMO_SLUG,
      dataset: DATASET,
      ifAnchored: true,
      at: anchored.toISOString(),
    });
    assert.deepEqual([back.anchor, back.previous], [anchored.toISOString(), NOW.toISOString()]);
    assert.equal((await readAnchor(warehouse, DATASET, DEMO_SLUG))?.getTime(), anchored.getTime());
    await activities().touch({ slug: DEMO_SLUG, dataset: DATASET, ifAnchored: false });
    assert.deepEqual(
      await activities().touch({ slug: 'contrail-demo-search-bar', dataset: DATASET, ifAnchored: true }),
      { anchor: null, tables: [] },
      'no enrollments: nothing to move',
    );
  });
});
