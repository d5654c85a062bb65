import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { resultsDataset } from '../../../src/client/option-values.js';
import { defaultActivityDeps, workerSources } from '../../../src/client/runtime.js';
import { defaultConfigRepos } from '../../../src/config/collection.js';
import { defaultExperimentsFile } from '../../../src/experiments/source.js';
import { dataDirPath } from '../../../src/paths.js';
import { runtimeSettings, warehouseKind } from '../../../src/settings.js';
import { CONTRAIL_SEARCH_ATTRIBUTES } from '../../../src/temporal/search-attributes.js';
import { bigQuerySettings } from '../../../src/warehouse/bigquery-settings.js';

// No Docker engine runs here: the deployment files are checked by reading them.
const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: string[];
}
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const dependsOn = (s: Service) =>
  Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});

test('services: PostgreSQL, Temporal on it, the Web UI, search-attribute setup, a contrail worker', () => {
  assert.deepEqual(Object.keys(services).sort(), [
    'contrail-worker',
    'postgresql',
    'temporal',
    'temporal-setup',
    'temporal-ui',
  ]);
  for (const [name, service] of Object.entries(services)) {
    if (service.image) assert.match(service.image, /:[\w.-]+$/, `${name} pins its image tag`);
    for (const dep of dependsOn(service)) assert.ok(services[dep], `${name} depends on unknown ${dep}`);
  }
});

test('Temporal persists to PostgreSQL and exposes gRPC; the UI points at it', () => {
  const temporal = services.temporal!;
  assert.equal(temporal.environment?.DB, 'postgres12');
  assert.equal(temporal.environment?.POSTGRES_SEEDS, 'postgresql');
  assert.equal(temporal.environment?.POSTGRES_PWD, services.postgresql!.environment?.POSTGRES_PASSWORD);
  assert.ok(temporal.ports?.includes('7233:7233'));
  assert.ok(dependsOn(temporal).includes('postgresql'));
  assert.equal(services['temporal-ui']!.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.ok(services['temporal-ui']!.ports?.includes('8080:8080'));
  for (const volume of services.postgresql!.volumes ?? [])
    assert.ok(volume.split(':')[0]! in compose.volumes);
});

test("setup registers every one of contrail's search attributes", () => {
  const script = [services['temporal-setup']!.command].flat().join(' ');
  for (const key of CONTRAIL_SEARCH_ATTRIBUTES)
    assert.ok(script.includes(key.name), `${key.name} registered`);
  assert.equal(services['temporal-setup']!.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
});

test('the worker is built from the Dockerfile, runs `worker`, and gets Temporal + BigQuery settings by environment', () => {
  const worker = services['contrail-worker']!;
  assert.deepEqual(worker.build && { ...worker.build, args: undefined }, {
    context: '.',
    dockerfile: 'Dockerfile',
    args: undefined,
  });
  assert.deepEqual(worker.command, ['worker']);
  const env = worker.environment ?? {};
  assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.equal(env.CONTRAIL_WAREHOUSE, 'bigquery');
  assert.ok(env.CONTRAIL_BIGQUERY_PROJECT && env.CONTRAIL_BIGQUERY_DATASET);
  const credentials = env.GOOGLE_APPLICATION_CREDENTIALS;
  assert.ok(credentials, 'credentials path set');
  assert.ok(
    worker.volumes?.some((v) => v.endsWith(`:${credentials}:ro`)),
    'the credentials file is mounted read-only where GOOGLE_APPLICATION_CREDENTIALS points',
  );
  assert.ok(dependsOn(worker).includes('temporal-setup'));
});

test('the Dockerfile builds the workflow bundle and starts the CLI the compose file calls', () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
  assert.match(dockerfile, /RUN npm run build/);
  assert.match(dockerfile, /ENTRYPOINT \["node", "dist\/client\/cli\.js"\]/);
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.build ?? '', /bundle-workflows/);
});

