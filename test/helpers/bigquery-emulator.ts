import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BigQueryWarehouse, type BigQueryWarehouseOptions } from '../../src/warehouse/bigquery.js';
import { allowOnlyLoopback } from './loopback.js';
import { freePort, retriedWhenPortTaken, startServerProcess } from './processes-net.js';

/**
 * The BigQuery emulator (PyPI local-bigquery, installed into .tools by scripts/setup.sh) on
 * free loopback ports with a throwaway data directory, and a BigQueryWarehouse pointed at it
 * through Google's real client. Nothing leaves loopback: the emulator runs with the DuckDB
 * extensions installed beside it, the client gets an explicit endpoint and never looks for the
 * cloud metadata server, and this process refuses any other connection.
 */
const tools = fileURLToPath(new URL('../../.tools/bigquery-emulator/', import.meta.url));

export const EMULATOR_PROJECT = 'contrail-test';

export interface BigQueryEmulator {
  endpoint: string;
  project: string;
  /**
   * Where the emulator keeps Cloud Storage: a file written at `<storageDir>/<bucket>/<name>`
   * is the object `gs://<bucket>/<name>` its load jobs read.
   */
  storageDir: string;
  warehouse(options?: Partial<BigQueryWarehouseOptions>): BigQueryWarehouse;
  stop(): Promise<void>;
}

export async function startBigQueryEmulator(): Promise<BigQueryEmulator> {
  allowOnlyLoopback();
  // Google's auth library would otherwise probe the metadata server of a cloud VM.
  process.env.METADATA_SERVER_DETECTION = 'none';
  const binary = join(tools, 'venv', 'bin', 'local-bigquery');
  if (!existsSync(binary)) {
    throw new Error(
      `BigQuery emulator not installed at ${binary}: run \`npm run setup\` (scripts/install-bigquery-emulator.sh)`,
    );
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'contrail-bigquery-emulator-'));
  const { server, endpoint } = await retriedWhenPortTaken(async () => {
    const [port, grpcPort] = [await freePort(), await freePort()];
    const endpoint = `http://127.0.0.1:${port}`;
    const server = await startServerProcess(
      binary,
      [
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--grpc-port',
        String(grpcPort),
        '--project',
        EMULATOR_PROJECT,
        '--data-dir',
        dataDir,
      ],
      {
        name: 'BigQuery emulator',
        timeoutMs: 60_000,
        // DuckDB finds the extensions installed from PyPI under this HOME.
        env: { ...process.env, HOME: join(tools, 'home'), PYTHONDONTWRITEBYTECODE: '1' },
        ready: async () => {
          const response = await fetch(`${endpoint}/bigquery/v2/projects/${EMULATOR_PROJECT}/datasets`);
          return response.ok;
        },
      },
    );
    return { server, endpoint };
  });
  return {
    endpoint,
    project: EMULATOR_PROJECT,
    storageDir: join(dataDir, 'gcs'),
    warehouse: (options = {}) =>
      new BigQueryWarehouse({
        project: EMULATOR_PROJECT,
        sourceProject: 'moz-fx-data-shared-prod',
        location: 'US',
        apiEndpoint: endpoint,
        maximumBytesBilled: null,
        pollIntervalMs: 50,
        ...options,
      }),
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
