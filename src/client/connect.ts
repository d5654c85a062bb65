import { connect, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Client, Connection } from '@temporalio/client';
import { contrailCommand } from '../command-name.js';
import type { TemporalTls } from '../settings.js';
import {
  missingSearchAttributes,
  missingSearchAttributesMessage,
} from '../temporal/search-attributes-check.js';
import { CliError } from './errors.js';

/** How long a connection to Temporal may take before nothing is taken to answer there. */
export const CONNECT_DEADLINE_MS = 8_000;

/**
 * Connects to a Temporal frontend. An address that does not answer is a one-line error
 * naming it, within 10 s (8 s connect deadline) — not a gRPC stack trace; a malformed one, a
 * host that does not resolve and a refused connection are said at once (addressProblem). A
 * namespace without contrail's search attributes is refused here too: every command that talks
 * to a cluster (a worker, doctor, runs, schedules, status) says so instead of waiting forever.
 * So is a namespace the server does not have: a worker polling one fails only after its first
 * long polls, in the server's own words.
 */
export async function connectClient(
  address: string,
  namespace: string,
  /** TLS and API key (runtimeSettings().temporalTls); null = a plain connection. */
  tls: TemporalTls | null,
  /** The caller has checked the address already (a worker, before its own connection). */
  options: { addressChecked?: boolean } = {},
): Promise<Client> {
  const problem = options.addressChecked ? null : await addressProblem(address);
  if (problem !== null)
    throw new CliError(`cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${problem}`);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address,
      connectTimeout: CONNECT_DEADLINE_MS,
      ...(tls?.connectionOptions() ?? {}),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(
      `cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${await connectFailure(address, reason ?? '', tls)}`,
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

/** A Temporal frontend's address as the SDK takes it: host:port, an IPv6 host in brackets. */
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/**
 * What keeps `address` from being a Temporal frontend's, said as transportFailure says it, or
 * null when something listens there. The client's connect retries a refused connection or a
 * failed lookup until its deadline and then says only that the deadline passed: one plain TCP
 * connection first tells those apart at once, and a malformed address needs none.
 */
export async function addressProblem(address: string): Promise<string | null> {
  const match = ADDRESS.exec(address);
  const port = Number(match?.[2]);
  if (!match?.[1] || port < 1 || port > 65_535)
    return 'malformed address: host:port expected (e.g. 127.0.0.1:7233 or temporal.example.internal:7233)';
  const host = match[1].replace(/^\[|\]$/g, '');
  return await new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => done(transportFailure('no answer within 8 s')), CONNECT_DEADLINE_MS);
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') done(transportFailure('connection refused'));
      else if (error.code === 'ENOTFOUND' || error.code?.startsWith('EAI_'))
        done(transportFailure(`dns error: ${error.message}`));
      else done(transportFailure(error.message));
    });
  });
}

/** What to do when nothing answers at the address. */
const noServerHint = () =>
  `is a Temporal server running there? \`${contrailCommand()} server\` starts one on this machine`;

/**
 * Why a connection to `address`, where something listens, failed: transportFailure's words,
 * unless a web server answers there. The Web UI's address is the likeliest wrong one (its URL
 * is the one in the browser), and its server answers gRPC's greeting with nothing the client
 * reads: the client only ran out its deadline, and said that nothing answered.
 */
export async function connectFailure(
  address: string,
  reason: string,
  tls: TemporalTls | null,
): Promise<string> {
  // The client says only that its deadline passed when TLS fails: a handshake of our own says why.
  const tlsFailure = await tlsProblem(address, tls);
  if (tlsFailure !== null) return tlsFailure;
  if (!(await answersHttp1(address))) return transportFailure(reason);
  return `a web server answers there, not a Temporal frontend (gRPC): is it the Web UI's address? TEMPORAL_ADDRESS takes the frontend's gRPC port (7233 unless the server was told otherwise; \`${contrailCommand()} server\` serves its Web UI on that port + 1000, docker-compose.yml on 8080)`;
}

/**
 * Whether what listens at `address` answers an HTTP/1.1 request as a web server does. Asked only
 * once a connection has failed: a Temporal frontend logs the request as a bad client greeting.
 */
