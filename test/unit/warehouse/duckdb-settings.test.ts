import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SettingsError } from '../../../src/settings.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import {
  checkDuckDbSettings,
  duckDbResourceConfig,
  memoryLimitSetting,
  warehouseWaitMs,
} from '../../../src/warehouse/duckdb-settings.js';

const GiB = 2 ** 30;

describe('DuckDB resource settings', () => {
  const home = mkdtempSync(join(tmpdir(), 'contrail-duckdb-settings-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  test('a memory limit is a DuckDB size or a share of the machine', () => {
    assert.equal(memoryLimitSetting('4GB', 'x'), '4GB');
    assert.equal(memoryLimitSetting(' 512 MiB ', 'x'), '512MiB');
    assert.equal(memoryLimitSetting('25%', 'x', 24 * GiB), `${6 * 1024}MiB`);
    assert.equal(memoryLimitSetting('100%', 'x', 2 * GiB), '2048MiB');
    for (const bad of ['lots', '0GB', '4 G', '150%', '0%', '-1GB', '']) {
      assert.throws(
        () => memoryLimitSetting(bad, 'CONTRAIL_DUCKDB_MEMORY_LIMIT'),
        (error) =>
          error instanceof SettingsError &&
          error.permanent &&
          error.message.includes('CONTRAIL_DUCKDB_MEMORY_LIMIT') &&
          error.message.includes('25%'),
        bad,
      );
    }
  });

  test('defaults: 15 % of the machine, DuckDB picks the threads, spills beside the file', () => {
    const config = duckDbResourceConfig('/data/warehouse.duckdb', {}, {});
    assert.equal(config.memory_limit, `${Math.floor((totalmem() * 15) / 100 / 2 ** 20)}MiB`);
    assert.equal(config.threads, undefined);
    assert.equal(config.temp_directory, '/data/warehouse.duckdb.tmp');
  });

  test('the environment sets them; open options win over it', () => {
    const env = { CONTRAIL_DUCKDB_MEMORY_LIMIT: '2GB', CONTRAIL_DUCKDB_THREADS: '3', CONTRAIL_HOME: home };
    assert.deepEqual(duckDbResourceConfig('/d/w.duckdb', {}, env), {
      memory_limit: '2GB',
      threads: '3',
      temp_directory: '/d/w.duckdb.tmp',
    });
    assert.deepEqual(
      duckDbResourceConfig('/d/w.duckdb', { memoryLimit: '1GiB', threads: 1, tempDirectory: '/spill' }, env),
      { memory_limit: '1GiB', threads: '1', temp_directory: '/spill' },
    );
    assert.throws(
      () => duckDbResourceConfig('/d/w.duckdb', {}, { CONTRAIL_DUCKDB_THREADS: 'many' }),
      /CONTRAIL_DUCKDB_THREADS = "many": expected a whole number of threads/,
    );
  });

  test('the wait for a held file is whole milliseconds: unset or blank is 30 s, anything else is refused', () => {
    assert.equal(warehouseWaitMs({}), 30_000);
    assert.equal(warehouseWaitMs({ CONTRAIL_WAREHOUSE_WAIT_MS: ' ' }), 30_000);
    assert.equal(warehouseWaitMs({ CONTRAIL_WAREHOUSE_WAIT_MS: '0' }), 0);
    assert.equal(warehouseWaitMs({ CONTRAIL_WAREHOUSE_WAIT_MS: ' 1500 ' }), 1500);
    for (const bad of ['-5', '5s', '1.5', 'NaN', 'Infinity']) {
      assert.throws(
        () => warehouseWaitMs({ CONTRAIL_WAREHOUSE_WAIT_MS: bad }),
        (error) =>
          error instanceof SettingsError &&
          error.message ===
            `CONTRAIL_WAREHOUSE_WAIT_MS = ${JSON.stringify(bad)}: expected a whole number of milliseconds, 0 or more (default 30000)`,
        bad,
      );
    }
  });

  test('the settings are checked together, before any file is opened', () => {
    checkDuckDbSettings({});
    checkDuckDbSettings({
      CONTRAIL_DUCKDB_MEMORY_LIMIT: '2GB',
      CONTRAIL_DUCKDB_THREADS: '2',
      CONTRAIL_WAREHOUSE_WAIT_MS: '100',
    });
    for (const [name, value] of [
      ['CONTRAIL_DUCKDB_MEMORY_LIMIT', 'lots'],
      ['CONTRAIL_DUCKDB_THREADS', '0'],
      ['CONTRAIL_WAREHOUSE_WAIT_MS', '-1'],
    ] as const) {
      assert.throws(
        () => checkDuckDbSettings({ [name]: value }),
        (error) =>
          error instanceof SettingsError && error.message.startsWith(`${name} = "${value}": expected`),
        name,
      );
    }
  });

  test('each in-memory database spills to a directory of its own under the data directory', () => {
    const env = { CONTRAIL_HOME: home };
    const a = duckDbResourceConfig(':memory:', {}, env).temp_directory ?? '';
    const b = duckDbResourceConfig(':memory:', {}, env).temp_directory ?? '';
    assert.notEqual(a, b);
    for (const dir of [a, b]) assert.ok(dir.startsWith(join(home, 'tmp', 'duckdb-memory-')), dir);
  });

  test('an opened warehouse runs with them', async () => {
    const warehouse = await openDuckDbWarehouse({
      path: join(home, 'w.duckdb'),
      memoryLimit: '300MB',
      threads: 1,
    });
    try {
      const [row] = await warehouse.query<{ m: string; t: number; d: string }>(
        "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t, current_setting('temp_directory') AS d",
      );
      assert.deepEqual(row, { m: '286.1 MiB', t: 1, d: join(home, 'w.duckdb.tmp') });
    } finally {
      await warehouse.close();
    }
  });
});
