import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCacheDir, packageRoot, sourceKey } from '../../../src/source-cache.js';
import { workflowSource, writePackagedBundle } from '../../../src/workflow-source.js';

test('the bundle key changes with any TypeScript source and the dependencies, not with other files', () => {
  const root = mkdtempSync(join(tmpdir(), 'contrail-bundle-key-'));
  mkdirSync(join(root, 'src', 'workflows'), { recursive: true });
  writeFileSync(join(root, 'src', 'workflows', 'index.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'src', 'dates.ts'), 'export const b = 1;\n');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ dependencies: { x: '1.0.0' } }));
  const first = sourceKey(root);
  assert.equal(sourceKey(root), first, 'the same sources, the same key');
  writeFileSync(join(root, 'src', 'notes.md'), 'not code');
  assert.equal(sourceKey(root), first, 'a file that is not TypeScript changes nothing');
  writeFileSync(join(root, 'src', 'dates.ts'), 'export const b = 2;\n');
  const second = sourceKey(root);
  assert.notEqual(second, first, 'a module outside src/workflows counts: workflows import it');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ dependencies: { x: '1.0.1' } }));
  assert.notEqual(sourceKey(root), second, 'a dependency version counts');
});

test('a checkout runs the bundle cached for its sources, without bundling again', async () => {
  const home = mkdtempSync(join(tmpdir(), 'contrail-bundle-cache-'));
  const cached = join(home, 'cache', `workflow-bundle-${sourceKey()}.js`);
  mkdirSync(join(home, 'cache'));
  writeFileSync(cached, '// the cached bundle\n');
  const source = await workflowSource(
    { CONTRAIL_HOME: home },
    join(home, 'no-packaged-bundle.key'),
    join(home, 'cache'),
  );
  assert.deepEqual(source, { workflowBundle: { codePath: cached } });
  const given = join(home, 'bundle.js');
  writeFileSync(given, '// a bundle a build wrote\n');
  assert.deepEqual(await workflowSource({ CONTRAIL_HOME: home, CONTRAIL_WORKFLOW_BUNDLE: given }), {
    workflowBundle: { codePath: given },
  });
  await assert.rejects(
    workflowSource({ CONTRAIL_HOME: home, CONTRAIL_WORKFLOW_BUNDLE: '/x/bundle.js' }),
    /^SettingsError: CONTRAIL_WORKFLOW_BUNDLE=\/x\/bundle\.js: no such file; /,
  );
});

test('packing writes the bundle with its key, and keeps a bundle of the same sources instead of bundling again', async () => {
  const root = mkdtempSync(join(tmpdir(), 'contrail-packaged-bundle-'));
  mkdirSync(join(root, 'src', 'workflows'), { recursive: true });
  writeFileSync(join(root, 'src', 'workflows', 'index.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ dependencies: {} }));
  let bundled = 0;
  const bundle = async () => `// bundle ${++bundled}\n`;
  const first = await writePackagedBundle(root, bundle);
  assert.deepEqual([first.reused, bundled], [false, 1]);
  assert.equal(readFileSync(join(root, 'dist', 'workflow-bundle.key'), 'utf8').trim(), sourceKey(root));
  const again = await writePackagedBundle(root, bundle);
  assert.deepEqual([again.reused, bundled, again.file], [true, 1, first.file], 'same sources: kept');
  writeFileSync(join(root, 'src', 'workflows', 'index.ts'), 'export const a = 2;\n');
  const changed = await writePackagedBundle(root, bundle);
  assert.deepEqual([changed.reused, bundled], [false, 2], 'changed sources: bundled again');
  assert.equal(readFileSync(changed.file, 'utf8'), '// bundle 2\n');
});

test('builds are cached in the installation, shared by every data directory; in the data directory where it cannot be written', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'contrail-build-cache-'));
  const env = { CONTRAIL_HOME: join(scratch, 'home') };
  // This checkout: what every command and test process of it shares, whatever its CONTRAIL_HOME.
  assert.equal(buildCacheDir(env), join(packageRoot, 'node_modules', '.cache', 'contrail'));
  const installed = join(scratch, 'installed');
  mkdirSync(join(installed, 'node_modules'), { recursive: true });
  assert.equal(buildCacheDir(env, installed), join(installed, 'node_modules', '.cache', 'contrail'));
  assert.ok(existsSync(join(installed, 'node_modules', '.cache', 'contrail')), 'made when missing');
  // Packages hoisted into a parent's node_modules: nothing is made inside the package.
  const hoisted = join(scratch, 'hoisted');
  mkdirSync(hoisted);
  assert.equal(buildCacheDir(env, hoisted), join(scratch, 'home', 'cache'));
  assert.ok(!existsSync(join(hoisted, 'node_modules')));
  // A cache directory that cannot be made there (as in a prefix another user owns).
  const unwritable = join(scratch, 'unwritable');
  mkdirSync(join(unwritable, 'node_modules'), { recursive: true });
  writeFileSync(join(unwritable, 'node_modules', '.cache'), 'not a directory');
  assert.equal(buildCacheDir(env, unwritable), join(scratch, 'home', 'cache'));
});

test('workflow code evaluates no schema or module it does not need: a worker evaluates them anew for each run', async () => {
  // The bundle workers of this checkout run (kept when its sources are unchanged, as in a test run).
  const { file } = await writePackagedBundle();
  const modules = [...readFileSync(file, 'utf8').matchAll(/^\/\*{3}\/ "\.\/(src\/[^"]+)"$/gm)].map(
    (m) => m[1] as string,
  );
  assert.ok(modules.includes('src/workflows/inputs.ts'), modules.join(' '));
  const heavy = modules.filter(
    (m) =>
      m === 'src/config/spec.ts' ||
      m === 'src/experiments/experiment.ts' ||
      /^src\/(sql|warehouse|statistics|activities|client)\//.test(m) ||
      (m.startsWith('src/config/') && m !== 'src/config/periods.ts'),
  );
  assert.deepEqual(heavy, []);
});
