import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextInterrupt, onInterrupt } from '../../../src/client/interrupt.js';

describe('Ctrl-C twice', () => {
  it('the second signal stops the process at once, saying what may still run', () => {
    const exit = process.exit;
    const write = process.stderr.write;
    const exits: (number | string | null | undefined)[] = [];
    let said = '';
    const ends: string[] = [];
    process.exit = ((code?: number) => {
      exits.push(code);
    }) as typeof process.exit;
    process.stderr.write = ((chunk: string) => {
      said += chunk;
      return true;
    }) as typeof process.stderr.write;
    const stop = onInterrupt(async (signal) => {
      ends.push(signal);
    }, 'a warehouse query it started may still run');
    try {
      process.emit('SIGINT', 'SIGINT');
      assert.deepEqual([ends, exits], [['SIGINT'], []], 'the first ends the command its own way');
      process.emit('SIGINT', 'SIGINT');
      assert.deepEqual(exits, [130]);
      assert.equal(
        said,
        'contrail: stopped at once (SIGINT again): a warehouse query it started may still run\n',
      );
    } finally {
      stop();
      process.exit = exit;
      process.stderr.write = write;
    }
  });
});

describe('a closed terminal (SIGHUP)', () => {
  it('ends the command its own way, as Ctrl-C does, instead of killing it', () => {
    const ends: string[] = [];
    const stop = onInterrupt(async (signal) => {
      ends.push(signal);
    });
    try {
      process.emit('SIGHUP', 'SIGHUP');
      assert.deepEqual(ends, ['SIGHUP']);
    } finally {
      stop();
    }
    assert.equal(process.listenerCount('SIGHUP'), 0, 'the listener goes when the command stops listening');
  });

  it('stops a command that only waits to be stopped (dashboard)', async () => {
    const next = nextInterrupt();
    process.emit('SIGHUP', 'SIGHUP');
    assert.equal(await next, 'SIGHUP');
    assert.equal(process.listenerCount('SIGINT'), 0);
  });
});

describe('an embedded command interrupted as its work finishes', () => {
  it('its session says which signal came, so the report can say nothing was cut short', async () => {
    const { withTemporal } = await import('../../../src/client/embedded.js');
    const { openDuckDbWarehouse } = await import('../../../src/warehouse/duckdb.js');
    const { testDeps } = await import('../../helpers/deps.js');
    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    const write = process.stderr.write;
    let said = '';
    try {
      const seen = await withTemporal(
        async (session) => {
          process.stderr.write = ((chunk: string) => {
            said += chunk;
            return true;
          }) as typeof process.stderr.write;
          // Nothing runs when the signal comes: the work returns, and the command goes on to its
          // report. SIGHUP stops a command as Ctrl-C does (the test runner stops on a SIGINT of its own).
          process.emit('SIGHUP', 'SIGHUP');
          await new Promise((resolve) => setTimeout(resolve, 200));
          return session.interrupted;
        },
        {
          deps: () => testDeps(warehouse),
          log: (line) => process.stderr.write(`${line}\n`),
          env: { ...process.env, TEMPORAL_ADDRESS: '' },
        },
      );
      assert.equal(seen, 'SIGHUP', said);
      assert.match(said, /SIGHUP: cancelling this command's workflows/);
    } finally {
      process.stderr.write = write;
      await warehouse.close();
    }
  });
});
