import type { CommandModule } from 'yargs';
import type { HealthReport } from '../../activities/health.js';
import type { healthCheck } from '../../workflows/health.js';
import type { WorkflowName } from '../../workflows/registered.js';
import { verboseOption } from '../options.js';

export const doctorCommand: CommandModule<object, { verbose?: boolean; json: boolean }> = {
  command: 'doctor',
  describe: 'Check the whole chain: Temporal, a worker, an activity and the warehouse',
  builder: (yargs) =>
    verboseOption(
      yargs.option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON' }),
      'sdk-warnings',
    ),
  handler: async (args) => {
    const { withTemporal } = await import('../embedded.js');
    const { defaultActivityDeps } = await import('../runtime.js');
    const report = await withTemporal(
      async ({ client, taskQueue, address, embedded, followed }) => {
        const started = Date.now();
        const { noWorkerLine, pollersLine, taskQueuePollers } = await import('../held-up.js');
        if (!embedded) {
          // The missing link named at once, rather than after the check's two minutes.
          const { CliError } = await import('../errors.js');
          if ((await taskQueuePollers(client, taskQueue)).length === 0)
            throw new CliError(`Temporal at ${address} answered, but ${noWorkerLine(taskQueue)}`);
        }
        const workflowId = `health/${new Date().toISOString()}`;
        followed.push(workflowId);
        let result: HealthReport;
        // A worker that died stays listed as polling for a minute or so: the check then waits
        // for one, which is said while it waits rather than only when its two minutes are up.
        const waiting = setTimeout(
          () =>
            process.stderr.write(
              `contrail: still waiting for a worker of task queue '${taskQueue}' to take the check (one listed as polling may have stopped); giving up after 2 minutes\n`,
            ),
          WAITING_NOTE_MS,
        );
        waiting.unref();
        try {
          result = await client.workflow.execute<typeof healthCheck>('healthCheck' satisfies WorkflowName, {
            taskQueue,
            workflowId,
            workflowExecutionTimeout: '2 minutes',
          });
        } catch (error) {
          throw await failedLink(error, address, taskQueue);
        } finally {
          clearTimeout(waiting);
        }
        const roundTripMs = Date.now() - started;
        // Counted after the check, when every worker (the embedded one too) has polled.
        const pollers = await taskQueuePollers(client, taskQueue);
        return {
          ...result,
          address,
          embedded,
          roundTripMs,
          taskQueue,
          pollers,
          workers: pollersLine(taskQueue, pollers),
        };
      },
      {
        deps: defaultActivityDeps,
        log: (line) => process.stderr.write(`${line}\n`),
        verbose: args.verbose ?? false,
      },
    );
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      [
        'contrail doctor: every link answered',
        `  Temporal   ${report.address}${report.embedded ? ' (a private dev server for this command)' : ''}, round trip ${report.roundTripMs} ms`,
        `  worker     contrail ${report.toolVersion} (build ${report.buildId}) ran the check`,
        `  workers    ${report.workers}`,
        `  warehouse  ${report.dialect} answered a query`,
        '',
      ].join('\n'),
    );
  },
};

/**
 * Why the check failed, in the words of the link that failed: the workflow's own error says only
 * that it failed. The check's one activity is the warehouse's round trip, so an activity's
 * failure (its error, or its time running out) is the warehouse's.
 */
export async function failedLink(error: unknown, address: string, taskQueue: string): Promise<unknown> {
  const { ActivityFailure, TimeoutFailure, WorkflowFailedError } = await import('@temporalio/client');
  if (!(error instanceof WorkflowFailedError)) return error;
  const { failureMessage } = await import('../follow.js');
  const { CliError } = await import('../errors.js');
  let activity = false;
  for (let cause: unknown = error.cause; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ActivityFailure) activity = true;
  }
  if (!activity && error.cause instanceof TimeoutFailure)
    return new CliError(
      `Temporal at ${address} answered, but no worker of task queue '${taskQueue}' finished the check within 2 minutes: the workers it lists as polling may have stopped (the server lists one for a minute or so after); start one with \`contrail worker\``,
    );
  const link = activity
    ? `Temporal at ${address} and a worker answered, but the warehouse did not`
    : `the check did not finish on Temporal at ${address}`;
  return new CliError(`${link}: ${failureMessage(error)}`);
}

/** How long the check waits for a worker before it says it is waiting. */
const WAITING_NOTE_MS = 15_000;
