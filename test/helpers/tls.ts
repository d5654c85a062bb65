import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';

/** A CA, a server and a client certificate it signed, and a CA that signed neither: PEM files. */
export interface TestCertificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA of its own, which the server's certificate does not chain to. */
  otherCa: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA certificate `name`.pem with its key `name`.key. */
function makeCa(dir: string, name: string): void {
  openssl(dir, [
    ...`req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2`.split(' '),
    ...`-keyout ${name}.key -out ${name}.pem -subj /CN=${name}`.split(' '),
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
}

/** A certificate `name`.pem (key `name`.key) signed by the CA `ca`, with the extensions `ext`. */
function makeLeaf(dir: string, name: string, ca: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    ...`req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes`.split(' '),
    ...`-keyout ${name}.key -out ${name}.csr -subj /CN=${name}`.split(' '),
  ]);
  openssl(dir, [
    ...`x509 -req -in ${name}.csr -CA ${ca}.pem -CAkey ${ca}.key -CAcreateserial -days 2`.split(' '),
    ...`-out ${name}.pem -extfile ${name}.ext`.split(' '),
  ]);
}

/** Certificates made now with `openssl`, good for two days, in a temporary directory. */
export function testCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(
    dir,
    'server',
    'ca',
    'subjectAltName=DNS:localhost,DNS:temporal.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  makeLeaf(
    dir,
    'client',
    'ca',
    'subjectAltName=DNS:contrail-worker\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    otherCa: join(dir, 'other-ca.pem'),
  };
}

export interface TlsTerminator {
  /** 127.0.0.1:port, where it takes TLS. */
  address: string;
  /** Why the handshakes it refused failed, in the order they came. */
  refused: string[];
  close(): Promise<void>;
}

/**
 * A TLS terminator in front of a plain Temporal frontend (`target`, host:port), as a production
 * cluster or Temporal Cloud has one: HTTP/2 over TLS (ALPN h2) with the server certificate of
 * `certificates`, and with `mutual` a client certificate signed by their CA required. Each
 * connection it accepts is piped to the target as it is.
 */
export async function startTlsTerminator(
  target: string,
  certificates: TestCertificates,
  options: { mutual: boolean },
): Promise<TlsTerminator> {
  const [host, port] = [
    target.slice(0, target.lastIndexOf(':')),
    Number(target.slice(target.lastIndexOf(':') + 1)),
  ];
  const refused: string[] = [];
  const sockets = new Set<TLSSocket>();
  const server = createServer(
    {
      key: readFileSync(certificates.serverKey),
      cert: readFileSync(certificates.serverCert),
      ca: [readFileSync(certificates.ca)],
      requestCert: options.mutual,
      rejectUnauthorized: options.mutual,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      sockets.add(socket);
      const upstream = connectTcp({ host: host.replace(/^\[|\]$/g, ''), port });
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
        sockets.delete(socket);
      };
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', (error) => refused.push(error.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the terminator has no port');
  return {
    address: `127.0.0.1:${address.port}`,
    refused,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
