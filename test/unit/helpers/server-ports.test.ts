import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { freePort, retriedWhenPortTaken, startServerProcess } from '../../helpers/processes-net.js';

/** A real server process on `port`; node says "address already in use" when it is taken. */
const serve = (port: number) =>
  startServerProcess(
    process.execPath,
    ['-e', `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`],
    {
      name: 'test server',
      timeoutMs: 30_000,
      ready: async () => (await fetch(`http://127.0.0.1:${port}/`)).ok,
    },
  );

describe('a test server on a port free a moment ago', () => {
  test('taken meanwhile by another program: started again on the next port it takes', async () => {
    // It holds the connections of the probe without answering, as a program that is not the
    // server would: the exit is seen all the same.
    const held: Socket[] = [];
    const holder = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as { port: number }).port;
    const tried: number[] = [];
    try {
      const server = await retriedWhenPortTaken(async () => {
        const port = tried.length === 0 ? taken : await freePort();
        tried.push(port);
        return serve(port);
      });
      await server.stop();
    } finally {
      holder.close();
      for (const socket of held) socket.destroy();
    }
    assert.equal(tried.length, 2);
    assert.equal(tried[0], taken);
    assert.notEqual(tried[1], taken);
  });

  test('any other failure is not tried again', async () => {
    let starts = 0;
    await assert.rejects(
      retriedWhenPortTaken(async () => {
        starts++;
        return startServerProcess(process.execPath, ['-e', 'process.exit(3)'], {
          name: 'failing server',
          timeoutMs: 30_000,
          ready: async () => false,
        });
      }),
      /failing server exited before it was ready/,
    );
    assert.equal(starts, 1);
  });

  test('an answer on its port while it exits is not taken for it', async () => {
    // Another server's late answer, while the one started exits at once.
    await assert.rejects(
      startServerProcess(process.execPath, ['-e', 'process.exit(0)'], {
        name: 'exiting server',
        timeoutMs: 60_000,
        ready: async () => {
          await new Promise((r) => setTimeout(r, 5000).unref());
          return true;
        },
      }),
      /exiting server exited before it was ready/,
    );
  });
});
