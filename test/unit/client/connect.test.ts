import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { transportFailure, unknownNamespace } from '../../../src/client/connect.js';

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
