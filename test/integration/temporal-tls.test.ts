import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, spawnCli } from '../helpers/cli.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';
import {
  startTlsTerminator,
  type TestCertificates,
  type TlsTerminator,
  testCertificates,
} from '../helpers/tls.js';

const API_KEY = 'tls-integration-api-key-8d2b7a';

/**
 * contrail on a Temporal server behind mutual TLS, as a production cluster is: a TLS terminator
 * that requires a client certificate in front of the run's dev server, with a CA and
 * certificates made for this file.
 */
describe('a Temporal server behind mutual TLS', { concurrency: true }, () => {
  let temporal: TestTemporal;
  let certs: TestCertificates;
  let terminator: TlsTerminator;
  before(async () => {
    temporal = await testTemporal();
    certs = testCertificates();
    terminator = await startTlsTerminator(temporal.address, certs, { mutual: true });
  });
  after(async () => {
    await terminator.close();
    await temporal.close();
  });

  /** The environment of a contrail process on the terminator; `tls` replaces its TLS variables. */
  const envWith = (tls: Record<string, string>) => ({
    ...temporal.env,
    CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-tls-')),
    CONTRAIL_TASK_QUEUE: `tls-${randomUUID()}`,
    TEMPORAL_ADDRESS: terminator.address,
    // The certificate's name: the address is an IP, which TLS does not send as the server's name.
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    ...tls,
  });
  const mutual = () => ({
    TEMPORAL_TLS_CA: certs.ca,
    TEMPORAL_TLS_CERT: certs.clientCert,
    TEMPORAL_TLS_KEY: certs.clientKey,
    TEMPORAL_API_KEY: API_KEY,
  });

  test('with the client certificate, a worker serves and doctor checks the whole chain; the API key is never printed', async () => {
    const env = envWith(mutual());
    const worker = spawnCli(['worker'], { env, timeoutMs: 180_000 });
    try {
      await worker.waitForStderr(/state: 'RUNNING'/);
      const doctor = await runCli(['doctor'], { env, timeoutMs: 150_000 });
      assert.equal(doctor.code, 0, doctor.stderr);
      assert.match(
        doctor.stdout,
        new RegExp(
          `^ {2}Temporal {3}${terminator.address} \\(TLS, client certificate ${certs.clientCert}, CA ${certs.ca}, server name localhost, API key set\\), round trip \\d+ ms$`,
          'm',
        ),
      );
      assert.match(doctor.stdout, /^ {2}worker {5}contrail \S+ \(build \S+\) on \S+ ran the check$/m);
      const status = await runCli(['status'], { env });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`^nothing runs on ${terminator.address}`));
      for (const output of [doctor.stdout, doctor.stderr, status.stdout, status.stderr, worker.stdout()]) {
        assert.ok(!output.includes(API_KEY), output);
      }
    } finally {
      worker.child.kill('SIGTERM');
    }
    await worker.done;
    assert.ok(!worker.stderr().includes(API_KEY) && !worker.stdout().includes(API_KEY));
  });

  test('without a client certificate, plain or over TLS, the client and the worker name the settings to set', async () => {
    const [plain, noCert, workerNoCert] = await Promise.all([
      runCli(['status'], { env: envWith({ TEMPORAL_TLS_SERVER_NAME: '' }) }),
      runCli(['status'], { env: envWith({ TEMPORAL_TLS_CA: certs.ca, TEMPORAL_API_KEY: API_KEY }) }),
      runCli(['worker'], { env: envWith({ TEMPORAL_TLS_CA: certs.ca }), timeoutMs: 60_000 }),
    ]);
    assert.equal(plain.code, 1, plain.stderr);
    assert.match(
      plain.stderr,
      new RegExp(
        `^contrail: cannot reach Temporal at ${terminator.address} \\(TEMPORAL_ADDRESS\\): the server there speaks TLS and requires a client certificate \\(mutual TLS\\), and this connection is plain: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY`,
        'm',
      ),
    );
    for (const run of [noCert, workerNoCert]) {
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^contrail: cannot reach Temporal at ${terminator.address}( \\(TEMPORAL_ADDRESS\\))?: TLS: the server requires a client certificate \\(mutual TLS; [^)]*certificate required\\): set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY$`,
          'm',
        ),
      );
      assert.ok(!run.stderr.includes(API_KEY) && !run.stdout.includes(API_KEY));
    }
  });

  test('a CA that did not sign the server’s certificate is named as such', async () => {
    const run = await runCli(['status'], { env: envWith({ ...mutual(), TEMPORAL_TLS_CA: certs.otherCa }) });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `^contrail: cannot reach Temporal at ${terminator.address} \\(TEMPORAL_ADDRESS\\): TLS: the server's certificate is not signed by the CA of TEMPORAL_TLS_CA=${certs.otherCa} \\(SELF_SIGNED_CERT_IN_CHAIN\\): set TEMPORAL_TLS_CA to the CA certificate that signed the server's$`,
        'm',
      ),
    );
    assert.ok(!run.stderr.includes(API_KEY));
  });
});
