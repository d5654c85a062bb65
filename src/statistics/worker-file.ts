import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type CachedBuild, cachedBuild, packageRoot, storeBuild } from '../source-cache.js';

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
 * after they idle. The bundle needs no loader, so the threads leave the parent's out.
 */
export function statisticsWorkerFile(env: NodeJS.ProcessEnv = process.env): StatisticsWorkerFile {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return { filename: new URL('./worker.js', here).href, execArgv: process.execArgv };
  }
  // The bundle loads packages from the sources' place (see bundleWorker): its own per checkout.
  const build = cachedBuild('statistics-worker', '.mjs', env, packageRoot);
  if (!existsSync(build.file)) storeBuild(build, bundleWorker(build));
  return { filename: build.file, execArgv: withoutLoaders(process.execArgv) };
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

/** Node flags without the module loaders (`--import`, `--loader`, `--require` and their values). */
export function withoutLoaders(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (/^(--import|--loader|--experimental-loader|--require|-r)$/.test(flag)) i++;
    else if (!/^--(import|loader|experimental-loader|require)=/.test(flag)) out.push(flag);
  }
  return out;
}
