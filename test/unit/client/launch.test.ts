import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../../helpers/cli.js';

/**
 * bin/launch.mjs, what bin/contrail runs in a checkout: the sources bundled once per change of
 * them. On a copy of the checkout (its own node_modules directory, whose packages are links to
 * this one's, so its bundles stay in it): the bundle runs the current sources, an edit is seen
 * by the next command, a stack trace names the source file, and a source that does not compile
 * is an error naming it.
 */
describe('bin/launch.mjs', () => {
  const checkout = mkdtempSync(join(tmpdir(), 'contrail-launch-'));
  const launcher = join(checkout, 'bin', 'launch.mjs');
  const program = join(checkout, 'src', 'client', 'program.ts');
  const launch = (args: string[]) =>
    spawnSync(process.execPath, [launcher, ...args], { cwd: checkout, encoding: 'utf8', timeout: 60_000 });
  const bundles = () => readdirSync(join(checkout, 'node_modules', '.cache', 'contrail', 'cli'));

  before(() => {
    cpSync(join(repoRoot, 'bin'), join(checkout, 'bin'), { recursive: true });
    cpSync(join(repoRoot, 'src'), join(checkout, 'src'), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json']) cpSync(join(repoRoot, file), join(checkout, file));
    mkdirSync(join(checkout, 'node_modules'));
    for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
      if (entry !== '.cache')
        symlinkSync(join(repoRoot, 'node_modules', entry), join(checkout, 'node_modules', entry));
    }
  });
  after(() => rmSync(checkout, { recursive: true, force: true }));

  test('runs the sources, and the next command after an edit runs the edited ones', () => {
    const first = launch(['--help']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^contrail <command> \[options\]/);
    assert.equal(bundles().length, 1);
    const again = launch(['--help']);
    assert.equal(again.stdout, first.stdout);
    assert.equal(bundles().length, 1, 'the same sources reuse their bundle');

    const cli = join(checkout, 'src', 'client', 'cli.ts');
    writeFileSync(
      cli,
      readFileSync(cli, 'utf8').replace("'$0 <command> [options]'", "'$0 <command> [edited]'"),
    );
    const edited = launch(['--help']);
    assert.equal(edited.status, 0, edited.stderr);
    assert.match(edited.stdout, /^contrail <command> \[edited\]/);
    assert.equal(bundles().length, 2);
  });

  test("a stack trace names the source file and line, and paths from a module's own URL are the checkout's", () => {
    const original = readFileSync(program, 'utf8');
    try {
      // Spelt apart: the test files run bundled too, with their own import.meta.url put in.
      const metaUrl = ['import', 'meta', 'url'].join('.');
      writeFileSync(
        program,
        `${original}\nthrow new Error(\`launched from \${new URL('.', ${metaUrl}).pathname}\`);\n`,
      );
      const failed = launch(['--version']);
      assert.notEqual(failed.status, 0);
      assert.match(failed.stderr, new RegExp(`launched from ${join(checkout, 'src', 'client')}/`));
      const line = original.split('\n').length + 1;
      assert.match(
        failed.stderr,
        new RegExp(`at .*${join(checkout, 'src', 'client', 'program.ts')}:${line}:`),
      );
    } finally {
      writeFileSync(program, original);
    }
  });

  test('a source that does not compile: exit 1, naming the file and line', () => {
    const original = readFileSync(program, 'utf8');
    try {
      writeFileSync(program, original.replace('runAsProgram();', 'runAsProgram(;'));
      const failed = launch(['--help']);
      assert.equal(failed.status, 1);
      assert.match(
        failed.stderr,
        /^contrail: could not build the sources in .*\n?.*src\/client\/program\.ts:\d+:\d+/s,
      );
      assert.equal(failed.stdout, '');
    } finally {
      writeFileSync(program, original);
    }
  });
});
