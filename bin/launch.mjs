// Runs contrail from a checkout's TypeScript sources, bundled (bin/bundle-sources.mjs says why).
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cachedBundle } from './bundle-sources.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));

/** The CLI bundled from the current sources (bin/bundle-sources.mjs). */
const currentBundle = () =>
  cachedBundle({
    root,
    name: 'cli',
    dirs: ['src'],
    files: ['package.json', 'tsconfig.json', 'bin/launch.mjs'],
    entryPoints: [join(root, 'src', 'client', 'program.ts')],
  });

let dir;
try {
  dir = await currentBundle();
} catch (error) {
  if (['EACCES', 'EPERM', 'EROFS'].includes(error.code)) {
    // An installation this user may not write to (a global npm prefix owned by root): the
    // sources through tsx, as before there were bundles.
    await import('./register-tsx.mjs');
    await import('../src/client/program.ts');
  } else {
    // esbuild's message names each file, line and column it could not compile.
    process.stderr.write(`contrail: could not build the sources in ${join(root, 'src')}: ${error.message}\n`);
    process.exit(1);
  }
}
if (dir) {
  // Stack traces name the sources' files and lines, not the bundle's.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(join(dir, 'src', 'client', 'program.mjs')).href);
}
