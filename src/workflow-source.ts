import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';
import { SettingsError } from './settings.js';
import {
  buildCacheDir,
  cachedBuild,
  packageRoot,
  sourceKey,
  storeBuild,
  writeAtomically,
} from './source-cache.js';

const sourceDir = join(packageRoot, 'src');
const workflowsSource = join(sourceDir, 'workflows', 'index.ts');

/** The workflow bundle a package ships (`npm pack` writes it), beside the key of the sources it was built from. */
export const PACKAGED_BUNDLE = join(packageRoot, 'dist', 'workflow-bundle.js');
const PACKAGED_KEY = join(packageRoot, 'dist', 'workflow-bundle.key');

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
  const key = sourceKey(root);
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
 * does not compile TypeScript under node_modules); a checkout runs the bundle cached for its
 * sources (`cache`, default `buildCacheDir`, looked up only then), bundling and caching it on
 * the first start after a change: bundling takes seconds of every embedded command's start.
 */
export async function workflowSource(
  env: NodeJS.ProcessEnv = process.env,
  packagedKey: string = PACKAGED_KEY,
  cache?: string,
): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  const given = env.CONTRAIL_WORKFLOW_BUNDLE;
  if (given) {
    if (!existsSync(given))
      throw new SettingsError(
        `CONTRAIL_WORKFLOW_BUNDLE=${given}: no such file; set it to a workflow bundle a build wrote (dist/workflow-bundle.js), or unset it to use the one this installation has`,
      );
    return { workflowBundle: { codePath: given } };
  }
  if (!existsSync(workflowsSource)) return { workflowBundle: { codePath: PACKAGED_BUNDLE } };
  if (existsSync(packagedKey) && readFileSync(packagedKey, 'utf8').trim() === sourceKey()) {
    return { workflowBundle: { codePath: PACKAGED_BUNDLE } };
  }
  const cached = cachedBuild('workflow-bundle', '.js', cache ?? buildCacheDir(env));
  if (!existsSync(cached.file)) storeBuild(cached, await bundleWorkflows());
  return { workflowBundle: { codePath: cached.file } };
}
