import type { CommandModule } from 'yargs';
import { DEFAULT_DASHBOARD_PORT, dashboardUrl } from '../../dashboard/url.js';
import { CliError } from '../errors.js';

interface DashboardArgs {
  dataset_id?: string;
  experiment_slug?: string;
  port: number;
  sql_output_dir: string[];
}

/** The datasets the workflows write by default: previews, then the daily analysis. */
async function defaultDatasets(): Promise<{ preview: string; production: string }> {
  const { AnalyzeExperimentInput, PreviewInput } = await import('../../workflows/inputs.js');
  return {
    preview: PreviewInput.parse({ slug: 'dashboard' }).dataset,
    production: AnalyzeExperimentInput.parse({ slug: 'dashboard', date: '2026-01-01' }).dataset,
  };
}

export const dashboardCommand: CommandModule<object, DashboardArgs> = {
  command: 'dashboard',
  describe: 'Serve the results page (charts, numbers, SQL, errors, query costs) on loopback',
  builder: (y) =>
    y
      .option('dataset_id', {
        alias: ['dataset-id', 'dataset'],
        type: 'string',
        describe: 'Dataset shown first (default: the preview dataset; the page switches datasets)',
      })
      .option('experiment_slug', {
        alias: ['experiment-slug', 'slug'],
        type: 'string',
        describe: 'Experiment shown first (default: the first in the dataset)',
      })
      .option('port', {
        type: 'number',
        default: DEFAULT_DASHBOARD_PORT,
        describe: 'Port on 127.0.0.1 (0 picks a free one)',
      })
      .option('sql_output_dir', {
        alias: ['sql-output-dir'],
        type: 'string',
        array: true,
        default: [],
        describe: 'Directories of .sql files written by `preview --sql-output-dir`, shown with the results',
      }) as never,
  handler: async (args) => {
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
      throw new CliError(`--port ${args.port}: give a port number from 1 to 65535, or 0 for a free one`, 2);
    }
    // Only the embedded warehouse has an adapter in this build (as for the worker).
    const { warehouseKind } = await import('../../settings.js');
    const kind = warehouseKind(process.env);
    if (kind !== 'duckdb') {
      throw new CliError(
        `CONTRAIL_WAREHOUSE=${kind}: the dashboard reads the embedded DuckDB warehouse only in this build (valid: duckdb)`,
      );
    }
    const { existsSync, statSync } = await import('node:fs');
    for (const dir of args.sql_output_dir) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new CliError(`--sql-output-dir '${dir}' is not a directory`, 2);
      }
    }
    const { assertDataset, InvalidIdentifierError } = await import('../../warehouse/identifiers.js');
    const datasets = await defaultDatasets();
    const dataset = args.dataset_id ?? datasets.preview;
    try {
      assertDataset(dataset);
    } catch (error) {
      if (error instanceof InvalidIdentifierError) throw new CliError(`--dataset_id: ${error.message}`, 2);
      throw error;
    }
    const { warehouseFile } = await import('../../paths.js');
    const { duckdbDialect } = await import('../../sql/render/duckdb.js');
    const { embeddedResultDatasets, embeddedSessions } = await import('../../dashboard/embedded.js');
    const { startDashboard } = await import('../../dashboard/server.js');
    const path = warehouseFile();
    let server: Awaited<ReturnType<typeof startDashboard>>;
    try {
      server = await startDashboard({
        sessions: embeddedSessions(path),
        dialect: duckdbDialect(),
        defaultDataset: dataset,
        knownDatasets: [datasets.preview, datasets.production],
        listDatasets: embeddedResultDatasets,
        sqlDirs: args.sql_output_dir,
        port: args.port,
        log: (line) => process.stderr.write(`${line}\n`),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new CliError(
          `--port ${args.port} is in use on 127.0.0.1: pass another --port, or 0 for a free one`,
        );
      }
      throw error;
    }
    // A preview of this warehouse names this dashboard's address (whatever its port) from the note.
    const { noteDashboard } = await import('../dashboard-note.js');
    const forget = noteDashboard(path, { port: server.port, sqlDirs: args.sql_output_dir });
    const url = dashboardUrl({
      port: server.port,
      dataset,
      ...(args.experiment_slug ? { experiment: args.experiment_slug } : {}),
    });
    // A closed terminal (SIGHUP) stops it as Ctrl-C does: the note beside the warehouse goes with
    // it. Listening before the address is printed: Ctrl-C right after it must not kill it.
    const { nextInterrupt } = await import('../interrupt.js');
    const interrupted = nextInterrupt();
    process.stdout.write(
      [
        `contrail dashboard: ${url}`,
        `  reads ${path} (opened for each answer and closed after it, so other commands can write)`,
        `  SQL: ${args.sql_output_dir.length ? args.sql_output_dir.join(', ') : 'none (pass --sql-output-dir <dir> to show it)'}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await interrupted;
    forget();
    await server.close();
    process.stdout.write('dashboard stopped.\n');
  },
};
