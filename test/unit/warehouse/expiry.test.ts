import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { dropExpiredEvery } from '../../../src/warehouse/expiry.js';

test('a worker process holding the warehouse open drops expired tables on its timer', async () => {
  let now = Date.UTC(2026, 0, 1);
  const wh = await openDuckDbWarehouse({ path: ':memory:', now: () => now });
  const log: string[] = [];
  const expiry = dropExpiredEvery(async () => wh, { intervalMs: 20, log: (l) => log.push(l) });
  try {
    await wh.createDataset('tmp', { expirationDays: 7 });
    await wh.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'tmp', table: 'old_preview' } });
    await wh.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'kept', table: 'daily' } });
    await sleep(60);
    assert.equal(await wh.tableExists({ dataset: 'tmp', table: 'old_preview' }), true, 'not expired yet');

    now += 8 * 86_400_000;
    const deadline = Date.now() + 5000;
    while ((await wh.tableExists({ dataset: 'tmp', table: 'old_preview' })) && Date.now() < deadline)
      await sleep(20);
    assert.equal(
      await wh.tableExists({ dataset: 'tmp', table: 'old_preview' }),
      false,
      'dropped by the timer',
    );
    assert.equal(
      await wh.tableExists({ dataset: 'kept', table: 'daily' }),
      true,
      'a table without expiry stays',
    );
    assert.deepEqual(log, ['dropped 1 expired table(s): tmp.old_preview']);
  } finally {
    expiry.stop();
    await wh.close();
  }
});

test('a round that cannot reach the warehouse is reported, not thrown', async () => {
  const log: string[] = [];
  const expiry = dropExpiredEvery(
    async () => {
      throw new Error('the file is in use');
    },
    { intervalMs: 60_000, log: (l) => log.push(l) },
  );
  try {
    assert.deepEqual(await expiry.round(), []);
    assert.deepEqual(log, ['could not drop expired tables now: the file is in use']);
  } finally {
    expiry.stop();
  }
});
