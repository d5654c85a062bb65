import type { CommandModule } from 'yargs';
import { contrailCommand } from '../../command-name.js';
import { runtimeSettings } from '../../settings.js';
import type { Progress } from '../../workflows/common.js';
import { CliError } from '../errors.js';
import { followOption, verboseOption } from '../options.js';

interface StatusArgs {
  workflow_id?: string;
  follow: boolean;
  json: boolean;
  verbose?: boolean;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status [workflow_id]',
  describe:
    'Show a workflow (e.g. one started with --detach): follow it while it runs, then print its result; exit 1 if it or any of its work failed. Without an id: what runs now, with its progress',
  builder: (y) =>
    verboseOption(y, 'ok-experiments')
      .positional('workflow_id', {
        type: 'string',
        describe:
          'Workflow id, as the commands print it (e.g. analysis/<slug>/<date>); without it, every running workflow is listed',
      })
      .option(
        'follow',
        followOption('Wait for a running workflow to finish (--no-follow: print its progress and return)'),
      )
      .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' }),
  handler: async (args) => {
    const settings = runtimeSettings();
    // A usage error (exit 2), as cancel's: status's exit 1 says the workflow or its work failed.
    if (!settings.temporalAddress) {
      throw new CliError(
        'status reads workflows on a running Temporal: set TEMPORAL_ADDRESS (an embedded command keeps no server once it ends)',
        2,
      );
    }
    const { connectClient } = await import('../connect.js');
    const { failureMessage, followWorkflow, workflowUrl } = await import('../follow.js');
    const { progressLine } = await import('../progress-line.js');
    const { isAnalysisWorkflow } = await import('../outcomes.js');
    const { printOutcome } = await import('../workflow-command.js');
    const client = await connectClient(settings.temporalAddress, settings.namespace, settings.temporalTls);
    const { WorkflowFailedError, WorkflowNotFoundError } = await import('@temporalio/client');
    if (args.workflow_id === undefined) {
      try {
        const { listRunning, runningReport } = await import('../running.js');
        const running = await listRunning(client);
        process.stdout.write(
          `${runningReport(running, `${settings.temporalAddress} (namespace ${settings.namespace})`)}\n`,
        );
      } finally {
        await client.connection.close();
      }
      return;
    }
    const workflowId = args.workflow_id;
    try {
      const handle = client.workflow.getHandle(workflowId);
      let description: Awaited<ReturnType<typeof handle.describe>>;
      try {
        description = await handle.describe();
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) {
          const { unknownWorkflowMessage } = await import('../running.js');
          throw new CliError(
            await unknownWorkflowMessage(
              client,
              workflowId,
              `${settings.temporalAddress} (namespace ${settings.namespace})`,
            ),
          );
        }
        throw error;
      }
      const state = description.status.name.toLowerCase().replaceAll('_', ' ');
      const link = settings.temporalUiUrl
        ? ` (${workflowUrl(settings.temporalUiUrl, settings.namespace, workflowId)})`
        : '';
      process.stderr.write(
        `${workflowId}: ${description.type}, ${state}, started ${description.startTime.toISOString()}${link}\n`,
      );
      let result: unknown;
      if (description.status.name === 'RUNNING') {
        if (!args.follow) {
          const p = await client
            .withDeadline(Date.now() + 3_000, () => handle.query<Progress>('progress'))
            .catch(() => null);
          process.stdout.write(
            p
              ? `running: ${progressLine(p, null)}\n`
              : 'running: no progress answer (no worker is serving its task queue?)\n',
          );
          return;
        }
        // Ctrl-C stops following, not the workflow: said as the commands that start one say it.
        const { onInterrupt } = await import('../interrupt.js');
        const address = settings.temporalAddress;
        const stopInterrupts = onInterrupt(async (signal) => {
          process.stderr.write(
            `contrail: stopped following (${signal}); ${workflowId} keeps running on ${address}: \`${contrailCommand()} status ${workflowId}\` shows it\n`,
          );
          process.exit(130);
        });
        try {
          result = await followWorkflow(client, workflowId, {
            address,
            progressBar: process.stderr.isTTY === true,
            log: (line) => process.stderr.write(`${line}\n`),
          });
        } finally {
          stopInterrupts();
        }
      } else {
        try {
          result = await handle.result();
        } catch (error) {
          if (error instanceof WorkflowFailedError)
            throw new CliError(`${workflowId} ${state}: ${failureMessage(error)}`);
          throw error;
        }
      }
      if (isAnalysisWorkflow(description.type))
        printOutcome(description.type, result, args.json, { verbose: args.verbose ?? false });
      else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await client.connection.close();
    }
  },
};
