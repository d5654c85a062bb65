import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { chooseConfigRepos, metricHubCheckoutOf } from '../../../src/config/collection.js';
import { ConfigError } from '../../../src/config/problems.js';
import { runMain } from '../../helpers/cli.js';

/** A directory laid out as metric-hub is, with one experiment config; its path and the config's. */
function checkout(): { root: string; config: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'contrail-metric-hub-')));
  mkdirSync(join(root, 'definitions'));
  mkdirSync(join(root, 'jetstream', 'outcomes'), { recursive: true });
  const config = join(root, 'jetstream', 'my-experiment.toml');
  writeFileSync(config, '[metrics]\n');
  return { root, config };
}

describe('the config repos a command reads', () => {
  it('a file in a metric-hub checkout is checked against that checkout, named as the file is', () => {
    const { root, config } = checkout();
    assert.deepEqual(chooseConfigRepos({ files: [config], env: {} }), { repos: [root], source: 'checkout' });
    assert.deepEqual(chooseConfigRepos({ files: [relative(process.cwd(), config)], env: {} }), {
      repos: [relative(process.cwd(), root)],
      source: 'checkout',
    });
    // The checkout itself, a directory in it, or a file it does not have yet.
    for (const path of [root, join(root, 'jetstream', 'outcomes'), join(root, 'jetstream', 'new.toml')])
      assert.equal(metricHubCheckoutOf(path), root, path);
  });

  it('--config_repos, then CONTRAIL_CONFIG_REPOS, come before the checkout; the demo repo comes last', () => {
    const { config } = checkout();
    assert.deepEqual(
      chooseConfigRepos({ given: ['mine'], files: [config], env: { CONTRAIL_CONFIG_REPOS: 'a' } }),
      {
        repos: ['mine'],
        source: 'option',
      },
    );
    assert.deepEqual(
      chooseConfigRepos({ given: [], files: [config], env: { CONTRAIL_CONFIG_REPOS: 'a, b,' } }),
      {
        repos: ['a', 'b'],
        source: 'environment',
      },
    );
    const outside = join(mkdtempSync(join(tmpdir(), 'contrail-no-checkout-')), 'alone.toml');
    const demo = chooseConfigRepos({ files: [outside], env: {} });
    assert.equal(demo.source, 'demo');
    assert.ok(demo.repos[0]?.endsWith(join('src', 'sample', 'metric-hub')), demo.repos[0]);
  });

  it('files in two checkouts are refused: either one would be wrong for the other', () => {
    const a = checkout();
    const b = checkout();
    assert.throws(
      () => chooseConfigRepos({ files: [a.config, b.config, a.root], env: {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems[0]?.message ===
          `the files are in 2 metric-hub checkouts (${a.root}, ${b.root}): give the one to check them against with --config_repos`,
    );
  });

  it('a config repo named by a URL is refused saying it takes a local directory path, as --config_repos and CONTRAIL_CONFIG_REPOS', async () => {
    const { root } = checkout();
    const wanted =
      'a URL, not a path \\(a config repo is named by the path of a local directory: a git checkout \\(its history gives config versions\\) or a plain directory of configs\\)';
    const env = { CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-url-repo-')) };
    const validate = (repos: string[], extra: NodeJS.ProcessEnv = {}) =>
      runMain(['validate', root, ...repos.flatMap((r) => ['--config_repos', r]), '--no-check_sql'], {
        ...env,
        ...extra,
      });
    // A file URL of a real checkout: the directory it meant is named.
    const file = await validate([`file://${root}`]);
    assert.equal(file.code, 2, file.stderr + file.stdout);
    assert.match(
      file.stderr,
      new RegExp(
        `^contrail: --config_repos file://${root}: ${wanted}: name the directory itself, ${root}$`,
        'm',
      ),
    );
    for (const remote of ['https://github.com/mozilla/metric-hub', 'git@github.com:mozilla/metric-hub.git']) {
      const refused = await validate([remote]);
      assert.equal(refused.code, 2, refused.stderr + refused.stdout);
      assert.match(
        refused.stderr,
        new RegExp(
          `^contrail: --config_repos ${remote}: ${wanted}: clone the repo and name its checkout$`,
          'm',
        ),
      );
    }
    // The same words where the setting names it.
    const set = await validate([], { CONTRAIL_CONFIG_REPOS: `file://${root}` });
    assert.equal(set.code, 1, set.stderr + set.stdout);
    assert.match(
      set.stdout,
      new RegExp(`config repo not found: ${wanted}: name the directory itself, ${root}$`, 'm'),
    );
    // The path itself is a config repo: its configs are checked.
    const path = await validate([root]);
    assert.match(path.stdout, /^config repos: \S+ \(--config_repos\)$/m);
    assert.doesNotMatch(path.stdout + path.stderr, /config repo not found|a URL, not a path/);
  });
});