test('the image has git, trusts mounted config repos, and holds the files the defaults read', () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
  // The image that runs: the last stage.
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  // Its data directory (a volume in compose) is the worker's own: the volume takes the owner
  // the image gives the path, root's if the image has none.
  const home = /^ENV CONTRAIL_HOME=(\S+)$/m.exec(runtime)?.[1];
  assert.ok(home, 'the image sets CONTRAIL_HOME');
  const user = /^USER (\S+)$/m.exec(runtime)?.[1];
  assert.ok(user);
  const owned = runtime.indexOf(`chown ${user}:${user} ${home}`);
  assert.ok(owned >= 0 && owned < runtime.indexOf(`USER ${user}`), `${home} is made ${user}'s before USER`);
  // Pinned analyses read their configs from the config repos' git history.
  assert.match(runtime, /apt-get install [^\n]*\bgit\b/);
  // The repos are mounted from the host, owned by another user than the container's.
  assert.match(runtime, /git config --system --add safe\.directory/);
  // The image is built from the compiled dist/: any other file the CLI reads from the package
  // root must be copied in, or the defaults fail in the image only.
  const copied = [...runtime.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
    m[1]!.trim().split(/\s+/).slice(0, -1),
  );
  const covered = (path: string) =>
    copied.some((c) => path === c || path.startsWith(`${c.replace(/\/$/, '')}/`));
  for (const read of [defaultExperimentsFile({}), ...defaultConfigRepos({})]) {
    const path = relative(root, read);
    assert.ok(
      covered(path),
      `the image copies ${path} (read by default from the package); copied: ${copied.join(', ')}`,
    );
  }
});

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` against a host environment. */
function interpolate(value: string, host: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const set = host[name];
      if (set) return set;
      if (op === '?') throw new Error(`compose would stop: ${arg}`);
      return op === '-' ? (arg ?? '') : '';
    },
  );
}

test('the worker runs against BigQuery with only the settings compose passes it', async () => {
  const worker = services['contrail-worker']!;
  const host = {
    CONTRAIL_BIGQUERY_PROJECT: 'moz-fx-data-experiments',
    CONTRAIL_BIGQUERY_DATASET: 'mozanalysis',
    GOOGLE_APPLICATION_CREDENTIALS_FILE: '/home/me/key.json',
    CONTRAIL_METRIC_HUB: '/home/me/metric-hub',
  };
  const env = Object.fromEntries(
    Object.entries(worker.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), host)]),
  );
  for (const key of [
    'CONTRAIL_BIGQUERY_PROJECT',
    'CONTRAIL_BIGQUERY_DATASET',
    'CONTRAIL_BIGQUERY_LOCATION',
    'CONTRAIL_BIGQUERY_SOURCE_PROJECT',
    'CONTRAIL_BIGQUERY_MAX_BYTES_BILLED',
  ]) {
    assert.ok(key in env, `compose passes ${key}`);
  }
  assert.ok(!('CONTRAIL_BIGQUERY_ENDPOINT' in env), 'production talks to BigQuery itself, not an emulator');
  assert.deepEqual(bigQuerySettings(env), {
    project: 'moz-fx-data-experiments',
    sourceProject: 'moz-fx-data-shared-prod',
    location: 'US',
    apiEndpoint: null,
    maximumBytesBilled: null,
    requestTimeoutMs: 60_000,
  });
  // The worker's own start-up: the BigQuery adapter, with its BigQuery SQL renderer.
  const warehouse = await defaultActivityDeps({}, env).warehouse();
  assert.equal(warehouse.dialect, 'bigquery');
  await warehouse.close();
  assert.throws(
    () => interpolate(String(worker.environment?.CONTRAIL_BIGQUERY_PROJECT), {}),
    /set CONTRAIL_BIGQUERY_PROJECT/,
  );
});

test("the worker analyses Experimenter's experiments with the host's metric-hub checkout, not the demo's", () => {
  const worker = services['contrail-worker']!;
  const host = { CONTRAIL_METRIC_HUB: '/home/me/metric-hub', GOOGLE_APPLICATION_CREDENTIALS_FILE: '/k.json' };
  const env = Object.fromEntries(
    Object.entries(worker.environment ?? {})
      .filter(([k]) => !k.startsWith('CONTRAIL_BIGQUERY_') && k !== 'CONTRAIL_WAREHOUSE')
      .map(([k, v]) => [k, interpolate(String(v), host)]),
  );
  const sources = workerSources(env);
  assert.match(sources, /experiments Experimenter https:\/\/experimenter\.services\.mozilla\.com/);
  const repos = defaultConfigRepos(env);
  assert.ok(repos.length > 0);
  const volumes = (worker.volumes ?? []).map((v) => interpolate(v, host));
  for (const repo of repos) {
    assert.ok(
      volumes.includes(`/home/me/metric-hub:${repo}:ro`),
      `the config repo ${repo} is the host's checkout, mounted read-only: ${volumes.join(', ')}`,
    );
  }
  assert.throws(
    () =>
      (worker.volumes ?? []).map((v) => interpolate(v, { GOOGLE_APPLICATION_CREDENTIALS_FILE: '/k.json' })),
    /set CONTRAIL_METRIC_HUB/,
  );
});

test('every setting compose stops without is named in its header and in the README', () => {
  const text = readFileSync(`${root}docker-compose.yml`, 'utf8');
  const header = text.slice(0, text.indexOf('\nname:'));
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const required = [...new Set([...text.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1] as string))];
  assert.ok(required.includes('CONTRAIL_BUILD_ID'), required.join(', '));
  for (const name of required) {
    assert.ok(header.includes(name), `the compose file's header names ${name}`);
    assert.ok(readme.includes(name), `the README names ${name}`);
  }
});

test('the image has `contrail` on PATH, the name the commands its messages suggest give it', () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const workdir = /^WORKDIR (\S+)$/m.exec(runtime)?.[1];
  assert.match(runtime, /^COPY bin \.\/bin$/m);
  const path = /^ENV PATH=(\S+)$/m.exec(runtime)?.[1] ?? '';
  assert.ok(path.split(':').includes(`${workdir}/bin`), `PATH=${path} holds ${workdir}/bin`);
});

