import { Client, Connection } from '@temporalio/client';
import { CliError } from './errors.js';

/**
 * Connects to a Temporal frontend. An address that does not answer is a one-line error
 * naming it, within 10 s (8 s connect deadline) — not a gRPC stack trace.
 */
export async function connectClient(address: string, namespace: string): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '8s' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${reason}`);
  }
  return new Client({ connection, namespace });
}
