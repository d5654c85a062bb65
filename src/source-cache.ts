import { createHash, randomUUID } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDir } from './paths.js';

/**
 * Code built from contrail's own sources at run time (the workflow bundle, the statistics
 * threads' bundle), cached by the key of the sources it was built from: a checkout builds once
 * per change of its sources, not once per command or per data directory.
 */

/** contrail's package root: in a checkout and an installed package it holds src/. */
export const packageRoot = fileURLToPath(new URL('../', import.meta.url));

/**
 * What code built from the sources depends on: every TypeScript file under src/ (a bundle
 * reaches only some of them, but hashing all of them is a few milliseconds and never misses an
 * import) and the versions contrail depends on (package.json pins them exactly).
 */
export function sourceKey(root: string = packageRoot): string {
  // Once per process for contrail's own sources: the code it runs is what it loaded at start,
  // and a bundle for a worker thread must match it even if the checkout is edited meanwhile.
  if (root !== packageRoot) return hashSources(root);
  ownKey ??= hashSources(root);
  return ownKey;
}

let ownKey: string | undefined;

function hashSources(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts'))
        hash
          .update(`${relative(root, path)}\0`)
          .update(readFileSync(path))
          .update('\0');
    }
  };
  walk(join(root, 'src'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: unknown };
  hash.update(JSON.stringify(pkg.dependencies ?? {}));
  return hash.digest('hex').slice(0, 16);
}

/** Writes a file by renaming a sibling into place, so a process that reads it never sees half of it. */
export function writeAtomically(file: string, text: string): void {
  const scratch = `${file}.${randomUUID()}.tmp`;
  writeFileSync(scratch, text);
  try {
    renameSync(scratch, file);
  } catch (error) {
    rmSync(scratch, { force: true });
    throw error;
  }
}

/**
 * Where builds are cached: the installation's own `node_modules/.cache/contrail/`, where
 * bin/launch.mjs keeps the CLI's bundle, shared by every data directory (a first command in a
 * new CONTRAIL_HOME, as every test and a person's first preview run, would otherwise build them
 * again); `$CONTRAIL_HOME/cache/` where the installation has no node_modules of its own or
 * cannot be written (a global prefix another user owns).
 */
export function buildCacheDir(env: NodeJS.ProcessEnv = process.env, root: string = packageRoot): string {
  const modules = join(root, 'node_modules');
  if (existsSync(modules)) {
    const own = join(modules, '.cache', 'contrail');
    try {
      mkdirSync(own, { recursive: true });
      accessSync(own, constants.W_OK);
      return own;
    } catch {
      // not ours to write: the data directory's cache below
    }
  }
  return join(dataDir(env), 'cache');
}

/** One build of `name` from the current sources, cached at `file`: `<cache dir>/<name>-<key><extension>`. */
export interface CachedBuild {
  file: string;
  name: string;
  extension: string;
}

/**
 * `place`: the directory a build refers to by path (it loads packages from there), when it
 * does. A cache may be shared by several checkouts (a data directory's; worktrees sharing one
 * node_modules): a build of the same sources made in another place would point at that place,
 * which may be gone.
 */
export function cachedBuild(name: string, extension: string, dir: string, place?: string): CachedBuild {
  const key =
    place === undefined
      ? sourceKey()
      : createHash('sha256').update(`${sourceKey()}\0${place}`).digest('hex').slice(0, 16);
  return { file: join(dir, `${name}-${key}${extension}`), name, extension };
}

/**
 * Stores a build at its cache file. Builds of the same name from other sources older than a
 * day go: each edit of a checkout leaves one behind, and a command started before the edit may
 * still be reading its own.
 */
export function storeBuild(build: CachedBuild, text: string): void {
  const dir = dirname(build.file);
  mkdirSync(dir, { recursive: true });
  writeAtomically(build.file, text);
  const others = new RegExp(`^${build.name}-[0-9a-f]{16}${build.extension.replaceAll('.', '\\.')}$`);
  const dayAgo = Date.now() - 86_400_000;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (path !== build.file && others.test(entry) && statSync(path).mtimeMs < dayAgo)
      rmSync(path, { force: true });
  }
}
