// Runs contrail from a checkout's TypeScript sources. Loading them through tsx's module hooks
// cost every command about two CPU-seconds before it did anything (each of a thousand modules,
// node_modules included, passes the hooks on another thread); one esbuild bundle of the sources,
// built once per change of them and cached under node_modules/.cache/contrail/cli/, starts in a
// fraction of that. The bundle keeps the CLI's lazily loaded commands as chunks of their own,
// leaves packages to node_modules, and gives each module its own source file's import.meta.url,
// so paths computed from it (configs, scripts, the release manifest) are the checkout's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const cache = join(root, 'node_modules', '.cache', 'contrail', 'cli');

/**
 * What the bundle is built from: every source file, the package's pins, this launcher, and the
 * checkout's place (the bundle names its files by path; worktrees may share one node_modules).
 */
function sourcesKey() {
  const hash = createHash('sha256').update(`${root}\0`);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json)$/.test(entry.name))
        hash.update(`${relative(root, path)}\0`).update(readFileSync(path));
    }
  };
  walk(join(root, 'src'));
  // An installed package has no tsconfig.json.
  for (const file of ['package.json', 'tsconfig.json', 'bin/launch.mjs'].filter((f) =>
    existsSync(join(root, f)),
  ))
    hash.update(`${file}\0`).update(readFileSync(join(root, file)));
  return hash.digest('hex').slice(0, 16);
}

/** The expression, not the words in a string (a build's `define` names it as a key). */
const META_URL = /(?<![\w.'"`])import\.meta\.url(?![\w'"`])/g;

/** Each module's import.meta.url is its source file's, as when tsx loads it. */
const sourceUrls = {
  name: 'source-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async ({ path }) => ({
      contents: (await readFile(path, 'utf8')).replace(META_URL, JSON.stringify(pathToFileURL(path).href)),
      loader: 'ts',
    }));
  },
};

async function bundle(dir) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: { program: join(root, 'src', 'client', 'program.ts') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'silent',
    plugins: [sourceUrls],
  });
}

/**
 * The bundle of the current sources: built beside its final place and renamed into it, so two
 * commands started at once never run half of one; bundles of other sources older than a day go
 * (a command started before an edit may still be running its own).
 */
async function currentBundle() {
  const dir = join(cache, sourcesKey());
  if (existsSync(join(dir, 'program.mjs'))) return dir;
  mkdirSync(cache, { recursive: true });
  const scratch = `${dir}.${process.pid}.tmp`;
  rmSync(scratch, { recursive: true, force: true });
  try {
    await bundle(scratch);
    renameSync(scratch, dir);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    // Another command put the same bundle in place first.
    if (!existsSync(join(dir, 'program.mjs'))) throw error;
  }
  const dayAgo = Date.now() - 86_400_000;
  for (const entry of readdirSync(cache)) {
    const path = join(cache, entry);
    if (path !== dir && statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
  return dir;
}

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
  await import(pathToFileURL(join(dir, 'program.mjs')).href);
}
