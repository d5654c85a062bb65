import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { ConfigError } from '../../../src/config/problems.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { testExperiment } from '../../helpers/experiment.js';
import { runGit } from '../../helpers/git.js';

/**
 * A config repo built here with dated commits:
 *   c1 2024-01-10  the base repo (defaults weekly = active_hours)
 *   c2 2024-02-10  defaults weekly = uri_count
 *   c3 2024-03-10  defaults file broken (TOML syntax error)
 *   c4 2024-04-10  fixed: defaults weekly = days_of_use
 * A broken file never makes a collection unloadable: it fails the experiments that use it.
 */
const BASE = join('test', 'fixtures', 'config', 'repo');
let repo: string;
const commits: string[] = [];

function git(args: string[], date?: string): string {
  return runGit(repo, args, date);
}

function commit(date: string, defaults: string): void {
  writeFileSync(join(repo, 'jetstream', 'defaults', 'firefox_desktop.toml'), defaults);
  git(['add', '-A']);
  git(['commit', '-q', '-m', `configs of ${date}`], date);
  commits.push(git(['rev-parse', 'HEAD']));
}

describe('loadConfigCollection asOf', () => {
  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'contrail-asof-'));
    cpSync(BASE, repo, { recursive: true });
    git(['init', '-q', '-b', 'main']);
    commit('2024-01-10T12:00:00Z', '[metrics]\nweekly = ["active_hours"]\n');
    commit('2024-02-10T12:00:00Z', '[metrics]\nweekly = ["uri_count"]\n');
    commit('2024-03-10T12:00:00Z', '[metrics]\nweekly = ["uri_count"\n');
    commit('2024-04-10T12:00:00Z', '[metrics]\nweekly = ["days_of_use"]\n');
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  const weekly = async (asOf?: string) => {
    const collection = await loadConfigCollection({ repos: [repo], ...(asOf ? { asOf } : {}) });
    const names = collection.defaultsLayer('firefox_desktop').metricLists.weekly.map((r) => r.name);
    return { commit: collection.commit, names };
  };

  it('reads HEAD without asOf and keeps its commit', async () => {
    assert.deepEqual(await weekly(), { commit: commits[3], names: ['days_of_use'] });
  });

  it('takes the newest commit at or before the time', async () => {
    assert.deepEqual(await weekly('2024-02-10T12:00:00Z'), { commit: commits[1], names: ['uri_count'] });
    assert.deepEqual(await weekly('2024-03-01T00:00:00Z'), { commit: commits[1], names: ['uri_count'] });
  });

  it('reads the commit at the date even when a file is broken there, and names the file', async () => {
    const collection = await loadConfigCollection({ repos: [repo], asOf: '2024-03-15T00:00:00Z' });
    assert.equal(collection.commit, commits[2]);
    const defaults = join(repo, 'jetstream', 'defaults', 'firefox_desktop.toml');
    assert.deepEqual(
      collection.brokenFiles().map((f) => [f.file, f.errors[0]?.line]),
      [[defaults, 3]],
    );
    // Every firefox_desktop experiment uses the platform defaults, so it fails with their error.
    assert.throws(
      () => resolveAnalysisSpec(collection, testExperiment()),
      (error: unknown) => error instanceof ConfigError && error.problems[0]?.file === defaults,
    );
  });

  it('uses the oldest commit for a time before the first commit', async () => {
    assert.deepEqual(await weekly('2023-01-01T00:00:00Z'), { commit: commits[0], names: ['active_hours'] });
  });

  it('accepts a Date', async () => {
    const collection = await loadConfigCollection({ repos: [repo], asOf: new Date('2024-01-20T00:00:00Z') });
    assert.equal(collection.commit, commits[0]);
  });

  it('merges several repos, later ones overriding, and keeps every commit', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'contrail-private-'));
    try {
      cpSync(join(BASE, 'jetstream'), plain, { recursive: true });
      writeFileSync(join(plain, 'defaults', 'firefox_desktop.toml'), '[metrics]\noverall = ["uri_count"]\n');
      const collection = await loadConfigCollection({ repos: [repo, plain], asOf: '2024-02-11T00:00:00Z' });
      assert.equal(collection.commit, commits[1]);
      const layer = collection.defaultsLayer('firefox_desktop');
      assert.deepEqual(
        layer.metricLists.overall.map((r) => r.name),
        ['uri_count'],
      );
      assert.deepEqual(
        layer.metricLists.weekly.map((r) => r.name),
        ['uri_count'],
      );
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it('a broken outcome fails only the experiments that use it, with its error', async () => {
    const outcome = join(repo, 'jetstream', 'outcomes', 'firefox_desktop', 'demo.toml');
    const good = readFileSync(outcome, 'utf8');
    writeFileSync(outcome, good.replace('binomial = {}', 'binomal = {}'));
    try {
      const collection = await loadConfigCollection({ repos: [repo] });
      assert.deepEqual(
        collection.brokenFiles().map((f) => f.file),
        [outcome],
      );
      assert.ok(resolveAnalysisSpec(collection, testExperiment()).spec);
      assert.throws(
        () => resolveAnalysisSpec(collection, testExperiment({ outcomes: ['demo'] })),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.some((p) => p.file === outcome && /unknown statistic 'binomal'/.test(p.message)),
      );
    } finally {
      git(['checkout', '--', '.']);
    }
  });

  it('rejects an invalid time', async () => {
    await assert.rejects(
      loadConfigCollection({ repos: [repo], asOf: 'last tuesday' }),
      /not a date or time: last tuesday/,
    );
  });
});
