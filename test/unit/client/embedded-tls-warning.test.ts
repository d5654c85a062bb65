import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddedTlsWarning, withTemporal } from '../../../src/client/embedded.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { testDeps } from '../../helpers/deps.js';

describe('an embedded command with a cluster’s TLS or API key variables set', () => {
  it('is not warned when none is set, or one is set to blanks', () => {
    assert.equal(embeddedTlsWarning({}), null);
    assert.equal(embeddedTlsWarning({ TEMPORAL_TLS_CERT: '  ', TEMPORAL_NAMESPACE: 'x' }), null);
  });

  it('names the one set, and says it does not apply to its dev server', () => {
    assert.equal(
      embeddedTlsWarning({ TEMPORAL_API_KEY: 'secret-key-81b2' }),
      "contrail: TEMPORAL_API_KEY applies to a Temporal cluster (TEMPORAL_ADDRESS) only: this command's embedded dev server is plain and ignores it",
    );
  });

  it('names every one set and no other, never their values', () => {
    const warning = embeddedTlsWarning({
      TEMPORAL_TLS_CERT: '/certs/client.pem',
      TEMPORAL_TLS_KEY: '/certs/client.key',
      TEMPORAL_TLS_CA: '/certs/ca.pem',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.example',
      TEMPORAL_TLS: 'true',
      TEMPORAL_API_KEY: 'secret-key-81b2',
      TEMPORAL_NAMESPACE: 'analysis',
    });
    assert.equal(
      warning,
      "contrail: TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_SERVER_NAME apply to a Temporal cluster (TEMPORAL_ADDRESS) only: this command's embedded dev server is plain and ignores them",
    );
    assert.doesNotMatch(warning ?? '', /secret|\/certs|temporal\.example|TEMPORAL_NAMESPACE/);
  });

  it('is given by the command before its dev server starts', async () => {
    // A Temporal binary that does not exist stops the start at once: the warning came before.
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: '',
      TEMPORAL_CLI_PATH: '/nonexistent/temporal',
      TEMPORAL_API_KEY: 'secret-key-81b2',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.example',
    };
    const warehouse = await openDuckDbWarehouse({ path: ':memory:' });
    const write = process.stderr.write;
    let said = '';
    process.stderr.write = ((chunk: string) => {
      said += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      await assert.rejects(
        withTemporal(async () => 'never', { env, deps: () => testDeps(warehouse) }),
        /TEMPORAL_CLI_PATH=\/nonexistent\/temporal does not exist/,
      );
    } finally {
      process.stderr.write = write;
      await warehouse.close();
    }
    assert.match(
      said,
      /^contrail: TEMPORAL_API_KEY, TEMPORAL_TLS_SERVER_NAME apply to a Temporal cluster \(TEMPORAL_ADDRESS\) only/m,
    );
  });
});
