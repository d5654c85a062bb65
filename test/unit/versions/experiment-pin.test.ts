import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { anchorLabels, touchExperiment } from '../../../src/versions/anchor.js';
import type { Release } from '../../../src/versions/release.js';
import { resolveExperimentPin } from '../../../src/versions/resolve.js';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { runGit } from '../../helpers/git.js';

/**
 * An experiment's pin from a real DuckDB warehouse (the anchor) and a git config repo with
 * dated commits (the config commit):
 *   c1 2024-01-10  defaults weekly = active_hours
 *   c2 2024-02-10  defaults weekly = uri_count
 */
const BASE = join('test', 'fixtures', 'config', 'repo');
const DATASET = 'analysis';
const releases: Release[] = [
  { version: '0.1.0', buildId: 'v1', releasedAt: '2024-01-01T00:00:00Z', breaking: false },
  { version: '0.1.0', buildId: 'v2', releasedAt: '2024-02-01T00:00:00Z', breaking: false },
];

describe('resolveExperimentPin', () => {
  let repo: string;
  let wh: DuckDbWarehouse;
  const commits: string[] = [];

  const git = (args: string[], date?: string) => runGit(repo, args, date);

  before(async () => {
    repo = mkdtempSync(join(tmpdir(), 'contrail-pin-'));
    cpSync(BASE, repo, { recursive: true });
    git(['init', '-q', '-b', 'main']);
    for (const [date, metric] of [
      ['2024-01-10T12:00:00Z', 'active_hours'],
      ['2024-02-10T12:00:00Z', 'uri_count'],
    ] as const) {
      writeFileSync(
        join(repo, 'jetstream', 'defaults', 'firefox_desktop.toml'),
        `[metrics]\nweekly = ["${metric}"]\n`,
      );
      git(['add', '-A']);
      git(['commit', '-q', '-m', `configs of ${date}`], date);
      commits.push(git(['rev-parse', 'HEAD']));
    }
    wh = await openDuckDbWarehouse({ path: ':memory:' });
    await wh.createDataset(DATASET);
  });
  after(async () => {
    await wh.close();
    rmSync(repo, { recursive: true, force: true });
  });

  const resolve = (slug: string, override: 'latest' | null = null) =>
    resolveExperimentPin({
      warehouse: wh,
      dataset: DATASET,
      slug,
      releases,
      override,
      configsAsOf: (anchor) => loadConfigCollection({ repos: [repo], ...(anchor ? { asOf: anchor } : {}) }),
      now: new Date('2024-03-01T04:00:00Z'),
    });
  const weekly = (collection: Awaited<ReturnType<typeof resolve>>['collection']) =>
    collection.defaultsLayer('firefox_desktop').metricLists.weekly.map((m) => m.name);

  it('before enrollments exist: the latest release and the newest configs', async () => {
    const { pin, collection } = await resolve('fresh');
    assert.deepEqual(
      { build: pin.buildId, reason: pin.reason, commit: pin.configCommit, anchor: pin.anchor },
      { build: 'v2', reason: 'no-anchor', commit: commits[1], anchor: null },
    );
    assert.deepEqual(weekly(collection), ['uri_count']);
  });

  it('anchored in January: the January release and the configs as of the anchor', async () => {
    await wh.runToTable({
      sql: 'SELECT 1 AS x',
      destination: { dataset: DATASET, table: 'enrollments_early' },
      labels: anchorLabels(new Date('2024-01-20T00:00:00Z')),
    });
    const { pin, collection } = await resolve('early');
    assert.deepEqual(
      { build: pin.buildId, reason: pin.reason, commit: pin.configCommit, anchor: pin.anchor },
      { build: 'v1', reason: 'anchor', commit: commits[0], anchor: '2024-01-20T00:00:00.000Z' },
    );
    assert.deepEqual(weekly(collection), ['active_hours']);
  });

  it('--use-latest moves the tooling only; the configs stay at the anchor', async () => {
    const { pin } = await resolve('early', 'latest');
    assert.deepEqual(
      { build: pin.buildId, reason: pin.reason, commit: pin.configCommit },
      { build: 'v2', reason: 'use-latest', commit: commits[0] },
    );
  });

  it('after rerun-skip moves the anchor to now: the newest release and configs', async () => {
    await touchExperiment(wh, {
      dataset: DATASET,
      slug: 'early',
      allSlugs: ['early', 'fresh'],
      now: new Date('2024-03-01T00:00:00Z'),
    });
    const { pin, collection } = await resolve('early');
    assert.deepEqual(
      { build: pin.buildId, reason: pin.reason, commit: pin.configCommit, anchor: pin.anchor },
      { build: 'v2', reason: 'anchor', commit: commits[1], anchor: '2024-03-01T00:00:00.000Z' },
    );
    assert.deepEqual(weekly(collection), ['uri_count']);
  });
});
