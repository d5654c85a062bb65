import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { portHolder, portIsFree } from '../../../src/client/ports.js';

describe('ports', () => {
  it('a port in use is not free, and its holder is named', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      assert.equal(await portIsFree(port), false);
      const holder = portHolder(port);
      assert.equal(holder?.pid, process.pid);
      assert.match(holder?.command ?? '', /node/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal(await portIsFree(port), true);
  });
});
