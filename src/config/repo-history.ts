import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { ConfigError } from './problems.js';

/**
 * A config repo's history, as pinning reads it: which commit was in force at a time, how a
 * collection's commit splits into one commit per git repo, and whether an experiment's own
 * file changed since a commit. Only git is asked; no file is read or parsed here, so choosing
 * a commit costs one `git log`, not a checkout.
 */

// Checkouts git has confirmed, per process: a checkout stays one, so each is asked once rather
// than by every activity (each question is a fork of a large worker process).
const confirmedRepos = new Set<string>();

/** The directory is a git checkout (has `.git`), judged without starting git. */
export function hasGitDir(path: string): boolean {
  return existsSync(join(path, '.git'));
}

export async function isGitRepo(path: string): Promise<boolean> {
  if (!hasGitDir(path)) return false;
  if (confirmedRepos.has(path)) return true;
  const repo = await simpleGit(path).checkIsRepo();
  if (repo) confirmedRepos.add(path);
  return repo;
}

/**
 * The newest commit of the repo's HEAD at or before `asOf` (by commit time), or the oldest
 * one when none is that old (as jetstream does); null for a plain directory.
 */
export async function commitAsOf(repo: string, asOf: Date): Promise<string | null> {
  if (!(await isGitRepo(repo))) return null;
  const log = await simpleGit(repo).raw(['log', '--format=%H %cI', 'HEAD']);
  const commits = log
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [hash, time] = line.split(' ') as [string, string];
      return { hash, time: new Date(time) };
    }); // newest first
  const chosen = commits.find((c) => c.time.getTime() <= asOf.getTime()) ?? commits.at(-1);
  if (!chosen)
    throw new ConfigError([
      { file: repo, line: null, keyPath: '', message: 'the repository has no commits' },
    ]);
  return chosen.hash;
}

/** A collection's commit: the git repos' commits in repo order, `+`-joined; null without git repos. */
export function joinCommits(commits: readonly (string | null)[]): string | null {
  const present = commits.filter((c): c is string => c !== null);
  return present.length > 0 ? present.join('+') : null;
}

/** The collection commit of the repos as of a time (see commitAsOf). */
export async function collectionCommitAsOf(repos: readonly string[], asOf: Date): Promise<string | null> {
  return joinCommits(await Promise.all(repos.map((repo) => commitAsOf(repo, asOf))));
}

/**
 * Each repo's commit in a collection commit (null for plain directories): the inverse of
 * joinCommits for the same repos. A commit that does not fit the repos (another number of git
 * repos, a commit the clone does not have) is a ConfigError naming the repo.
 */
export async function commitsOfCollection(
  repos: readonly string[],
  commit: string,
): Promise<(string | null)[]> {
  const commits = await splitCollectionCommit(repos, commit);
  for (const [index, repo] of repos.entries()) {
    const hash = commits[index];
    if (hash) await assertCommitInClone(repo, hash);
  }
  return commits;
}

/** The parts of a collection commit, one per repo (null for plain directories), unchecked against the clones. */
async function splitCollectionCommit(repos: readonly string[], commit: string): Promise<(string | null)[]> {
  const parts = commit.split('+');
  const git = await Promise.all(repos.map(isGitRepo));
  const gitCount = git.filter(Boolean).length;
  if (gitCount !== parts.length) {
    throw new ConfigError([
      {
        file: '(config repos)',
        line: null,
        keyPath: '',
        message: `pinned config commit ${commit} names ${parts.length} git repositor${parts.length === 1 ? 'y' : 'ies'} but the config repos (${repos.join(', ')}) have ${gitCount}: configure the same config repos on every worker`,
      },
    ]);
  }
  let next = 0;
  return git.map((isGit) => (isGit ? (parts[next++] as string) : null));
}

async function assertCommitInClone(repo: string, hash: string): Promise<void> {
  const known = await simpleGit(repo)
    .raw(['cat-file', '-t', hash])
    .then((type) => type.trim() === 'commit')
    .catch(() => false);
  if (!known) {
    throw new ConfigError([
      {
        file: repo,
        line: null,
        keyPath: '',
        message: `the pinned config commit ${hash} is not in this clone of the config repo: fetch it (git -C ${repo} fetch) so that every worker has the commits analyses are pinned to`,
      },
    ]);
  }
}

/**
 * The experiment's own config file (`jetstream/<slug>.toml` in metric-hub, `<slug>.toml` in a
 * jetstream-style repo) in every git repo where it differs between the pinned commit and HEAD:
 * edited, added or deleted since the experiment's anchor. Plain directories have no history
 * and never report a change. One git process per repo, asked of every live experiment each
 * day: the commit is checked against the clone only when the diff fails, to say why.
 */
export async function experimentFileChanges(
  repos: readonly string[],
  pinnedCommit: string,
  slug: string,
): Promise<string[]> {
  const commits = await splitCollectionCommit(repos, pinnedCommit);
  const changed: string[] = [];
  for (const [index, repo] of repos.entries()) {
    const commit = commits[index];
    if (!commit) continue;
    const jetstream = join(repo, 'jetstream');
    const path =
      existsSync(jetstream) && statSync(jetstream).isDirectory() ? `jetstream/${slug}.toml` : `${slug}.toml`;
    let diff: string;
    try {
      diff = await simpleGit(repo).raw(['diff', '--name-only', commit, 'HEAD', '--', path]);
    } catch (error) {
      await assertCommitInClone(repo, commit);
      throw error;
    }
    if (diff.trim() !== '') changed.push(join(repo, path));
  }
  return changed;
}
