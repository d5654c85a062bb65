import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { dataDir } from '../../paths.js';
import { CliError } from '../errors.js';

interface ServerArgs {
  port: number;
  'ui-port'?: number;
  'db-filename'?: string;
  namespace: string;
}

export const serverCommand: CommandModule<object, ServerArgs> = {
  command: 'server',
  describe: 'Run a local Temporal dev server (SQLite under the data directory, Web UI on) for contrail',
  builder: (y) =>
    y
      .option('port', { type: 'number', default: 7233, describe: 'gRPC port' })
      .option('ui-port', {
        alias: 'ui_port',
        type: 'number',
        describe: 'Web UI port (default: gRPC port + 1000)',
      })
      .option('db-filename', {
        alias: 'db_filename',
        type: 'string',
        describe: 'SQLite file (default: <data dir>/temporal.sqlite)',
      })
      .option('namespace', {
        type: 'string',
        default: 'default',
        describe:
          'Temporal namespace the server creates (the other commands use TEMPORAL_NAMESPACE, default: default)',
      }),
  handler: async (args) => {
    const { checkedDbFilename, checkedPort } = await import('../option-values.js');
    const port = checkedPort('--port', args.port);
    const uiPort = args['ui-port'] === undefined ? port + 1000 : checkedPort('--ui-port', args['ui-port']);
    if (uiPort > 65535)
      throw new CliError(
        `--port ${port}: the Web UI would listen on port ${uiPort} (--port + 1000), above 65535; pass --ui-port, or a --port of at most 64535`,
        2,
      );
    if (uiPort === port)
      throw new CliError(`--ui-port ${uiPort} is --port's too: give the Web UI another port`, 2);
    const { startDevServer } = await import('../dev-server.js');
    const given = args['db-filename'];
    const dbFile = given === undefined ? join(dataDir(), 'temporal.sqlite') : checkedDbFilename(given);
    const { INTERRUPTS } = await import('../interrupt.js');
    let stopping = false;
    const server = await startDevServer({
      port: args.port,
      uiPort,
      dbFile,
      namespace: args.namespace,
      // Once it is stopping, its own system workers complain of the connections it closes: noise.
      log: (line) => {
        if (!stopping) process.stderr.write(`${line}\n`);
      },
    });
    const stop = () => {
      stopping = true;
      process.stdout.write('stopping the Temporal dev server…\n');
      void server.stop();
    };
    // Listening before it says it is up: Ctrl-C right after that line must stop it, not kill it.
    for (const signal of INTERRUPTS) process.once(signal, stop);
    process.stdout.write(
      [
        `Temporal dev server for contrail is up.`,
        `  gRPC address: ${server.address}   (export TEMPORAL_ADDRESS=${server.address})`,
        `  Web UI:       ${server.uiUrl}`,
        `  namespace:    ${server.namespace}`,
        `  database:     ${dbFile}`,
        `Press Ctrl-C to stop.`,
        '',
      ].join('\n'),
    );
    const code = await server.exited;
    for (const signal of INTERRUPTS) process.off(signal, stop);
    // A server that ends on its own (not by Ctrl-C) failed: say so and pass its exit code on.
    if (!stopping)
      throw new CliError(`the Temporal dev server stopped by itself (exit ${code ?? 'unknown'})`, code || 1);
    process.stdout.write(`Temporal dev server stopped${code ? ` (exit ${code})` : ''}.\n`);
  },
};
