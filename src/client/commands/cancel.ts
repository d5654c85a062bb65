import type { CommandModule } from 'yargs';
import { contrailCommand } from '../../command-name.js';
import { runtimeSettings } from '../../settings.js';
import { CliError } from '../errors.js';
import { followOption } from '../options.js';

interface CancelArgs {
  workflow_id: string;
  follow: boolean;
  json: boolean;
}

/**
 * Without TEMPORAL_ADDRESS there is no server that outlives a command: an embedded command
 * stops its own workflows on Ctrl-C, and once it has ended nothing of it runs.
 */
const CANCEL_NEEDS_CLUSTER =
  'cancel stops a workflow on a running Temporal: set TEMPORAL_ADDRESS. Without it commands run embedded: Ctrl-C stops one (cancelling its workflows), and its private server ends with it, so there is nothing to cancel';

export const cancelCommand: CommandModule<object, CancelArgs> = {
  command: 'cancel <workflow_id>',
  describe:
    'Cancel a workflow on a cluster (e.g. one started with --detach) and the analyses it started; wait until it has stopped, then say how far it had got and what that leaves of the published results',
  builder: (y) =>
    y
      .positional('workflow_id', {
        type: 'string',
        demandOption: true,
        describe: `Workflow id, as the commands print it (e.g. backfill/<slug>/<start>..<end>); \`${contrailCommand()} status\` lists them`,
      })
      .option(
        'follow',
        followOption(
          'Follow the workflow until it has stopped (--no-follow: request the cancellation and return)',
        ),
      )
      .option('json', { type: 'boolean', default: false, describe: 'Print what was cancelled as JSON' }),
  handler: async (args) => {
    const settings = runtimeSettings();
    const address = settings.temporalAddress;
    if (!address) throw new CliError(CANCEL_NEEDS_CLUSTER, 2);
    const { connectClient } = await import('../connect.js');
    const { cancelWorkflow } = await import('../cancel.js');
    const { onInterrupt } = await import('../interrupt.js');
    const id = args.workflow_id;
    // Ctrl-C stops this command, never the cancellation: said as far as it had got.
    let state: 'looking' | 'asking' | 'requested' = 'looking';
    const stopInterrupts = onInterrupt(async (signal) => {
      const said = {
        looking: `contrail: stopped (${signal}) before asking for the cancellation: ${id} was not cancelled`,
        asking: `contrail: stopped (${signal}) while asking for the cancellation of ${id}: \`${contrailCommand()} status ${id}\` shows whether it stops`,
        requested: `contrail: stopped waiting (${signal}); the cancellation of ${id} stays requested and goes on: \`${contrailCommand()} status ${id}\` shows how it ends`,
      };
      process.stderr.write(`${said[state]}\n`);
      process.exit(130);
    });
    const client = await connectClient(address, settings.namespace, settings.temporalTls);
    try {
      const report = await cancelWorkflow(client, id, {
        server: `${address} (namespace ${settings.namespace})`,
        address,
        follow: args.follow,
        progressBar: process.stderr.isTTY === true,
        log: (line) => process.stderr.write(`${line}\n`),
        onState: (now) => {
          state = now;
        },
      });
      if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${report.report === null ? '' : `${report.report}\n`}${report.summary}\n`);
    } finally {
      stopInterrupts();
      await client.connection.close();
    }
  },
};
