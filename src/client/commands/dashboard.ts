import type { CommandModule } from 'yargs';
import type { DatasetChoice } from '../../dashboard/api.js';
import { DEFAULT_DASHBOARD_PORT, dashboardUrl } from '../../dashboard/url.js';
import type { SqlDialect } from '../../sql/dialect.js';
import type { WarehouseSessions } from '../../warehouse/sessions.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { CliError } from '../errors.js';
import { sharedTextOption } from '../options.js';

interface DashboardArgs {
  dataset_id?: string;
  experiment_slug?: string;
  port: number;
  project_id?: string;
  sql_output_dir: string[];
}

/** The datasets the workflows write by default: previews, then the daily analysis. */
async function defaultDatasets(): Promise<{ preview: string; production: string }> {
  const { PreviewInput } = await import('../../workflows/inputs.js');
  return {
    preview: PreviewInput.parse({ slug: 'dashboard' }).dataset,
    production: (await import('../option-values.js')).resultsDataset(undefined, process.env),
  };
}

/** Where the page's data comes from, and how to say so. */
interface DashboardSource {
  sessions: WarehouseSessions;
  dialect: SqlDialect;
  listDatasets: (warehouse: Warehouse) => Promise<DatasetChoice[]>;
  /** What the start line says it reads. */
  reads: string;
}

/** The embedded DuckDB file, opened for each answer and closed after it. */
async function embeddedSource(env: NodeJS.ProcessEnv): Promise<DashboardSource> {
  const { warehouseFile } = await import('../../paths.js');
  const { duckdbDialect } = await import('../../sql/render/duckdb.js');
  const { embeddedContrailDatasets, embeddedSessions, readOnlyWarehouse } = await import(
    '../../dashboard/embedded.js'
  );
  const path = warehouseFile(env);
  const readOnly = readOnlyWarehouse(path);
  return {
    sessions: embeddedSessions(path, { readOnly }),
    dialect: duckdbDialect(),
    listDatasets: embeddedContrailDatasets,
    reads: readOnly
      ? `${path} read-only (its directory cannot be written; opened for each answer and closed after it)`
      : `${path} (opened for each answer and closed after it, so other commands can write)`,
  };
}

/** contrail's BigQuery project (CONTRAIL_BIGQUERY_*), as the workers that wrote the tables use it. */
async function bigQuerySource(env: NodeJS.ProcessEnv): Promise<DashboardSource> {
  const { commandBigQuerySettings } = await import('../bigquery-settings.js');
  const { BigQueryWarehouse } = await import('../../warehouse/bigquery.js');
  const { bigQueryDashboardSource } = await import('../../dashboard/bigquery.js');
  const settings = commandBigQuerySettings(env);
  const bigquery = new BigQueryWarehouse(settings);
  const { sessions, listDatasets } = bigQueryDashboardSource(bigquery);
  // Asked once before the page is served: a wrong project or missing credentials is said here,
  // not on every answer of a page that can show nothing.
  try {
    await listDatasets();
  } catch (error) {
    await sessions.close();
    const { warehouseMessageOf } = await import('../../warehouse/errors.js');
    throw new CliError(
      `cannot list the datasets of BigQuery project ${settings.project}: ${warehouseMessageOf(error)}`,
    );
  }
  return {
    sessions,
    dialect: bigquery.sqlDialect,
    listDatasets,
    reads: `BigQuery project ${settings.project} (location ${settings.location}): each answer runs a few small queries there, billed as any query (repeats come from BigQuery's cache)`,
  };
}

export const dashboardCommand: CommandModule<object, DashboardArgs> = {
  command: 'dashboard',
  describe: 'Serve the results page (charts, numbers, SQL, errors, query costs) on loopback',
  builder: (y) =>
    y
      .option(
        'dataset_id',
        sharedTextOption(
          'dataset_id',
          'Dataset shown first (default: the preview dataset; the page switches datasets)',
        ),
      )
      .option(
        'experiment_slug',
        sharedTextOption('experiment_slug', 'Experiment shown first (default: the first in the dataset)'),
      )
      .option('port', {
        type: 'number',
        default: DEFAULT_DASHBOARD_PORT,
        describe: 'Port on 127.0.0.1 (0 picks a free one)',
      })
      .option(
        'project_id',
        sharedTextOption(
          'project_id',
          'On BigQuery: the project of the result datasets (default: CONTRAIL_BIGQUERY_PROJECT)',
        ),
      )
      .option('sql_output_dir', {
        ...sharedTextOption(
          'sql_output_dir',
          'Directories of .sql files written by `preview --sql_output_dir`, shown with the results',
        ),
        array: true,
        default: [],
      }) as never,
  handler: async (args) => {
    const { checkedPort } = await import('../option-values.js');
    checkedPort('--port', args.port, { free: true });
    const { warehouseKind } = await import('../../settings.js');
    const kind = warehouseKind(process.env);
    const { embeddedWorkerEnv } = await import('../workflow-command.js');
    // Read as the embedded worker reads it: --project_id in place of CONTRAIL_BIGQUERY_PROJECT.
    const env = embeddedWorkerEnv(args, kind);
    const { existsSync, statSync } = await import('node:fs');
    for (const dir of args.sql_output_dir) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new CliError(`--sql_output_dir '${dir}' is not a directory`, 2);
      }
    }
    const { givenDataset } = await import('../option-values.js');
    const datasets = await defaultDatasets();
    const dataset =
      args.dataset_id === undefined
        ? datasets.preview
        : givenDataset(args.dataset_id, env, { reading: true });
    const { startDashboard } = await import('../../dashboard/server.js');
    const source = kind === 'bigquery' ? await bigQuerySource(env) : await embeddedSource(env);
    let server: Awaited<ReturnType<typeof startDashboard>>;
    try {
      server = await startDashboard({
        sessions: source.sessions,
        dialect: source.dialect,
        defaultDataset: dataset,
        knownDatasets: [datasets.preview, datasets.production],
        listDatasets: source.listDatasets,
        sqlDirs: args.sql_output_dir,
        port: args.port,
        log: (line) => process.stderr.write(`${line}\n`),
      });
    } catch (error) {
      await source.sessions.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new CliError(
          `--port ${args.port} is in use on 127.0.0.1: pass another --port, or 0 for a free one`,
        );
      }
      throw error;
    }
    // A preview of this warehouse names this dashboard's address (whatever its port) from the note.
    const { noteDashboard } = await import('../dashboard-note.js');
    const { warehousePlace } = await import('../warehouse-place.js');
    const forget = noteDashboard(warehousePlace(kind, env), {
      port: server.port,
      sqlDirs: args.sql_output_dir,
    });
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
        `  reads ${source.reads}`,
        `  SQL: ${args.sql_output_dir.length ? args.sql_output_dir.join(', ') : 'none (pass --sql_output_dir <dir> to show it)'}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    const signal = await interrupted;
    forget();
    await server.close();
    // Stopped by a signal, as every interrupted command is: exit 130, once the note is gone and
    // the port is free, so a script that started it can tell Ctrl-C from a dashboard that failed.
    throw new CliError(`interrupted (${signal}): the dashboard stopped`, 130);
  },
};
