/**
 * `contrail validate --dry_run` of the demo experiment's config against recorded BigQuery
 * answers on loopback, each answer taking as long as BigQuery's dry runs typically do: how long
 * the check of one config takes, and how many dry runs it sends.
 * Run: node --import tsx bench/validate-dry-run.ts [latency ms]
 */
import { join } from 'node:path';
import { main } from '../src/client/cli.js';
import { startReplayServer } from '../test/helpers/bigquery-replay.js';
import { DEMO_CONFIG_REPO } from '../test/helpers/sample.js';

const LATENCY_MS = Number(process.argv[2] ?? 300);
const server = await startReplayServer();
server.latencyMs = LATENCY_MS;
Object.assign(process.env, {
  METADATA_SERVER_DETECTION: 'none',
  CONTRAIL_WAREHOUSE: 'bigquery',
  CONTRAIL_BIGQUERY_PROJECT: 'contrail-recorded',
  CONTRAIL_BIGQUERY_ENDPOINT: server.endpoint,
});
const write = process.stdout.write.bind(process.stdout);
try {
  process.stdout.write = (() => true) as typeof process.stdout.write;
  const started = performance.now();
  const code = await main([
    'validate',
    join(DEMO_CONFIG_REPO, 'jetstream', 'contrail-demo-sidebar.toml'),
    '--config_repos',
    DEMO_CONFIG_REPO,
    '--dry_run',
    '--no-check_sql',
  ]);
  const ms = performance.now() - started;
  process.stdout.write = write;
  console.log(
    `validate --dry_run of the demo config, ${LATENCY_MS} ms a dry run: ${(ms / 1000).toFixed(1)} s, ${server.requests.length} dry runs (exit ${code})`,
  );
} finally {
  process.stdout.write = write;
  await server.stop();
}
