import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ToolVersion {
  /** package.json version of this build of contrail. */
  version: string;
  /**
   * Identifies the exact build: `CONTRAIL_BUILD_ID` (set by the image build), else the
   * checkout's git commit, else the commit an installed package was packed from, else `unknown`.
   */
  buildId: string;
}

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The build id `npm pack` writes into the package (scripts/pack.ts): an installed package is no git checkout. */
export const BUILD_ID_FILE = `${packageRoot}dist/build-id`;
let cached: ToolVersion | undefined;

/** The running tooling version; computed once per process. */
export function currentToolVersion(env: NodeJS.ProcessEnv = process.env): ToolVersion {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string };
  let buildId = env.CONTRAIL_BUILD_ID ?? '';
  // A checkout's own commit, never a stale build-id file an interrupted `npm pack` left there,
  // nor the commit of a repository an installed package happens to sit in.
  const checkout = existsSync(`${packageRoot}.git`);
  if (!buildId && !checkout && existsSync(BUILD_ID_FILE))
    buildId = readFileSync(BUILD_ID_FILE, 'utf8').trim();
  if (!buildId && checkout) {
    try {
      buildId = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
        cwd: packageRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      buildId = 'unknown';
    }
  }
  cached = { version: pkg.version, buildId: buildId || 'unknown' };
  return cached;
}
