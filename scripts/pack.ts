/**
 * `npm pack` hooks. prepack: the workflow bundle an installed package runs (the SDK's bundler
 * does not compile TypeScript under node_modules), the build id (an installed package is no
 * git checkout), and npm-shrinkwrap.json from the lock, so `npm install -g` of the tarball
 * installs exactly the versions the tests ran with. postpack removes what would go stale in
 * the checkout (the bundle stays: it is keyed by its sources).
 *
 *   node --import tsx scripts/pack.ts prepack|postpack
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILD_ID_FILE } from '../src/versions/tool-version.js';
import { writePackagedBundle } from '../src/workflow-source.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const shrinkwrap = `${root}npm-shrinkwrap.json`;
const phase = process.argv[2];

if (phase === 'prepack') {
  const { file, bytes, reused } = await writePackagedBundle();
  process.stderr.write(`${reused ? 'kept' : 'wrote'} ${file} (${(bytes / 1024).toFixed(0)} KiB)\n`);
  const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
  mkdirSync(`${root}dist`, { recursive: true });
  writeFileSync(BUILD_ID_FILE, `${commit}\n`);
  copyFileSync(`${root}package-lock.json`, shrinkwrap);
} else if (phase === 'postpack') {
  rmSync(shrinkwrap, { force: true });
  rmSync(BUILD_ID_FILE, { force: true });
} else {
  process.stderr.write(`usage: scripts/pack.ts prepack|postpack (got ${phase ?? 'nothing'})\n`);
  process.exit(2);
}
