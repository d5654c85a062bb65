import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { simpleGit } from 'simple-git';
import { type ConfigFile, type FilePlace, kindOfPath } from './config-file.js';
import { parseCached } from './parse-cache.js';
import { ConfigError } from './problems.js';
import { commitAsOf, isGitRepo } from './repo-history.js';
import { urlNotPath } from './repo-layout.js';

/**
 * Reading one config repo: which commit (HEAD, or the one in force at a time, checked out in
 * a scratch clone), and which of its files are configs of which kind. A repo is either a
 * metric-hub checkout (`definitions/` beside `jetstream/`) or a jetstream-style directory
 * (`*.toml` experiment configs, `defaults/`, `definitions/`, `outcomes/<platform>/`).
 */
export interface RepoSnapshot {
  /** The repo as given. */
  path: string;
  /** Commit read, or null for a plain directory. */
  commit: string | null;
}

/** Where in a repo's history to read: HEAD, the commit in force at a time, or one commit. */
export type RepoPoint = { asOf: Date } | { commit: string } | null;

/**
 * One config file of a repo, read but parsed only when asked for: an experiment's config matters
 * only to that experiment, and a metric-hub holds hundreds of them (parsing them all was most of
 * the time `contrail validate` took on one file). Shared files are parsed as they are read.
 */
export interface RepoFile extends FilePlace {
  /** Path as shown in messages. */
  file: string;
  /** The parsed file (parsed on the first call). */
  parsed(): ConfigFile;
}

/** Every config file of a repo at HEAD, as of a time, or at a commit (git repos; a plain directory is read as it is). */
export async function readConfigRepo(
  repo: string,
  at: RepoPoint,
): Promise<{ snapshot: RepoSnapshot; files: RepoFile[] }> {
  if (at === null || !(await isGitRepo(repo))) return loadRepoHead(repo);
  const commit = 'commit' in at ? at.commit : await commitAsOf(repo, at.asOf);
  return commit === null ? loadRepoHead(repo) : loadRepoAtCommit(repo, commit);
}

async function loadRepoHead(repo: string): Promise<{ snapshot: RepoSnapshot; files: RepoFile[] }> {
  if (!existsSync(repo) || !statSync(repo).isDirectory()) {
    throw new ConfigError([
      {
        file: repo,
        line: null,
        keyPath: '',
        message: `config repo not found: ${urlNotPath(repo) ?? 'expected the path of a local directory: a git checkout or a plain directory of configs'}`,
      },
    ]);
  }
  const commit = (await isGitRepo(repo)) ? (await simpleGit(repo).revparse(['HEAD'])).trim() : null;
  return { snapshot: { path: repo, commit }, files: readRepoFiles(repo, repo) };
}

/** The files of one commit, checked out in a scratch clone (the repo's own work tree is left alone). */
async function loadRepoAtCommit(
  repo: string,
  commit: string,
): Promise<{ snapshot: RepoSnapshot; files: RepoFile[] }> {
  const clone = mkdtempSync(join(tmpdir(), 'contrail-config-'));
  try {
    await simpleGit().clone(repo, clone, ['--quiet', '--no-checkout', '--shared']);
    await simpleGit(clone).raw(['checkout', '--quiet', '--force', commit]);
    return { snapshot: { path: repo, commit }, files: readRepoFiles(clone, repo) };
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

/** Every config file of a repo checkout at `dir`, named in messages relative to `displayRoot`. */
function readRepoFiles(dir: string, displayRoot: string): RepoFile[] {
  const out: RepoFile[] = [];
  const isMetricHub = existsSync(join(dir, 'jetstream')) && statSync(join(dir, 'jetstream')).isDirectory();
  const jetstreamDir = isMetricHub ? join(dir, 'jetstream') : dir;
  const read = (absolute: string, kindPath: string) => {
    const display = join(displayRoot, relative(dir, absolute));
    // Read now: a commit's scratch clone is gone by the time an experiment's file is parsed.
    const source = readFileSync(absolute, 'utf8');
    const place = kindOfPath(kindPath);
    let parsed: ConfigFile | null = place.kind === 'experiment' ? null : parseCached(display, source, place);
    out.push({
      ...place,
      file: display,
      parsed: () => {
        parsed ??= parseCached(display, source, place);
        return parsed;
      },
    });
  };
  if (isMetricHub)
    for (const name of tomlFiles(join(dir, 'definitions')))
      read(join(dir, 'definitions', name), `definitions/${name}`);
  for (const name of tomlFiles(join(jetstreamDir, 'definitions')))
    read(join(jetstreamDir, 'definitions', name), `definitions/${name}`);
  for (const name of tomlFiles(join(jetstreamDir, 'defaults')))
    read(join(jetstreamDir, 'defaults', name), `defaults/${name}`);
  const outcomesDir = join(jetstreamDir, 'outcomes');
  if (existsSync(outcomesDir)) {
    for (const platform of readdirSync(outcomesDir).sort()) {
      const platformDir = join(outcomesDir, platform);
      if (!statSync(platformDir).isDirectory()) continue;
      for (const name of tomlFiles(platformDir))
        read(join(platformDir, name), `outcomes/${platform}/${name}`);
    }
  }
  for (const name of tomlFiles(jetstreamDir)) read(join(jetstreamDir, name), name);
  return out;
}

function tomlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.toml') && statSync(join(dir, n)).isFile())
    .sort();
}
