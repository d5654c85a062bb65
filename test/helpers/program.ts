import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The node arguments that run one of the checkout's TypeScript programs in a process of its own
 * (a helper a test starts): under the test runner, the program's module in the run's bundle of
 * the sources (CONTRAIL_TEST_BUNDLE; scripts/run-tests.ts bundles the helpers it lists), which
 * starts in less than half the CPU time that compiling the sources through tsx's hooks takes;
 * otherwise, or for a program the bundle lacks, the TypeScript itself through tsx.
 */
export function programArgs(source: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const bundle = env.CONTRAIL_TEST_BUNDLE;
  const bundled = bundle ? bundledModule(bundle, source) : null;
  return bundled && existsSync(bundled) ? [bundled] : ['--import', 'tsx', source];
}

/** Where a source file's module is in a bundle of the sources: the same path, .ts becoming .mjs. */
export function bundledModule(bundle: string, source: string): string {
  return join(bundle, relative(root, source)).replace(/\.ts$/, '.mjs');
}
