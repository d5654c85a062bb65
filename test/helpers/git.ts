import { execFileSync } from 'node:child_process';

/**
 * Runs git in `repo` as a fixed author, optionally dated (author and committer date), for
 * tests that build config repositories with a history: pinned configs are read as of a date.
 */
export function runGit(repo: string, args: string[], date?: string): string {
  return execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
    },
  }).trim();
}
