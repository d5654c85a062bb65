import type { CommandModule } from 'yargs';
import type { HealthReport } from '../../activities/health.js';

export const doctorCommand: CommandModule<object, { verbose?: boolean; json: boolean }> = {
  command: 'doctor',
  describe: 'Check the whole chain: Temporal, a worker, an activity and the warehouse',
  builder: (yargs) =>
    yargs.option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON' }),
  handler: async (args) => {
    const { withTemporal } = await import('../embedded.js');
    const { defaultActivityDeps } = await import('../runtime.js');
    const report = await withTemporal(
      async ({ client, taskQueue, address, embedded }) => {
        const started = Date.now();
        const result: HealthReport = await client.workflow.execute('healthCheck', {
          taskQueue,
          workflowId: `health/${new Date().toISOString()}`,
          workflowExecutionTimeout: '2 minutes',
        });
        return { ...result, address, embedded, roundTripMs: Date.now() - started };
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
        `  warehouse  ${report.dialect} answered a query`,
        '',
      ].join('\n'),
    );
  },
};
