import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SpecResolver } from '../../../src/analysis/spec-resolver.js';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { configFilesParsed, PARSE_CACHE_LIMIT, parsedFilesCached } from '../../../src/config/parse-cache.js';
import { ConfigError } from '../../../src/config/problems.js';
import { experimentFileChanges } from '../../../src/config/repo-history.js';
import { repoFingerprint } from '../../../src/config/repo-state.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { runGit } from '../../helpers/git.js';

let dir: string;

const git = (cwd: string, ...args: string[]) => runGit(cwd, args);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'contrail-repo-state-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Every git process this process starts, until `restore`, goes through a script that logs its
 * arguments: `started` lists them, one line per process.
 */
function loggingGit(name: string): { started: () => string[]; restore: () => void } {
  const shim = join(dir, `${name}-git-shim`);
  const calls = join(dir, `${name}-git-calls.log`);
  mkdirSync(shim);
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(join(shim, 'git'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${realGit}' "$@"\n`, {
    mode: 0o755,
  });
  const path = process.env.PATH;
  process.env.PATH = `${shim}:${path}`;
  return {
    started: () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean) : []),
    restore: () => {
      process.env.PATH = path;
    },
  };
}

describe('repoFingerprint', () => {
  it('follows HEAD of a git repo through packed refs and of a linked worktree', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'a.toml'), '');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'one');
    const first = await repoFingerprint(repo);
    assert.equal(first, `${repo}@${git(repo, 'rev-parse', 'HEAD')}`);
    git(repo, 'pack-refs', '--all');
    assert.equal(await repoFingerprint(repo), first, 'packed refs read the same');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'two');
    git(repo, 'pack-refs', '--all');
    const second = await repoFingerprint(repo);
    assert.notEqual(second, first);
    // A worktree's `.git` is a file pointing at the main repository.
    const worktree = join(dir, 'wt');
    git(repo, 'worktree', 'add', '-q', worktree, '-b', 'other');
    assert.equal(await repoFingerprint(worktree), `${worktree}@${git(repo, 'rev-parse', 'HEAD')}`);
  });

  it('changes when a TOML file of a plain directory changes', async () => {
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'x.toml'), 'a = 1\n');
    const before = await repoFingerprint(plain);
    writeFileSync(join(plain, 'x.toml'), 'a = 12\n');
    assert.notEqual(await repoFingerprint(plain), before);
  });
});

describe('parse cache', () => {
  it('holds at most PARSE_CACHE_LIMIT files however many distinct files are read', async () => {
    const repo = join(dir, 'many');
    mkdirSync(join(repo, 'definitions'), { recursive: true });
    const perLoad = 600;
    for (let round = 0; round < Math.ceil(PARSE_CACHE_LIMIT / perLoad) + 2; round++) {
      for (let i = 0; i < perLoad; i++)
        writeFileSync(join(repo, `e${i}.toml`), `[experiment]\nsample_size = ${round % 100}\n# ${round}\n`);
      // `files` parses every experiment config (loading parses only the shared files).
      assert.equal((await loadConfigCollection({ repos: [repo] })).files.length, perLoad);
      assert.ok(parsedFilesCached() <= PARSE_CACHE_LIMIT, `${parsedFilesCached()} cached`);
    }
    assert.equal(parsedFilesCached(), PARSE_CACHE_LIMIT);
  });
});

