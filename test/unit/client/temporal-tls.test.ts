import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createSecureServer, type IncomingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { Connection } from '@temporalio/client';
import {
  refuseMisspeltSettings,
  runtimeSettings,
  SettingsError,
  TEMPORAL_SETTINGS,
  type TemporalTls,
} from '../../../src/settings.js';
import { connectWorker } from '../../../src/worker.js';
import { runMain } from '../../helpers/cli.js';
import { type TestCertificates, testCertificates } from '../../helpers/tls.js';

const API_KEY = 'tls-test-api-key-3f9c1e';

let certs: TestCertificates;
before(() => {
  certs = testCertificates();
});

/** The TLS settings of `env`, which must have some. */
function tlsOf(env: NodeJS.ProcessEnv): TemporalTls {
  const tls = runtimeSettings(env).temporalTls;
  assert.ok(tls !== null, 'TLS settings read');
  return tls;
}

describe('the Temporal CLI’s TLS and API key variables', () => {
  test('are read under the CLI’s names: a client certificate, CA, server name and API key make one TLS connection', () => {
    assert.equal(runtimeSettings({}).temporalTls, null);
    const tls = tlsOf({
      TEMPORAL_TLS_CERT: certs.clientCert,
      TEMPORAL_TLS_KEY: certs.clientKey,
      TEMPORAL_TLS_CA: certs.ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_API_KEY: API_KEY,
    });
    const options = tls.connectionOptions();
    assert.ok(options.tls !== false);
    assert.equal(options.tls.serverNameOverride, 'temporal.test');
    assert.deepEqual(options.tls.serverRootCACertificate, readFileSync(certs.ca));
    assert.deepEqual(options.tls.clientCertPair?.crt, readFileSync(certs.clientCert));
    assert.deepEqual(options.tls.clientCertPair?.key, readFileSync(certs.clientKey));
    assert.equal(options.apiKey, API_KEY);
    // As the Temporal CLI: an API key alone turns TLS on (system roots), TEMPORAL_TLS=false off.
    assert.deepEqual(tlsOf({ TEMPORAL_API_KEY: API_KEY }).connectionOptions(), { tls: {}, apiKey: API_KEY });
    assert.deepEqual(tlsOf({ TEMPORAL_TLS: 'true' }).connectionOptions(), { tls: {} });
    assert.deepEqual(tlsOf({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: API_KEY }).connectionOptions(), {
      tls: false,
      apiKey: API_KEY,
    });
    for (const name of [
      'TEMPORAL_TLS',
      'TEMPORAL_TLS_CERT',
      'TEMPORAL_TLS_KEY',
      'TEMPORAL_TLS_CA',
      'TEMPORAL_TLS_SERVER_NAME',
      'TEMPORAL_API_KEY',
    ])
      assert.ok((TEMPORAL_SETTINGS as readonly string[]).includes(name), name);
  });

  test('never show the API key or the private key: doctor’s description, JSON and inspect name paths only', () => {
    const settings = runtimeSettings({
      TEMPORAL_TLS_CERT: certs.clientCert,
      TEMPORAL_TLS_KEY: certs.clientKey,
      TEMPORAL_API_KEY: API_KEY,
    });
    assert.equal(
      settings.temporalTls?.describe(),
      `TLS, client certificate ${certs.clientCert}, API key set`,
    );
    const key = readFileSync(certs.clientKey, 'utf8').split('\n')[1] ?? '';
    assert.ok(key.length > 20);
    for (const shown of [
      JSON.stringify(settings),
      inspect(settings, { depth: 10 }),
      String(settings.temporalTls),
    ]) {
      assert.ok(!shown.includes(API_KEY), shown);
      assert.ok(!shown.includes(key), shown);
      assert.ok(!shown.includes(Buffer.from(readFileSync(certs.clientKey)).toString('base64').slice(0, 20)));
    }
  });

  test('a missing or unreadable file, or a key without its certificate, is refused naming the variable', () => {
    const refused = (env: NodeJS.ProcessEnv, pattern: RegExp) =>
      assert.throws(
        () => runtimeSettings(env),
        (error: unknown) => error instanceof SettingsError && pattern.test(error.message),
      );
    refused(
      { TEMPORAL_TLS_CERT: '/nonexistent/client.pem', TEMPORAL_TLS_KEY: certs.clientKey },
      /^TEMPORAL_TLS_CERT=\/nonexistent\/client\.pem: no such file \(expected a client certificate, PEM\)$/,
    );
    refused({ TEMPORAL_TLS_CA: certs.dir }, /^TEMPORAL_TLS_CA=.*: a directory, not a CA certificate/);
    const notPem = join(certs.dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    refused({ TEMPORAL_TLS_CA: notPem }, /^TEMPORAL_TLS_CA=.*not\.pem: not PEM/);
    refused(
      { TEMPORAL_TLS_KEY: certs.clientKey },
      /^TEMPORAL_TLS_KEY is set without TEMPORAL_TLS_CERT: mutual TLS needs both/,
    );
    refused(
      { TEMPORAL_TLS_CERT: certs.clientCert },
      /^TEMPORAL_TLS_CERT is set without TEMPORAL_TLS_KEY: mutual TLS needs both/,
    );
    refused({ TEMPORAL_TLS: 'yes please' }, /^TEMPORAL_TLS=yes please: expected true or false$/);
    refused(
      { TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: certs.ca },
      /^TEMPORAL_TLS=false turns TLS off, but TEMPORAL_TLS_CERT, TEMPORAL_TLS_CA or TEMPORAL_TLS_SERVER_NAME is set/,
    );
    // The CLI's other spellings would be left unread, the connection going out without them.
    refused(
      { TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert },
      /^TEMPORAL_TLS_CLIENT_CERT_PATH is read by the Temporal CLI but not by contrail: unset it, and set TEMPORAL_TLS_CERT instead$/,
    );
  });

  test('a name one typo from one of them is refused as misspelt', () => {
    assert.throws(
      () => refuseMisspeltSettings({ TEMPORAL_TLS_CRT: certs.clientCert }),
      /TEMPORAL_TLS_CRT is not a contrail setting \(did you mean TEMPORAL_TLS_CERT\?\)/,
    );
    assert.throws(
      () => refuseMisspeltSettings({ TEMPORAL_API_KEYS: 'k' }),
      /did you mean TEMPORAL_API_KEY\?/,
    );
    refuseMisspeltSettings({ TEMPORAL_GRPC_META_X_TEAM: 'search', TEMPORAL_CODEC_ENDPOINT: 'http://codec' });
  });

  test('the CLI stops on a missing certificate before anything starts, exit 1, naming the variable', async () => {
    const run = await runMain(['status'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      TEMPORAL_TLS_CERT: '/nonexistent/client.pem',
      TEMPORAL_TLS_KEY: certs.clientKey,
      TEMPORAL_API_KEY: API_KEY,
    });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^contrail: TEMPORAL_TLS_CERT=\/nonexistent\/client\.pem: no such file/);
    assert.ok(!run.stderr.includes(API_KEY));
  });
});

