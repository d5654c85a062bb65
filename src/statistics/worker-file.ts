import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildCacheDir, type CachedBuild, cachedBuild, packageRoot, storeBuild } from '../source-cache.js';

/** What a statistics thread starts from, and the node flags it starts with. */
export interface StatisticsWorkerFile {
  filename: string;
  execArgv: string[];
}

/**
 * Compiled (an image's dist/), a thread starts from the worker module beside this one. From
 * source it starts from one JavaScript bundle of the worker, built with esbuild and cached by the
 * sources' key: a thread loading the worker's TypeScript through tsx's hooks took about 0.4 s and
 * a quarter of a CPU-second to start, the bundle a fifth of that, and a pool starts threads again
 * after they idle. The bundle needs no loader, so the threads leave the parent's out. `cache`
 * (default `buildCacheDir()`) is looked up only to build: a compiled image writes nothing.
 */
export function statisticsWorkerFile(cache?: string): StatisticsWorkerFile {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return { filename: new URL('./worker.js', here).href, execArgv: threadFlags(process.execArgv) };
  }
  // The bundle loads packages from the sources' place (see bundleWorker): its own per checkout.
  const build = cachedBuild('statistics-worker', '.mjs', cache ?? buildCacheDir(), packageRoot);
  if (!existsSync(build.file)) storeBuild(build, bundleWorker(build));
  return { filename: build.file, execArgv: threadFlags(process.execArgv) };
}

function bundleWorker(build: CachedBuild): string {
  const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
  // esbuild's synchronous API: a pool is made where nothing awaits (the first statistic asks for it).
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [entry],
    outfile: build.file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // Modules that require packages on first use (distributions.ts) resolve them from the
    // sources' place, where node_modules is, not from the cache the bundle lives in.
    define: { 'import.meta.url': JSON.stringify(new URL('./worker.ts', import.meta.url).href) },
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild wrote no bundle of ${entry}`);
  return output.text;
}

/**
 * The process's node flags a statistics thread starts with: only those that change what a person
 * reads (source-mapped stack traces, warnings). A thread refuses V8 and process-wide flags
 * (`--max-old-space-size`, `--stack-size`: "invalid execArgv flags"), so a worker started with a
 * larger heap would fail every statistic; nor does it need the module loaders (`--import tsx`),
 * since what it loads is JavaScript, and each would cost every thread's start.
 */
export function threadFlags(argv: string[]): string[] {
  return argv.filter((flag) =>
    /^--(enable-source-maps|no-warnings|no-deprecation|throw-deprecation|trace-warnings|trace-deprecation|trace-uncaught)$/.test(
      flag,
    ),
  );
}
