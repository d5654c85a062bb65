import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { hasGitDir } from './repo-history.js';

/**
 * What a config repo holds right now, as a short string that changes when its content does:
 * a git repo's HEAD commit (read through git, so worktrees and packed refs are handled), or
 * for a plain directory the count, sizes and modification times of its TOML files. A worker
 * compares it to decide whether a cached collection is still the repo's current state.
 */
export async function repoFingerprint(repo: string): Promise<string> {
  if (!existsSync(repo)) return `${repo}@missing`;
  if (hasGitDir(repo)) {
    try {
      return `${repo}@${(await simpleGit(repo).revparse(['HEAD'])).trim()}`;
    } catch {
      // No commit yet, or not readable: treat the repo as changed on every load.
      return `${repo}@unknown-${Date.now()}`;
    }
  }
  let sum = 0;
  let count = 0;
  for (const entry of readdirSync(repo, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.toml')) continue;
    const stat = statSync(join(repo, entry));
    sum = (sum * 31 + stat.mtimeMs + stat.size) % Number.MAX_SAFE_INTEGER;
    count++;
  }
  return `${repo}@${count}:${sum}`;
}
