import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  refuseMisspeltSettings,
  runtimeSettings,
  SETTINGS,
  SettingsError,
  TEMPORAL_SETTINGS,
} from '../../src/settings.js';
import { repoRoot, runMain } from '../helpers/cli.js';

test('a CONTRAIL_* variable one typo from a setting is refused, naming the setting it resembles', () => {
  assert.throws(
    () => refuseMisspeltSettings({ CONTRAIL_WAREHOSE: 'bigquery' }),
    (error: unknown) =>
      error instanceof SettingsError &&
      /CONTRAIL_WAREHOSE is not a contrail setting \(did you mean CONTRAIL_WAREHOUSE\?\)/.test(error.message),
  );
  assert.throws(
    () => refuseMisspeltSettings({ CONTRAIL_EXPORT_DIRS: '/x' }),
    /did you mean CONTRAIL_EXPORT_DIR\?/,
  );
  assert.throws(() => refuseMisspeltSettings({ contrail_home: '/x', CONTRAIL_HOEM: '/x' }), /CONTRAIL_HOEM/);
});

test('settings, empty variables, the runners’ own and a deployment’s unrelated names pass', () => {
  refuseMisspeltSettings({
    CONTRAIL_WAREHOUSE: 'duckdb',
    CONTRAIL_HOME: '/x',
    CONTRAIL_WAREHOSE: '',
    CONTRAIL_TEST_RUN: 'marker',
    CONTRAIL_BENCH_QUICK: '1',
    CONTRAIL_TEAM_NAME: 'search',
    // The BigQuery settings' own module judges these, when BigQuery is chosen.
    CONTRAIL_BIGQUERY_PROJEC: 'p',
  });
});

test('the CLI refuses to run under a misspelt setting, before anything else', async () => {
  const run = await runMain(['plan', '--experiment_slug', 'nope'], { CONTRAIL_WAREHOSE: 'bigquery' });
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.match(
    run.stderr,
    /^contrail: CONTRAIL_WAREHOSE is not a contrail setting \(did you mean CONTRAIL_WAREHOUSE\?\)/,
  );
});

test('a TEMPORAL_* variable one typo from one contrail reads is refused; the Temporal CLI’s and Web UI’s own pass', async () => {
  assert.throws(
    () => refuseMisspeltSettings({ TEMPORAL_ADRESS: 'temporal.example.internal:7233' }),
    /^SettingsError: TEMPORAL_ADRESS is not a contrail setting \(did you mean TEMPORAL_ADDRESS\?\)/,
  );
  assert.throws(
    () => refuseMisspeltSettings({ TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_NAMESPCE: 'analysis' }),
    /did you mean TEMPORAL_NAMESPACE\?/,
  );
  assert.throws(
    () => refuseMisspeltSettings({ TEMPORAL_UI_URLS: 'http://x' }),
    /did you mean TEMPORAL_UI_URL\?/,
  );
  refuseMisspeltSettings({
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_UI_URL: 'http://localhost:8080',
    TEMPORAL_CLI_PATH: '/usr/bin/temporal',
    TEMPORAL_API_KEY: 'k',
    TEMPORAL_TLS_CERT: '/c.pem',
    TEMPORAL_TLS: 'true',
    TEMPORAL_CODEC_ENDPOINT: 'http://codec',
    TEMPORAL_CLI_ADDRESS: 'temporal:7233',
    TEMPORAL_UI_PORT: '8080',
    TEMPORAL_CORS_ORIGINS: 'http://localhost:8080',
    TEMPORAL_DEFAULT_NAMESPACE: 'default',
    TEMPORAL_ADRESS: '',
  });
  // Unread, the misspelt address left the command on a private server of its own (a run
  // analysing on this machine) or the worker polling localhost:7233: it stops before either.
  const run = await runMain(['status'], { TEMPORAL_ADDRESS: undefined, TEMPORAL_ADRESS: '127.0.0.1:7233' });
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /^contrail: TEMPORAL_ADRESS is not a contrail setting \(did you mean TEMPORAL_ADDRESS\?\): unset it, or set TEMPORAL_ADDRESS instead/,
  );
});

/** Files under `dir` (recursively) whose names end with one of `endings`. */
function filesIn(dir: string, endings: string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(dir, entry))
    .filter((path) => endings.some((e) => path.endsWith(e)) && statSync(path).isFile());
}

test('SETTINGS names every CONTRAIL_* variable the code, scripts, test helpers and compose file read', () => {
  const files = [
    ...filesIn(join(repoRoot, 'src'), ['.ts']),
    ...filesIn(join(repoRoot, 'scripts'), ['.ts', '.sh']),
    ...filesIn(join(repoRoot, 'test', 'helpers'), ['.ts']),
    join(repoRoot, 'bin', 'contrail'),
    join(repoRoot, 'docker-compose.yml'),
  ];
  const read = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    // `env.CONTRAIL_X`, `(… ?? process.env).CONTRAIL_X`, `$CONTRAIL_X`, `${CONTRAIL_X…}`
    for (const m of text.matchAll(/(?:\.|\$\{?)(CONTRAIL_[A-Z0-9_]*[A-Z0-9])\b/g)) read.add(m[1] as string);
  }
  const known: readonly string[] = SETTINGS;
  const missing = [...read].filter(
    (name) =>
      !name.startsWith('CONTRAIL_BIGQUERY_') &&
      !/^CONTRAIL_(TEST|BENCH)_/.test(name) &&
      !known.includes(name),
  );
  assert.deepEqual(missing.sort(), []);
  assert.ok(read.has('CONTRAIL_WAREHOUSE') && read.has('CONTRAIL_PYTHON'), [...read].join(', '));
});

test('TEMPORAL_SETTINGS names every TEMPORAL_* variable the code reads', () => {
  const read = new Set<string>();
  for (const file of filesIn(join(repoRoot, 'src'), ['.ts'])) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\.(TEMPORAL_[A-Z0-9_]*[A-Z0-9])\b/g)) read.add(m[1] as string);
  }
  const known: readonly string[] = TEMPORAL_SETTINGS;
  assert.deepEqual([...read].filter((name) => !known.includes(name)).sort(), []);
  assert.ok(read.has('TEMPORAL_ADDRESS') && read.has('TEMPORAL_NAMESPACE'), [...read].join(', '));
});

test('a build id or deployment name the Temporal server or a table label would refuse is refused, naming the variable', () => {
  for (const bad of ['x'.repeat(64), 'bad/id', 'has space', '-lead', 'é']) {
    assert.throws(
      () => runtimeSettings({ CONTRAIL_BUILD_ID: bad }),
      /^SettingsError: CONTRAIL_BUILD_ID=.*a build id is 1 to 63/,
    );
  }
  assert.throws(
    () => runtimeSettings({ CONTRAIL_DEPLOYMENT: 'team.contrail' }),
    /CONTRAIL_DEPLOYMENT=team\.contrail: .*no '\.'/,
  );
  const ok = runtimeSettings({ CONTRAIL_BUILD_ID: 'v2.1.0-rc_1', CONTRAIL_DEPLOYMENT: 'contrail-search' });
  assert.equal(ok.buildId, 'v2.1.0-rc_1');
  assert.equal(ok.deploymentName, 'contrail-search');
  assert.equal(runtimeSettings({ CONTRAIL_BUILD_ID: '4f2a9c81d0e3' }).buildId, '4f2a9c81d0e3');
  assert.deepEqual([runtimeSettings({}).buildId, runtimeSettings({}).deploymentName], [null, 'contrail']);
});
