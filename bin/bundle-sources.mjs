// Bundles of a checkout's TypeScript sources, built with esbuild once per change of them and
// cached under node_modules/.cache/contrail/<name>/<key>/: what bin/launch.mjs runs the CLI from,
// and what scripts/run-tests.ts runs the test files from. Loading the sources through tsx's
// module hooks cost each process about two CPU-seconds (each of a thousand modules, node_modules
// included, passes the hooks on another thread); a bundle starts in a fraction of that. Lazily
// imported modules stay chunks of their own, packages stay in node_modules, and each module keeps
// its own source file's import.meta.url (and dirname, filename), so paths computed from it
// (configs, fixtures, scripts, the release manifest) are the checkout's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The expressions, not the words in a string (a build's `define` names import.meta.url as a key). */
const META = /(?<![\w.'"`])import\.meta\.(url|dirname|filename)(?![\w'"`])/g;

const sourceUrls = {
  name: 'source-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const value = { url: pathToFileURL(path).href, dirname: dirname(path), filename: path };
      const text = await readFile(path, 'utf8');
      return { contents: text.replace(META, (_, key) => JSON.stringify(value[key])), loader: 'ts' };
    });
  },
};

/**
 * What a bundle is built from: its entry points, every file under `dirs`, the `files` that exist (an installed
 * package has no tsconfig.json), this module, and the checkout's place (a bundle names its files
 * by path, and worktrees may share one node_modules).
 */
function sourcesKey(root, dirs, files, entryPoints) {
  const hash = createHash('sha256').update(
    `${root}\0${entryPoints.map((e) => relative(root, e)).join('\0')}\0`,
  );
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(`${relative(root, path)}\0`).update(readFileSync(path));
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  for (const file of [...files, relative(root, new URL(import.meta.url).pathname)])
    if (existsSync(join(root, file))) hash.update(`${file}\0`).update(readFileSync(join(root, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The directory holding the bundle of `entryPoints` (absolute paths; each output keeps its path
 * relative to `root`, .ts becoming .mjs) built from the current sources. It is built beside its
 * final place and renamed into it, so two processes started at once never run half of one;
 * bundles of other sources older than a day go (a process started before an edit may still be
 * running its own). Throws esbuild's error (each file, line and column it could not compile),
 * or the file system's where the cache cannot be written.
 */
export async function cachedBundle({ root, name, dirs, files, entryPoints }) {
  const cache = join(root, 'node_modules', '.cache', 'contrail', name);
  const dir = join(cache, sourcesKey(root, dirs, files, entryPoints));
  if (existsSync(dir)) return dir;
  mkdirSync(cache, { recursive: true });
  const scratch = `${dir}.${process.pid}.tmp`;
  rmSync(scratch, { recursive: true, force: true });
  try {
    const { build } = await import('esbuild');
    await build({
      entryPoints,
      outdir: scratch,
      outbase: root,
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
    renameSync(scratch, dir);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    // Another process put the same bundle in place first.
    if (!existsSync(dir)) throw error;
  }
  const dayAgo = Date.now() - 86_400_000;
  for (const entry of readdirSync(cache)) {
    const path = join(cache, entry);
    if (path !== dir && statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
  return dir;
}
