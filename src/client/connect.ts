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
 * (a worker, doctor, runs, schedules, status) says so instead of waiting forever. So is a
 * namespace the server does not have: a worker polling one fails only after its first long
 * polls, in the server's own words.
 */
export async function connectClient(address: string, namespace: string): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '8s' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(
      `cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${transportFailure(reason ?? '')}`,
    );
  }
  const client = new Client({ connection, namespace });
  const unknown = await unknownNamespace(client, namespace);
  if (unknown !== null) {
    await connection.close();
    throw new CliError(`${address}: ${unknown}`);
  }
  const missing = await missingSearchAttributes(client, namespace);
  if (missing.length > 0) {
    await connection.close();
    throw new CliError(`${address}: ${missingSearchAttributesMessage(namespace, missing)}`);
  }
  return client;
}

/** gRPC's NOT_FOUND. */
const NOT_FOUND = 5;

/**
 * What to tell an operator whose `namespace` the server lacks (TEMPORAL_NAMESPACE): which, and
 * the namespaces it has; null when it has it, or when it cannot say (other errors surface on
 * the next call in their own words).
 */
export async function unknownNamespace(
  client: Pick<Client, 'workflowService'>,
  namespace: string,
): Promise<string | null> {
  try {
    await client.workflowService.describeNamespace({ namespace });
    return null;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== NOT_FOUND) return null;
  }
  const known = await client.workflowService.listNamespaces({ pageSize: 100 }).then(
    (response) =>
      response.namespaces
        .map((n) => n.namespaceInfo?.name ?? '')
        .filter((name) => name !== '' && name !== 'temporal-system'),
    () => [],
  );
  return `namespace ${namespace} (TEMPORAL_NAMESPACE) does not exist on this server${
    known.length > 0 ? `; it has ${known.join(', ')}` : ''
  }: set TEMPORAL_NAMESPACE to one of them, or create it (temporal operator namespace create --namespace ${namespace})`;
}

/** What to do when nothing answers at the address. */
const NO_SERVER_HINT = 'is a Temporal server running there? `contrail server` starts one on this machine';

/**
 * A connection error (the client's, or the worker's Rust core's transport error) as an operator
 * reads it: what went wrong with the address and what to do, not the error's debug form.
 */
export function transportFailure(reason: string): string {
  if (/connection ?refused/i.test(reason))
    return `connection refused (nothing listens there): ${NO_SERVER_HINT}`;
  if (/failed to connect before the deadline|no answer within/i.test(reason))
    return `nothing answered within 8 s: ${NO_SERVER_HINT}`;
  if (/dns error|failed to lookup address|Name or service not known/i.test(reason))
    return 'no host of that name (the DNS lookup failed): check the host in TEMPORAL_ADDRESS or --address, host:port';
  return reason;
}
