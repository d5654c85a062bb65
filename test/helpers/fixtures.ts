import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A path inside the project's shared folder (real metric-hub configs and notes), which sits
 * beside the repository (`../shared`) on developers' machines and in CI; `CONTRAIL_SHARED_DIR`
 * points elsewhere. Missing fixtures fail the test that needs them instead of skipping it.
 */
export function sharedPath(...parts: string[]): string {
  const candidates = [process.env.CONTRAIL_SHARED_DIR, join(dirname(repoRoot.replace(/\/$/, '')), 'shared')];
  for (const dir of candidates) {
    if (dir && existsSync(join(dir, ...parts))) return join(dir, ...parts);
  }
  throw new Error(
    `shared fixture ${parts.join('/')} not found: expected the shared folder beside the repository (../shared) or CONTRAIL_SHARED_DIR`,
  );
}

export const metricHubFixtures = () => sharedPath('fixtures', 'metric-hub');
