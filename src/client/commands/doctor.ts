import type { CommandModule } from 'yargs';
import type { HealthReport } from '../../activities/health.js';

export const doctorCommand: CommandModule<object, { verbose?: boolean }> = {
  command: 'doctor',
  describe: 'Check the whole chain: Temporal, a worker, an activity and the warehouse',
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
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  },
};
