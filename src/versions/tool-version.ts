import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ToolVersion {
  /** package.json version of this build of contrail. */
  version: string;
  /** Identifies the exact build: `CONTRAIL_BUILD_ID` (set by the image build), else the git commit. */
  buildId: string;
}

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
let cached: ToolVersion | undefined;

/** The running tooling version; computed once per process. */
export function currentToolVersion(env: NodeJS.ProcessEnv = process.env): ToolVersion {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string };
  let buildId = env.CONTRAIL_BUILD_ID ?? '';
  if (!buildId) {
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
  cached = { version: pkg.version, buildId };
  return cached;
}