describe('the API key', () => {
  /** A TLS HTTP/2 server that takes the headers of each request and refuses it as unauthenticated. */
  let server: ReturnType<typeof createSecureServer>;
  let address = '';
  const seen: IncomingHttpHeaders[] = [];
  // The clients keep their connections: closing the server waits for them unless they are ended.
  const sessions: ServerHttp2Session[] = [];
  before(async () => {
    server = createSecureServer(
      { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert) },
      (request, response) => {
        seen.push(request.headers);
        response.writeHead(200, { 'content-type': 'application/grpc' });
        response.addTrailers({ 'grpc-status': '16', 'grpc-message': 'refused by the test' });
        response.end();
      },
    );
    server.on('session', (session) => sessions.push(session));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const info = server.address();
    assert.ok(info !== null && typeof info === 'object');
    address = `127.0.0.1:${info.port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('goes to the server as `authorization: Bearer …` from the client and the worker alike, over TLS', async () => {
    const tls = tlsOf({
      TEMPORAL_TLS_CA: certs.ca,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
      TEMPORAL_API_KEY: API_KEY,
    });
    seen.length = 0;
    // Lazy, to be closed: a connection that failed to connect keeps its channel open.
    const connection = Connection.lazy({ address, connectTimeout: 5_000, ...tls.connectionOptions() });
    await assert.rejects(connection.ensureConnected()).finally(() => connection.close());
    assert.ok(seen.length > 0, 'the client reached the server');
    assert.equal(seen[0]?.authorization, `Bearer ${API_KEY}`);
    seen.length = 0;
    await assert.rejects(connectWorker(address, tls, 'ERROR', { shutdownOnSignals: false }));
    assert.ok(seen.length > 0, 'the worker reached the server');
    assert.equal(seen[0]?.authorization, `Bearer ${API_KEY}`);
  });
});