describe('experiment configs are parsed when used', () => {
  it('loading a repo parses its shared files; an experiment config is parsed when that experiment asks for it', async () => {
    const repo = join(dir, 'lazy');
    mkdirSync(join(repo, 'definitions'), { recursive: true });
    // Content no other test writes, so the parse cache has none of these files.
    const nonce = `# ${process.pid} ${Date.now()}\n`;
    writeFileSync(
      join(repo, 'definitions', 'firefox_desktop.toml'),
      `${nonce}[metrics.a]\nselect_expression = "1"\n`,
    );
    for (const slug of ['one', 'two', 'three'])
      writeFileSync(join(repo, `${slug}.toml`), `${nonce}[experiment]\nsample_size = 10\n`);
    const before = configFilesParsed();
    const collection = await loadConfigCollection({ repos: [repo] });
    assert.equal(configFilesParsed() - before, 1, 'only the definitions file is parsed on load');
    assert.deepEqual(collection.experimentSlugs().sort(), ['one', 'three', 'two']);
    assert.equal(configFilesParsed() - before, 1, 'listing the experiments parses none of them');
    assert.equal(collection.experimentFiles('two')[0]?.experiment?.def.sample_size, 10);
    assert.equal(configFilesParsed() - before, 2, "one experiment's config is parsed when asked for");
    assert.equal(collection.files.length, 4);
    assert.equal(
      configFilesParsed() - before,
      4,
      'the other two are parsed when every file is asked for, each once',
    );
  });
});

describe('config reads ask git only what can have changed', () => {
  it('a pinned collection starts no git process once read; an unpinned one follows HEAD', async () => {
    const repo = join(dir, 'pinned');
    mkdirSync(join(repo, 'definitions'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(
      join(repo, 'definitions', 'firefox_desktop.toml'),
      '[metrics.a]\nselect_expression = "1"\n',
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'one');
    const { started, restore } = loggingGit('pinned');
    try {
      const resolver = new SpecResolver([repo], localExperimentSource(join(dir, 'none.json')));
      const head = await resolver.collection(null);
      const commit = head.commit as string;
      assert.ok(started().length > 0, 'the shim sees git');
      await resolver.collection({ configCommit: commit });
      const afterFirstPinned = started().length;
      for (let i = 0; i < 5; i++) await resolver.collection({ configCommit: commit });
      assert.deepEqual(
        started().slice(afterFirstPinned),
        [],
        'a read collection at a pinned commit asks git nothing',
      );

      git(repo, 'commit', '-q', '--allow-empty', '-m', 'two');
      const moved = await resolver.collection(null);
      assert.notEqual(moved.commit, commit, 'an unpinned read sees the new HEAD');
      assert.equal((await resolver.collection({ configCommit: commit })).commit, commit);
    } finally {
      restore();
    }
  });
});

describe("an experiment's own config file since its pin", () => {
  it('one git process per repo for each experiment, each day; a pinned commit the clone lacks is named with how to fetch it', async () => {
    const repo = join(dir, 'own-config');
    mkdirSync(join(repo, 'jetstream'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'jetstream', 'exp.toml'), '[experiment]\n');
    writeFileSync(join(repo, 'jetstream', 'other.toml'), '[experiment]\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'one');
    const pinned = git(repo, 'rev-parse', 'HEAD');
    writeFileSync(join(repo, 'jetstream', 'exp.toml'), '[experiment]\nend_date = "2026-04-01"\n');
    git(repo, 'commit', '-qam', 'two');
    // The first question of a process confirms the checkout; the count is of the questions after it.
    assert.deepEqual(await experimentFileChanges([repo], pinned, 'other'), []);

    const { started, restore } = loggingGit('own-config');
    try {
      assert.deepEqual(await experimentFileChanges([repo], pinned, 'exp'), [
        join(repo, 'jetstream', 'exp.toml'),
      ]);
      assert.deepEqual(await experimentFileChanges([repo], pinned, 'other'), []);
      assert.deepEqual(
        started().map((args) => args.split(' ')[0]),
        ['diff', 'diff'],
      );
      await assert.rejects(
        experimentFileChanges([repo], 'f'.repeat(40), 'exp'),
        (error: Error) =>
          error instanceof ConfigError &&
          error.message.includes(
            `the pinned config commit ${'f'.repeat(40)} is not in this clone of the config repo: fetch it (git -C ${repo} fetch)`,
          ),
      );
    } finally {
      restore();
    }
  });
});
