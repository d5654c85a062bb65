import { Client, Connection } from '@temporalio/client';
import {
  missingSearchAttributes,
  missingSearchAttributesMessage,
} from '../temporal/search-attributes-check.js';
import { CliError } from './errors.js';

/**
 * Connects to a Temporal frontend. An address that does not answer is a one-line error
 * naming it, within 10 s (8 s connect deadline) — not a gRPC stack trace. A namespace without
 * contrail's search attributes is refused here too: every command that talks to a cluster
 * (a worker, doctor, runs, schedules, status) says so instead of waiting forever.
 */
export async function connectClient(address: string, namespace: string): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '8s' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${reason}`);
  }
  const client = new Client({ connection, namespace });
  const missing = await missingSearchAttributes(client, namespace);
  if (missing.length > 0) {
    await connection.close();
    throw new CliError(`${address}: ${missingSearchAttributesMessage(namespace, missing)}`);
  }
  return client;
}