/**
 * Everything a worker (or a command run in its container) takes from its environment at start,
 * as one text: a variable that changes none of it is one contrail does not read.
 */
function startupReads(env: NodeJS.ProcessEnv): string {
  const attempt = (read: () => unknown) => {
    try {
      return read();
    } catch (error) {
      return `refused: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  return JSON.stringify({
    runtime: attempt(() => runtimeSettings(env)),
    warehouse: attempt(() => warehouseKind(env)),
    bigquery: attempt(() => bigQuerySettings(env)),
    dataset: attempt(() => resultsDataset(undefined, env)),
    sources: attempt(() => workerSources(env)),
    repos: attempt(() => defaultConfigRepos(env)),
    home: attempt(() => dataDirPath(env)),
  });
}

/** Variables the image and compose set for programs other than contrail's own code. */
const READ_BY_OTHERS: Record<string, string> = {
  // Google's auth library finds the service-account key by it.
  GOOGLE_APPLICATION_CREDENTIALS: 'google-auth-library/build/src/auth/googleauth.js',
  NODE_ENV: 'node',
  PATH: 'the shell',
};

test('every variable compose and the image set for the worker is one contrail reads: another value changes what it does', () => {
  const worker = services['contrail-worker']!;
  const host = {
    CONTRAIL_BIGQUERY_PROJECT: 'moz-fx-data-experiments',
    CONTRAIL_BIGQUERY_DATASET: 'mozanalysis',
    GOOGLE_APPLICATION_CREDENTIALS_FILE: '/home/me/key.json',
    CONTRAIL_METRIC_HUB: '/home/me/metric-hub',
  };
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const imageEnv = Object.fromEntries(
    [...runtime.matchAll(/^ENV (\w+)=(\S*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
  const env: NodeJS.ProcessEnv = {
    ...imageEnv,
    CONTRAIL_BUILD_ID: '4f2a9c81d0e3',
    ...Object.fromEntries(
      Object.entries(worker.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), host)]),
    ),
  };
  // Another value of each, one contrail takes: a renamed variable leaves the worker as it was.
  const other: Record<string, string> = {
    TEMPORAL_ADDRESS: 'temporal.example.internal:7233',
    TEMPORAL_NAMESPACE: 'analysis',
    CONTRAIL_TASK_QUEUE: 'contrail-search',
    TEMPORAL_UI_URL: 'http://temporal-ui.example.internal:8080',
    CONTRAIL_WAREHOUSE: 'duckdb',
    CONTRAIL_BIGQUERY_PROJECT: 'another-project',
    CONTRAIL_BIGQUERY_DATASET: 'another_dataset',
    CONTRAIL_BIGQUERY_LOCATION: 'EU',
    CONTRAIL_BIGQUERY_SOURCE_PROJECT: 'another-source-project',
    CONTRAIL_BIGQUERY_MAX_BYTES_BILLED: '1000000000',
    CONTRAIL_EXPERIMENTER_URL: 'https://experimenter.example.internal',
    CONTRAIL_CONFIG_REPOS: '/srv/another-metric-hub',
    CONTRAIL_BUILD_ID: '0123456789ab',
    CONTRAIL_HOME: '/var/lib/another',
  };
  const set = Object.keys(env).filter((name) => !(name in READ_BY_OTHERS));
  assert.deepEqual(set.sort(), Object.keys(other).sort(), 'each variable set has another value to try here');
  const before = startupReads(env);
  for (const name of set) {
    assert.notEqual(
      startupReads({ ...env, [name]: other[name] }),
      before,
      `${name}=${other[name]} changes nothing contrail reads at start: does the code still read ${name}?`,
    );
  }
  const library = readFileSync(
    `${root}node_modules/${READ_BY_OTHERS.GOOGLE_APPLICATION_CREDENTIALS}`,
    'utf8',
  );
  assert.ok(
    library.includes("'GOOGLE_APPLICATION_CREDENTIALS'") ||
      library.includes('"GOOGLE_APPLICATION_CREDENTIALS"'),
  );
  // The meaning: the Temporal of compose, its namespace, contrail's queue, the UI compose publishes.
  const settings = runtimeSettings(env);
  assert.equal(settings.temporalAddress, 'temporal:7233');
  assert.equal(settings.namespace, 'default');
  assert.equal(settings.taskQueue, 'contrail');
  const ui = new URL(settings.temporalUiUrl ?? '');
  assert.ok(
    services['temporal-ui']!.ports?.includes(`${ui.port}:8080`),
    `TEMPORAL_UI_URL ${ui} is where compose publishes the Web UI: ${services['temporal-ui']!.ports?.join(', ')}`,
  );
  assert.equal(services['temporal-ui']!.environment?.TEMPORAL_CORS_ORIGINS, ui.origin);
  assert.equal(settings.buildId, '4f2a9c81d0e3');
  assert.equal(dataDirPath(env), imageEnv.CONTRAIL_HOME);
  assert.ok(
    worker.volumes?.some((v) => v.endsWith(`:${imageEnv.CONTRAIL_HOME}`)),
    'the data directory is a volume',
  );
});
