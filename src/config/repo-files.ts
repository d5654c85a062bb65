import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { simpleGit } from 'simple-git';
import { type ConfigFile, kindOfPath } from './config-file.js';
import { parseCached } from './parse-cache.js';
import { ConfigError } from './problems.js';

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

/** Every config file of a repo at HEAD, or as of `asOf` when it is a git repo. */
export function readConfigRepo(
  repo: string,
  asOf: Date | null,
): Promise<{ snapshot: RepoSnapshot; files: ConfigFile[] }> {
  return asOf ? loadRepoAsOf(repo, asOf) : loadRepoHead(repo);
}

async function isGitRepo(path: string): Promise<boolean> {
  if (!existsSync(join(path, '.git'))) return false;
  return simpleGit(path).checkIsRepo();
}

async function loadRepoHead(repo: string): Promise<{ snapshot: RepoSnapshot; files: ConfigFile[] }> {
  if (!existsSync(repo) || !statSync(repo).isDirectory()) {
    throw new ConfigError([
      {
        file: repo,
        line: null,
        keyPath: '',
        message: 'config repo not found: expected a directory or a git repository',
      },
    ]);
  }
  const commit = (await isGitRepo(repo)) ? (await simpleGit(repo).revparse(['HEAD'])).trim() : null;
  return { snapshot: { path: repo, commit }, files: readRepoFiles(repo, repo) };
}

async function loadRepoAsOf(
  repo: string,
  asOf: Date,
): Promise<{ snapshot: RepoSnapshot; files: ConfigFile[] }> {
  if (!(await isGitRepo(repo))) return loadRepoHead(repo);
  const log = await simpleGit(repo).raw(['log', '--format=%H %cI', 'HEAD']);
  const commits = log
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [hash, time] = line.split(' ') as [string, string];
      return { hash, time: new Date(time) };
    }); // newest first
  const atOrBefore = commits.find((c) => c.time.getTime() <= asOf.getTime());
  // With no commit that old, start from the oldest one (as jetstream does).
  const chosen = atOrBefore ?? commits.at(-1);
  if (!chosen)
    throw new ConfigError([
      { file: repo, line: null, keyPath: '', message: 'the repository has no commits' },
    ]);
  const clone = mkdtempSync(join(tmpdir(), 'contrail-config-'));
  try {
    await simpleGit().clone(repo, clone, ['--quiet', '--no-checkout', '--shared']);
    await simpleGit(clone).raw(['checkout', '--quiet', '--force', chosen.hash]);
    return { snapshot: { path: repo, commit: chosen.hash }, files: readRepoFiles(clone, repo) };
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

/** Every config file of a repo checkout at `dir`, named in messages relative to `displayRoot`. */
function readRepoFiles(dir: string, displayRoot: string): ConfigFile[] {
  const out: ConfigFile[] = [];
  const isMetricHub = existsSync(join(dir, 'jetstream')) && statSync(join(dir, 'jetstream')).isDirectory();
  const jetstreamDir = isMetricHub ? join(dir, 'jetstream') : dir;
  const read = (absolute: string, kindPath: string) => {
    const display = join(displayRoot, relative(dir, absolute));
    out.push(parseCached(display, readFileSync(absolute, 'utf8'), kindOfPath(kindPath)));
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
