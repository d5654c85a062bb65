import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { CliError } from '../../../src/client/errors.js';
import { writableDirectory, writingInto } from '../../../src/client/output-dir.js';
import {
  dataDir,
  dataDirPath,
  settingPlacing,
  warehouseFile,
  warehouseLocation,
} from '../../../src/paths.js';
import { runMain } from '../../helpers/cli.js';

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

describe('a command that fails before it writes into its directory', () => {
  const fails = () => Promise.reject(new Error('the config does not resolve'));

  test('leaves no directory it made behind; one that was there stays, as does anything written', async () => {
    const root = mkdtempSync(join(tmpdir(), 'contrail-out-'));
    await assert.rejects(writingInto(join(root, 'a', 'b'), '--sql-output-dir', fails), /does not resolve/);
    assert.deepEqual(readdirSync(root), [], 'a and b go');
    mkdirSync(join(root, 'kept'));
    await assert.rejects(writingInto(join(root, 'kept', 'b'), '--sql-output-dir', fails));
    assert.deepEqual(readdirSync(root), ['kept']);
    assert.deepEqual(readdirSync(join(root, 'kept')), []);
    await assert.rejects(
      writingInto(join(root, 'c', 'd'), '--sql-output-dir', async () => {
        writeFileSync(join(root, 'c', 'd', 'q.sql'), 'SELECT 1');
        throw new Error('a date failed');
      }),
    );
    assert.deepEqual(readdirSync(join(root, 'c', 'd')), ['q.sql']);
    assert.equal(await writingInto(join(root, 'e'), '--sql-output-dir', async () => 7), 7);
    assert.ok(statSync(join(root, 'e')).isDirectory(), 'kept when the command succeeds');
  });

  test('preview and plan with a config file that does not read leave no --sql-output-dir behind', async () => {
    const root = mkdtempSync(join(tmpdir(), 'contrail-out-'));
    const missing = join(root, 'missing.toml');
    for (const command of [['preview'], ['plan', '--date', '2026-03-15']]) {
      const result = await runMain([
        ...command,
        '--experiment_slug',
        'contrail-demo-sidebar',
        '--config_file',
        missing,
        '--sql-output-dir',
        join(root, 'sql', 'out'),
      ]);
      assert.notEqual(result.code, 0, result.stderr);
      assert.match(result.stderr, /missing\.toml/);
      assert.deepEqual(readdirSync(root), [], `${command[0]}: ${result.stderr}`);
    }
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

  test('the warehouse file is CONTRAIL_DUCKDB_PATH when set (empty is unset), else in the data directory; each names the setting that placed it', () => {
    const root = mkdtempSync(join(tmpdir(), 'contrail-home-'));
    const home = join(root, 'home');
    const own = join(root, 'disk', 'w.duckdb');
    assert.deepEqual(warehouseLocation({ CONTRAIL_HOME: home, CONTRAIL_DUCKDB_PATH: own }), {
      file: own,
      setting: 'CONTRAIL_DUCKDB_PATH',
    });
    // An empty path would be a DuckDB database in memory, whose results vanish with the command.
    for (const empty of ['', ' '])
      assert.equal(
        warehouseFile({ CONTRAIL_HOME: home, CONTRAIL_DUCKDB_PATH: empty }),
        join(home, 'warehouse.duckdb'),
      );
    const env = { CONTRAIL_HOME: home, CONTRAIL_DUCKDB_PATH: own };
    assert.equal(settingPlacing(own, env), 'CONTRAIL_DUCKDB_PATH');
    assert.equal(settingPlacing(`${own}.claims`, env), 'CONTRAIL_DUCKDB_PATH');
    assert.equal(settingPlacing(join(home, 'mozdata.duckdb'), env), 'CONTRAIL_HOME');
    assert.equal(settingPlacing(join(home, 'warehouse.duckdb'), { CONTRAIL_HOME: home }), 'CONTRAIL_HOME');
    assert.equal(settingPlacing(join(root, 'other.duckdb'), env), null);
    assert.equal(settingPlacing(':memory:', env), null);
  });
});
