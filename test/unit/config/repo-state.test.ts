import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { PARSE_CACHE_LIMIT, parsedFilesCached } from '../../../src/config/parse-cache.js';
import { repoFingerprint } from '../../../src/config/repo-state.js';

let dir: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@e',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@e',
    },
  }).trim();
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'contrail-repo-state-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

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
      await loadConfigCollection({ repos: [repo] });
      assert.ok(parsedFilesCached() <= PARSE_CACHE_LIMIT, `${parsedFilesCached()} cached`);
    }
    assert.equal(parsedFilesCached(), PARSE_CACHE_LIMIT);
  });
});
