import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { CliError } from '../../../src/client/errors.js';
import { writableDirectory } from '../../../src/client/output-dir.js';
import { dataDir, dataDirPath, warehouseFile } from '../../../src/paths.js';

const usageError = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof CliError);
  assert.equal(error.exitCode, 2);
  assert.match(error.message, pattern);
  return true;
};

describe('a directory a command writes into, checked before the work starts', () => {
  test('missing directories are made, level by level', () => {
    const root = mkdtempSync(join(tmpdir(), 'contrail-out-'));
    const dir = writableDirectory(join(root, 'a', 'b'), '--sql-output-dir');
    assert.equal(dir, join(root, 'a', 'b'));
    assert.ok(statSync(dir).isDirectory());
  });

  test('a file where a directory should be is a usage error naming the option', () => {
    const root = mkdtempSync(join(tmpdir(), 'contrail-out-'));
    const file = join(root, 'file');
    writeFileSync(file, '');
    assert.throws(
      () => writableDirectory(file, '--sql-output-dir'),
      usageError(/^--sql-output-dir .*file: .*is not a directory; give a directory you can write to$/),
    );
    assert.throws(
      () => writableDirectory(join(file, 'x'), '--sql-output-dir'),
      // Named: the path alone does not say which of its parts is the file.
      usageError(
        /^--sql-output-dir .*file\/x: .*\/file is a file, not a directory; give a directory you can write to$/,
      ),
    );
    assert.throws(
      () => writableDirectory(join(file, 'x', 'y'), '--sql-output-dir'),
      usageError(new RegExp(`: ${file} is a file, not a directory;`)),
    );
  });

  test('a place the kernel refuses is refused, not retried for ever', {
    skip: !existsSync('/proc/self'),
  }, () => {
    assert.throws(
      () => writableDirectory('/proc/contrail-nope/sql', '--sql-output-dir'),
      usageError(/cannot make \/proc\/contrail-nope/),
    );
  });
});

describe('the data directory', () => {
  test('made on first use; one it cannot make names CONTRAIL_HOME', () => {
    const root = mkdtempSync(join(tmpdir(), 'contrail-home-'));
    assert.equal(dataDir({ CONTRAIL_HOME: join(root, 'home') }), join(root, 'home'));
    assert.ok(statSync(join(root, 'home')).isDirectory());
    writeFileSync(join(root, 'file'), '');
    assert.throws(
      () => dataDir({ CONTRAIL_HOME: join(root, 'file', 'home') }),
      /^SettingsError: data directory .*file\/home \(CONTRAIL_HOME\): .*\/file is a file, not a directory; set CONTRAIL_HOME to a directory you can write to$/,
    );
  });

  test('is one absolute path: ~ is the home directory, a relative path is taken from here, empty is unset', () => {
    // DuckDB expands a leading ~ in the warehouse path itself: the directory must be made there too.
    assert.equal(dataDirPath({ CONTRAIL_HOME: '~/contrail-data' }), join(homedir(), 'contrail-data'));
    assert.equal(dataDirPath({ CONTRAIL_HOME: 'rel/home' }), join(process.cwd(), 'rel', 'home'));
    const xdg = mkdtempSync(join(tmpdir(), 'contrail-xdg-'));
    assert.equal(dataDirPath({ CONTRAIL_HOME: '', XDG_DATA_HOME: xdg }), join(xdg, 'contrail'));
    assert.equal(
      dataDirPath({ CONTRAIL_HOME: ' ', XDG_DATA_HOME: '' }),
      join(homedir(), '.local', 'share', 'contrail'),
    );
    // Made and named by its absolute path, whatever the working directory of the parts that open it.
    const root = mkdtempSync(join(tmpdir(), 'contrail-home-'));
    const env = { CONTRAIL_HOME: relative(process.cwd(), join(root, 'home')) };
    assert.equal(warehouseFile(env), join(root, 'home', 'warehouse.duckdb'));
    assert.ok(statSync(join(root, 'home')).isDirectory());
  });
});
