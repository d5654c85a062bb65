import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { addressProblem, transportFailure, unknownNamespace } from '../../../src/client/connect.js';
import { freePort } from '../../../src/client/ports.js';
import { runMain } from '../../helpers/cli.js';

/** The server's answers as the SDK's raw gRPC calls give them: an Error with the status code. */
function server(namespaces: string[]): Pick<Client, 'workflowService'> {
  const service = {
    describeNamespace: async ({ namespace }: { namespace: string }) => {
      if (namespaces.includes(namespace)) return { namespaceInfo: { name: namespace } };
      throw Object.assign(new Error(`5 NOT_FOUND: Namespace ${namespace} is not found.`), { code: 5 });
    },
    listNamespaces: async () => ({
      namespaces: [...namespaces, 'temporal-system'].map((name) => ({ namespaceInfo: { name } })),
    }),
  };
  return { workflowService: service } as unknown as Pick<Client, 'workflowService'>;
}

describe('a namespace the server does not have', () => {
  it('is named with the namespaces there are and how to create it', async () => {
    assert.equal(
      await unknownNamespace(server(['default', 'analysis']), 'nope'),
      'namespace nope (TEMPORAL_NAMESPACE) does not exist on this server; it has default, analysis: set TEMPORAL_NAMESPACE to one of them, or create it (temporal operator namespace create --namespace nope)',
    );
  });

  it('is no problem when the server has it', async () => {
    assert.equal(await unknownNamespace(server(['default']), 'default'), null);
  });

  it('is not claimed when the server cannot say (the next call says why in its own words)', async () => {
    const denied = {
      workflowService: {
        describeNamespace: async () => {
          throw Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
        },
      },
    } as unknown as Pick<Client, 'workflowService'>;
    assert.equal(await unknownNamespace(denied, 'default'), null);
  });
});

describe('a connection failure', () => {
  it('names what is wrong with the address, not the transport error it came as', () => {
    assert.equal(
      transportFailure(
        'tonic::transport::Error(Transport, ConnectError(ConnectError("dns error", Custom { kind: Uncategorized, error: "failed to lookup address information: Name or service not known" })))',
      ),
      'no host of that name (the DNS lookup failed): check the host in TEMPORAL_ADDRESS or --address, host:port',
    );
    assert.equal(
      transportFailure(
        'tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))',
      ),
      'connection refused (nothing listens there): is a Temporal server running there? `contrail server` starts one on this machine',
    );
    // The client's words when nothing answers before its deadline, and the worker's own.
    for (const reason of ['Failed to connect before the deadline', 'no answer within 8 s'])
      assert.equal(
        transportFailure(reason),
        'nothing answered within 8 s: is a Temporal server running there? `contrail server` starts one on this machine',
      );
    assert.equal(transportFailure('TLS handshake failed'), 'TLS handshake failed');
  });
});

describe('an address that cannot be a Temporal frontend', () => {
  const malformed =
    'malformed address: host:port expected (e.g. 127.0.0.1:7233 or temporal.example.internal:7233)';
  const refused =
    'connection refused (nothing listens there): is a Temporal server running there? `contrail server` starts one on this machine';

  it('is said at once, before any gRPC connect waits out its deadline: malformed, refused', async () => {
    for (const address of ['garbage', 'host:0', 'host:99999', ':7233', 'http://host:7233', 'host:7233 '])
      assert.equal(await addressProblem(address), malformed, address);
    assert.equal(await addressProblem(`127.0.0.1:${await freePort()}`), refused);
  });

  it('is none where something listens; an IPv6 host in brackets is an address', async () => {
    const listener = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = listener.address() as AddressInfo;
      assert.equal(await addressProblem(`127.0.0.1:${port}`), null);
      assert.equal(await addressProblem(`localhost:${port}`), null);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
    // Refused, or no IPv6 here: either way not malformed.
    assert.notEqual(await addressProblem(`[::1]:${await freePort()}`), malformed);
  });

  it('contrail status says so at once, naming TEMPORAL_ADDRESS', async () => {
    const port = await freePort();
    const closed = await runMain(['status'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    assert.equal(closed.code, 1, closed.stderr);
    assert.equal(
      closed.stderr.trim(),
      `contrail: cannot reach Temporal at 127.0.0.1:${port} (TEMPORAL_ADDRESS): ${refused}`,
    );
    assert.ok(closed.ms < 5_000, `took ${closed.ms} ms, not at once`);
    const garbage = await runMain(['status'], { TEMPORAL_ADDRESS: 'garbage' });
    assert.equal(garbage.code, 1, garbage.stderr);
    assert.equal(
      garbage.stderr.trim(),
      `contrail: cannot reach Temporal at garbage (TEMPORAL_ADDRESS): ${malformed}`,
    );
  });
});

describe('a TEMPORAL_ADDRESS where a web server answers (the Web UI’s)', () => {
  it('the worker and a command say so, and which port TEMPORAL_ADDRESS takes, not that nothing answered', async () => {
    const ui = createHttpServer((_request, response) => response.end('<html>Temporal UI</html>'));
    await new Promise<void>((resolve) => ui.listen(0, '127.0.0.1', resolve));
    const { port } = ui.address() as AddressInfo;
    const home = mkdtempSync(join(tmpdir(), 'contrail-connect-'));
    const said =
      "a web server answers there, not a Temporal frontend (gRPC): is it the Web UI's address? TEMPORAL_ADDRESS takes the frontend's gRPC port (7233 unless the server was told otherwise; `contrail server` serves its Web UI on that port + 1000, docker-compose.yml on 8080)";
    try {
      const env = { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, CONTRAIL_HOME: home };
      const worker = await runMain(['worker'], env);
      assert.equal(worker.code, 1, worker.stderr);
      assert.equal(worker.stderr.trim(), `contrail: cannot reach Temporal at 127.0.0.1:${port}: ${said}`);
      // The client's connection runs out its deadline first (8 s).
      const status = await runMain(['status'], env);
      assert.equal(status.code, 1, status.stderr);
      assert.equal(
        status.stderr.trim(),
        `contrail: cannot reach Temporal at 127.0.0.1:${port} (TEMPORAL_ADDRESS): ${said}`,
      );
    } finally {
      await new Promise<void>((resolve) => ui.close(() => resolve()));
      rmSync(home, { recursive: true, force: true });
    }
  });
});