async function answersHttp1(address: string): Promise<boolean> {
  const match = ADDRESS.exec(address);
  if (!match?.[1]) return false;
  const host = match[1].replace(/^\[|\]$/g, '');
  return await new Promise((resolve) => {
    const socket = connect({ host, port: Number(match[2]) });
    let answer = '';
    const done = (answers: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answers);
    };
    const timer = setTimeout(() => done(false), 2_000);
    socket.once('connect', () =>
      socket.write(`GET / HTTP/1.1\r\nHost: ${match[1]}\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.length >= 8) done(answer.startsWith('HTTP/1.'));
    });
    socket.once('end', () => done(answer.startsWith('HTTP/1.')));
    socket.once('error', () => done(false));
  });
}

/** What the TLS variables would take, said when the server needs TLS and the connection is plain. */
const TLS_HINT =
  'set TEMPORAL_TLS=true (with TEMPORAL_TLS_CA for a private CA), TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY for mutual TLS, or TEMPORAL_API_KEY';

/** A TLS alert by which a server refuses a connection without a client certificate. */
const NO_CLIENT_CERTIFICATE = /certificate required|peer did not return a certificate|handshake failure/i;
/** A TLS alert by which a server refuses the client certificate it was given. */
const REFUSED_CLIENT_CERTIFICATE =
  /unknown ca|bad certificate|certificate unknown|unsupported certificate|decrypt error/i;
/** Node's codes for a server certificate no trusted CA signed. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * Why TLS keeps a connection to `address` from being made, said with the TLS variables to set
 * (settings.ts, temporalTls), or null when TLS is not why. Neither SDK client says: the client's
 * connect only runs out its deadline, and the worker's names a rustls error. One handshake with
 * the same certificates tells the cases apart; a server that requires a client certificate
 * refuses one without it only after TLS 1.3's handshake, so its alert is waited for a moment.
 * With TLS off it asks only whether the server speaks TLS (its certificate unchecked).
 */
export async function tlsProblem(address: string, tls: TemporalTls | null): Promise<string | null> {
  const match = ADDRESS.exec(address);
  if (!match?.[1]) return null;
  const host = match[1].replace(/^\[|\]$/g, '');
  const options = tls?.tls ? tls.connectionOptions().tls : false;
  const outcome = await new Promise<{ secured: boolean; error: NodeJS.ErrnoException | null }>((resolve) => {
    let secured = false;
    const socket = connectTls({
      host,
      port: Number(match[2]),
      ALPNProtocols: ['h2'],
      ...(options === false
        ? { rejectUnauthorized: false }
        : {
            rejectUnauthorized: true,
            ...(options.serverNameOverride ? { servername: options.serverNameOverride } : {}),
            ...(options.serverNameOverride === undefined && isIP(host) === 0 ? { servername: host } : {}),
            ...(options.serverRootCACertificate ? { ca: options.serverRootCACertificate } : {}),
            ...(options.clientCertPair
              ? { cert: options.clientCertPair.crt, key: options.clientCertPair.key }
              : {}),
          }),
    });
    const done = (error: NodeJS.ErrnoException | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ secured, error });
    };
    let timer = setTimeout(() => done(null), CONNECT_DEADLINE_MS);
    socket.once('secureConnect', () => {
      secured = true;
      clearTimeout(timer);
      timer = setTimeout(() => done(null), 1_000);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error));
    socket.once('close', () => done(null));
  });
  // OpenSSL's `…:error:…:SSL routines:<function>:<reason>:<source file>:…`: the reason.
  const message = outcome.error?.message.split('\n')[0] ?? '';
  const said = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
  if (options === false) {
    if (!outcome.secured) return null;
    const mutual = NO_CLIENT_CERTIFICATE.test(said);
    return `the server there speaks TLS${mutual ? ' and requires a client certificate (mutual TLS)' : ''}, and this connection is plain${
      tls === null ? '' : ' (TEMPORAL_TLS=false)'
    }: ${mutual ? 'set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (and TEMPORAL_TLS_CA for a private CA)' : TLS_HINT}`;
  }
  const error = outcome.error;
  if (error === null) return null;
  if (error.code !== undefined && UNTRUSTED.has(error.code))
    return `TLS: the server's certificate is not signed by ${
      tls?.ca
        ? `the CA of TEMPORAL_TLS_CA=${tls.ca.path}`
        : 'a CA this machine trusts (TEMPORAL_TLS_CA is not set)'
    } (${error.code}): set TEMPORAL_TLS_CA to the CA certificate that signed the server's`;
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `TLS: the server's certificate is not for ${options.serverNameOverride ?? host} (${
      (error as { reason?: string }).reason ?? error.message
    }): set TEMPORAL_TLS_SERVER_NAME to a name it is for`;
  if (error.code === 'CERT_HAS_EXPIRED' || error.code === 'CERT_NOT_YET_VALID')
    return `TLS: the server's certificate is not valid now (${error.code})`;
  if (NO_CLIENT_CERTIFICATE.test(said) && !tls?.clientCert)
    return `TLS: the server requires a client certificate (mutual TLS; ${said}): set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY`;
  if (REFUSED_CLIENT_CERTIFICATE.test(said) && tls?.clientCert)
    return `TLS: the server refused the client certificate TEMPORAL_TLS_CERT=${tls.clientCert.certPath} (${said}): is it signed by a CA the server trusts, and TEMPORAL_TLS_KEY its key?`;
  if (!outcome.secured && /wrong version number|packet length too long|unexpected eof/i.test(said))
    return `the server there does not answer TLS (${said}), and TEMPORAL_TLS is on: point TEMPORAL_ADDRESS at its TLS endpoint, or unset the TEMPORAL_TLS* settings`;
  return outcome.secured ? null : `TLS handshake failed: ${said || error.code}`;
}

/**
 * A connection error (the client's, or the worker's Rust core's transport error) as an operator
 * reads it: what went wrong with the address and what to do, not the error's debug form.
 */
export function transportFailure(reason: string): string {
  if (/connection ?refused/i.test(reason))
    return `connection refused (nothing listens there): ${noServerHint()}`;
  if (/failed to connect before the deadline|no answer within/i.test(reason))
    return `nothing answered within 8 s: ${noServerHint()}`;
  if (/dns error|failed to lookup address|Name or service not known/i.test(reason))
    return 'no host of that name (the DNS lookup failed): check the host in TEMPORAL_ADDRESS or --address, host:port';
  return reason;
}
