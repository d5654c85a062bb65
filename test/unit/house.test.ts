import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The rules the source tree keeps, checked on every run so a change that breaks one is named
 * here rather than found in review: small modules (a long one says at its top why it is
 * long), no files that import each other (one of the two holds what both need), domain code
 * that knows nothing of Temporal, a CLI nothing else imports, workflows that import activities
 * as types only, and activities that adapt without writing SQL of their own.
 */

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

const sources: { path: string; text: string }[] = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => ({ path: relative(join(SRC, '..'), join(SRC, f)), text: readFileSync(join(SRC, f), 'utf8') }));

/** Modules of the domain: plain data in and out, runnable without a Temporal server. */
const DOMAIN = [
  'config',
  'sql',
  'warehouse',
  'statistics',
  'versions',
  'experiments',
  'analysis',
  'sample',
  'exports',
];

/** The small modules at the root that the domain builds on: Temporal stays out of them too. */
const DOMAIN_ROOT = [
  'errors.ts',
  'dates.ts',
  'provenance.ts',
  'concurrency.ts',
  'suggest.ts',
  'plural.ts',
  'command-name.ts',
  'shell-words.ts',
];

const under = (dir: string) => sources.filter((s) => s.path.startsWith(`src/${dir}/`));
const atRoot = (file: string) => sources.filter((s) => s.path === `src/${file}`);

/** The module specifiers a file imports or re-exports, with whether each is type-only. */
function imports(text: string): { from: string; typeOnly: boolean }[] {
  const found: { from: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\bfrom\s+'([^']+)'/gms))
    found.push({ from: m[3] as string, typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g))
    found.push({ from: m[1] as string, typeOnly: false });
  return found;
}

/** A circle of files importing one another, type imports included, or null when there is none. */
function importCircle(files: readonly { path: string; text: string }[]): string[] | null {
  const known = new Set(files.map((f) => f.path));
  const edges = new Map(
    files.map(({ path, text }) => [
      path,
      imports(text)
        .filter((i) => i.from.startsWith('.'))
        .map((i) => normalize(join(dirname(path), i.from)).replace(/\.js$/, '.ts'))
        .filter((target) => known.has(target)),
    ]),
  );
  const done = new Set<string>();
  const visit = (path: string, trail: string[]): string[] | null => {
    const at = trail.indexOf(path);
    if (at >= 0) return [...trail.slice(at), path];
    if (done.has(path)) return null;
    for (const next of edges.get(path) ?? []) {
      const circle = visit(next, [...trail, path]);
      if (circle) return circle;
    }
    done.add(path);
    return null;
  };
  for (const { path } of files) {
    const circle = visit(path, []);
    if (circle) return circle;
  }
  return null;
}

describe('the source tree', () => {
  it('finds the sources it checks', () => {
    assert.ok(sources.length > 100, `${sources.length} files under ${SRC}`);
    for (const dir of [...DOMAIN, 'activities', 'workflows']) assert.ok(under(dir).length > 0, dir);
    for (const file of DOMAIN_ROOT) assert.equal(atRoot(file).length, 1, file);
  });

  it('has no file over 400 lines without a comment at its top saying why', () => {
    const long = sources.filter(({ text }) => text.split('\n').length > 401 && !/^\s*(\/\*|\/\/)/.test(text));
    assert.deepEqual(
      long.map((s) => `${s.path} (${s.text.split('\n').length - 1} lines)`),
      [],
      'split these, or say at the top why they are one module',
    );
  });

  it('has no files that import each other, directly or round a circle', () => {
    assert.equal(importCircle(sources)?.join(' -> ') ?? null, null);
  });

  it('keeps Temporal out of the domain modules', () => {
    const offending = [...DOMAIN.flatMap(under), ...DOMAIN_ROOT.flatMap(atRoot)].flatMap(({ path, text }) =>
      imports(text)
        .filter(
          (i) => i.from.startsWith('@temporalio/') || /(^|\/)(temporal|workflows|activities)\//.test(i.from),
        )
        .map((i) => `${path} imports ${i.from}`),
    );
    assert.deepEqual(offending, []);
  });

  it('keeps the CLI at the top: nothing outside it imports it', () => {
    const offending = sources
      .filter(({ path }) => !path.startsWith(join('src', 'client')))
      .flatMap(({ path, text }) =>
        imports(text)
          .filter((i) => /(^|\/)client\//.test(i.from))
          .map((i) => `${path} imports ${i.from}`),
      );
    assert.deepEqual(offending, []);
  });

  it('lets workflows import activities only as types', () => {
    const offending = under('workflows').flatMap(({ path, text }) =>
      imports(text)
        .filter((i) => /(^|\/)activities\//.test(i.from) && !i.typeOnly)
        .map((i) => `${path} imports ${i.from}`),
    );
    assert.deepEqual(offending, []);
  });

  it('keeps SQL text out of the activities', () => {
    const sql =
      /\b(SELECT\s|INSERT\s+INTO|CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?(TABLE|VIEW)|DELETE\s+FROM|ALTER\s+TABLE|DROP\s+(TABLE|VIEW))/;
    const offending = under('activities')
      .filter(({ text }) => sql.test(text))
      .map(({ path, text }) => `${path}: ${sql.exec(text)?.[0]}`);
    assert.deepEqual(offending, []);
  });

  it('finds a circle of imports', () => {
    const file = (path: string, ...from: string[]) => ({
      path,
      text: from.map((f) => `import type { X } from '${f}';\n`).join(''),
    });
    assert.deepEqual(
      importCircle([
        file('src/a/one.ts', './two.js'),
        file('src/a/two.ts', '../b/three.js'),
        file('src/b/three.ts', '../a/one.js', '@temporalio/client'),
      ]),
      ['src/a/one.ts', 'src/a/two.ts', 'src/b/three.ts', 'src/a/one.ts'],
    );
    assert.equal(importCircle([file('src/a/one.ts', './two.js'), file('src/a/two.ts')]), null);
  });

  it('tells an import from a type-only import', () => {
    assert.deepEqual(
      imports(
        "import type { A } from '../activities/types.js';\nimport {\n  b,\n} from '../activities/x.js';\nexport { c } from './c.js';\nawait import('@temporalio/client');",
      ),
      [
        { from: '../activities/types.js', typeOnly: true },
        { from: '../activities/x.js', typeOnly: false },
        { from: './c.js', typeOnly: false },
        { from: '@temporalio/client', typeOnly: false },
      ],
    );
  });
});
