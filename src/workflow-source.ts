import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from '@temporalio/worker';
import { dataDir } from './paths.js';

const packageRoot = fileURLToPath(new URL('../', import.meta.url));
const sourceDir = join(packageRoot, 'src');
const workflowsSource = join(sourceDir, 'workflows', 'index.ts');

/** The workflow bundle a package ships (`npm pack` writes it), beside the key of the sources it was built from. */
export const PACKAGED_BUNDLE = join(packageRoot, 'dist', 'workflow-bundle.js');
const PACKAGED_KEY = join(packageRoot, 'dist', 'workflow-bundle.key');

/**
 * What the workflow bundle is built from: every TypeScript file under src/ (the bundle reaches
 * only some of them, but hashing all of them is a few milliseconds and never misses an import)
 * and the versions contrail depends on (package.json pins them exactly).
 */
export function workflowSourceKey(root: string = packageRoot): string {
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

/** Bundles src/workflows with the SDK's bundler, quietly: a CLI run shows contrail's output, not webpack's. */
export async function bundleWorkflows(): Promise<string> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsSource,
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
  return code;
}

/** Writes a file by renaming a sibling into place, so a process that reads it never sees half of it. */
function writeAtomically(file: string, text: string): void {
  const scratch = `${file}.${randomUUID()}.tmp`;
  writeFileSync(scratch, text);
  try {
    renameSync(scratch, file);
  } catch (error) {
    rmSync(scratch, { force: true });
    throw error;
  }
}

/** Bundles of other sources older than a day go: each edit of a checkout leaves one behind. */
function pruneBundles(cacheDir: string, keep: string): void {
  const dayAgo = Date.now() - 86_400_000;
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (path === keep || !/^workflow-bundle-[0-9a-f]+\.js$/.test(name)) continue;
    if (statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
  }
}

/**
 * Writes the bundle a package ships and the key of the sources it was built from (run by `npm
 * pack`, and by the test runner for every worker it starts). A bundle already built from the
 * same sources is kept: bundling takes seconds, and the key says it would come out the same.
 */
export async function writePackagedBundle(
  root: string = packageRoot,
  bundle: () => Promise<string> = bundleWorkflows,
): Promise<{ file: string; bytes: number; reused: boolean }> {
  const file = join(root, 'dist', 'workflow-bundle.js');
  const keyFile = join(root, 'dist', 'workflow-bundle.key');
  const key = workflowSourceKey(root);
  if (existsSync(file) && existsSync(keyFile) && readFileSync(keyFile, 'utf8').trim() === key) {
    return { file, bytes: statSync(file).size, reused: true };
  }
  const code = await bundle();
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeAtomically(file, code);
  writeAtomically(keyFile, `${key}\n`);
  return { file, bytes: code.length, reused: false };
}

/**
 * The workflow code a worker runs. `CONTRAIL_WORKFLOW_BUNDLE` when set. The compiled image
 * has no sources and runs the bundle its build wrote. Otherwise the sources decide, by their
 * key: an installed package runs the bundle `npm pack` built from them (the SDK's bundler
 * does not compile TypeScript under node_modules); a checkout runs the bundle cached under
 * `$CONTRAIL_HOME/cache/` for its sources, bundling and caching it on the first start after
 * a change: bundling takes seconds of every embedded command's start.
 */
export async function workflowSource(
  env: NodeJS.ProcessEnv = process.env,
  packagedKey: string = PACKAGED_KEY,
): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  if (env.CONTRAIL_WORKFLOW_BUNDLE) return { workflowBundle: { codePath: env.CONTRAIL_WORKFLOW_BUNDLE } };
  if (!existsSync(workflowsSource)) return { workflowBundle: { codePath: PACKAGED_BUNDLE } };
  const key = workflowSourceKey();
  if (existsSync(packagedKey) && readFileSync(packagedKey, 'utf8').trim() === key) {
    return { workflowBundle: { codePath: PACKAGED_BUNDLE } };
  }
  const cacheDir = join(dataDir(env), 'cache');
  const cached = join(cacheDir, `workflow-bundle-${key}.js`);
  if (!existsSync(cached)) {
    const code = await bundleWorkflows();
    mkdirSync(cacheDir, { recursive: true });
    writeAtomically(cached, code);
    pruneBundles(cacheDir, cached);
  }
  return { workflowBundle: { codePath: cached } };
}
