import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContrailError } from '../../../src/errors.js';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import {
  embeddedStorageError,
  WarehouseBusyError,
  WarehouseQueryError,
} from '../../../src/warehouse/errors.js';
import { InvalidFaultsError, parseFaults, withFaults } from '../../../src/warehouse/faults.js';
import { retryingWarehouse } from '../../../src/warehouse/retry.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { WrappedWarehouse } from '../../../src/warehouse/wrapped.js';

/** A warehouse whose every call throws `error`, counting the calls. */
function failing(inner: Warehouse, error: () => unknown): { warehouse: Warehouse; calls: () => number } {
  let calls = 0;
  return {
    warehouse: new WrappedWarehouse(
      inner.dialect,
      inner.sqlDialect,
      async () => {
        calls++;
        throw error();
      },
      async () => undefined,
    ),
    calls: () => calls,
  };
}

describe('fault injection and retried warehouse calls', () => {
  let duckdb: DuckDbWarehouse;
  before(async () => {
    duckdb = await openDuckDbWarehouse({ path: ':memory:' });
  });
  after(async () => {
    await duckdb.close();
  });

  test('CONTRAIL_FAULTS parses, and a setting that does not is named with what is valid', () => {
    assert.equal(parseFaults(undefined), null);
    assert.equal(parseFaults(' '), null);
    assert.deepEqual(parseFaults('warehouse:0.3,seed:7,stop:runToTable:metrics_@2,stop:swapTables@1'), {
      warehouse: 0.3,
      seed: 7,
      stops: [
        { method: 'runToTable', prefix: 'metrics_', nth: 2 },
        { method: 'swapTables', prefix: '', nth: 1 },
      ],
    });
    assert.throws(
      () => parseFaults('warehouse:30%'),
      (e: Error) => {
        assert.ok(e instanceof InvalidFaultsError && e.permanent);
        assert.match(
          e.message,
          /^CONTRAIL_FAULTS: cannot read "warehouse:30%"; valid: warehouse:<probability 0–1>/,
        );
        return true;
      },
    );
    assert.throws(() => parseFaults('stop:runTable@1'), /names no warehouse method; methods: runToTable/);
  });

  test('30 % of calls fail, the same ones on every run; a fault after a call leaves its work done', async () => {
    const plan = parseFaults('warehouse:0.3,seed:11')!;
    const outcomes = async () => {
      const faulty = withFaults(duckdb, plan);
      const results: string[] = [];
      for (let i = 0; i < 200; i++) {
        try {
          await faulty.runToTable({
            sql: `SELECT ${i} AS i`,
            destination: { dataset: 'f', table: `t${i % 20}` },
          });
          results.push('ok');
        } catch (error) {
          assert.ok(error instanceof WarehouseQueryError);
          assert.equal(error.permanent, false);
          results.push(/after/.test(error.message) ? 'after' : 'before');
        }
      }
      return results;
    };
    const first = await outcomes();
    assert.deepEqual(await outcomes(), first, 'seeded: the same calls fail');
    const failed = first.filter((r) => r !== 'ok').length;
    assert.ok(failed > 40 && failed < 80, `${failed} of 200 failed`);
    assert.ok(first.includes('before') && first.includes('after'));
    // Call 200 wrote t19 whether or not its answer was lost after the fact.
    const last = first.at(-1);
    const [row] = await duckdb.query<{ i: number }>('SELECT i FROM f.t19');
    assert.equal(row?.i, last === 'before' ? 179 : 199);
  });

  test('retries make every faulty call succeed; permanent errors, a busy file and a full disk are attempted once', async () => {
    // Enough retries that no streak of faults (seeded: this one has five in a row) outlasts them.
    const retried = retryingWarehouse(withFaults(duckdb, parseFaults('warehouse:0.3,seed:3')!), {
      retries: 8,
      minTimeoutMs: 1,
      maxTimeoutMs: 2,
    });
    for (let i = 0; i < 50; i++) {
      await retried.writeRows({
        destination: { dataset: 'f', table: 'merged' },
        columns: [{ name: 'id', type: 'STRING' }],
        rows: [{ id: `k${i}` }],
        mode: 'merge',
        key: 'id',
      });
    }
    assert.deepEqual(await retried.query('SELECT count(*) AS n, count(DISTINCT id) AS d FROM f.merged'), [
      { n: 50, d: 50 },
    ]);

    for (const make of [
      () => new WarehouseQueryError({ warehouseMessage: 'Binder Error: no column x', permanent: true }),
      () => new WarehouseBusyError('held by contrail worker'),
      // Transient (space may be freed), but not within these seconds: the activity's retries wait.
      () =>
        embeddedStorageError({
          file: '/data/warehouse.duckdb',
          duckdbMessage:
            'IO Error: Could not write file "/data/warehouse.duckdb.wal": No space left on device',
        }) ?? new TypeError('not a storage error'),
      () => new TypeError('bad rows'),
    ]) {
      const { warehouse, calls } = failing(duckdb, make);
      await assert.rejects(
        retryingWarehouse(warehouse, { minTimeoutMs: 1 }).query('SELECT 1'),
        (e: Error) => {
          assert.equal(e.name, make().name, 'the error keeps its class');
          return true;
        },
      );
      assert.equal(calls(), 1, `${make().name} is not retried`);
    }
    const { warehouse, calls } = failing(duckdb, () => new ContrailError('5xx', { permanent: false }));
    await assert.rejects(
      retryingWarehouse(warehouse, { retries: 3, minTimeoutMs: 1 }).query('SELECT 1'),
      /5xx/,
    );
    assert.equal(calls(), 4, 'a transient error is retried, then passed on');
  });

  test('a call cancelled between two attempts, or as one ends, rejects as aborted, not with the cancellation as its error', async () => {
    // An activity's cancellation aborts with a reason that is no AbortError (Temporal's `CANCELLED`).
    const cancellation = () => Object.assign(new Error('CANCELLED'), { name: 'CancelledFailure' });
    const aborted = (e: Error) => {
      assert.equal(e.name, 'AbortError', `${e.name}: ${e.message}`);
      return true;
    };
    // Cancelled while a transient failure waits for its retry.
    const controller = new AbortController();
    const { warehouse, calls } = failing(duckdb, () => {
      controller.abort(cancellation());
      return new ContrailError('5xx', { permanent: false });
    });
    await assert.rejects(
      retryingWarehouse(warehouse, { minTimeoutMs: 1 }).runToTable({
        sql: 'SELECT 1 AS x',
        destination: { dataset: 'f', table: 'cancelled' },
        signal: controller.signal,
      }),
      aborted,
    );
    assert.equal(calls(), 1, 'not tried again once cancelled');
    // Cancelled as the call ended (its job done, the answer not yet back).
    const late = new AbortController();
    const ending = new WrappedWarehouse(
      duckdb.dialect,
      duckdb.sqlDialect,
      async (_call, run) => {
        const result = await run(duckdb);
        late.abort(cancellation());
        return result;
      },
      async () => undefined,
    );
    await assert.rejects(
      retryingWarehouse(ending, { minTimeoutMs: 1 }).query('SELECT 1 AS x', { signal: late.signal }),
      aborted,
    );
  });

  test('a stop point stops at the n-th matching call', async () => {
    const stops: string[] = [];
    const faulty = withFaults(duckdb, parseFaults('stop:runToTable:metrics_@2')!, {
      stop: async (where) => {
        stops.push(where);
        throw new Error('stopped');
      },
    });
    const run = (table: string) =>
      faulty.runToTable({ sql: 'SELECT 1 AS a', destination: { dataset: 'f', table } });
    await run('metrics_a');
    await run('other');
    await assert.rejects(run('metrics_b'), /stopped/);
    await run('metrics_c');
    assert.deepEqual(stops, ['runToTable metrics_b (call 2)']);
  });
});
