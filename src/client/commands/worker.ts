import type { NativeConnection } from '@temporalio/worker';
import type { CommandModule } from 'yargs';
import { runtimeSettings } from '../../settings.js';
import { CliError } from '../errors.js';

interface WorkerArgs {
  address?: string;
  'task-queue'?: string;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe:
    "Run a worker serving contrail's workflows and activities (TEMPORAL_ADDRESS, default localhost:7233)",
  builder: (y) =>
    y
      .option('address', {
        type: 'string',
        describe: 'Temporal frontend (default: TEMPORAL_ADDRESS or localhost:7233)',
      })
      .option('task-queue', {
        type: 'string',
        describe: 'Task queue (default: CONTRAIL_TASK_QUEUE or contrail)',
      }),
  handler: async (args) => {
    const { connectWorker, createContrailWorker } = await import('../../worker.js');
    const { defaultActivityDeps } = await import('../runtime.js');
    const settings = runtimeSettings();
    const address = args.address ?? settings.temporalAddress ?? 'localhost:7233';
    const taskQueue = args['task-queue'] ?? settings.taskQueue;
    let connection: NativeConnection;
    let timer: NodeJS.Timeout | undefined;
    try {
      // NativeConnection has no connect deadline of its own: bound it so a dead address fails fast.
      connection = await Promise.race([
        connectWorker(address, 'INFO'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 8 s')), 8_000);
        }),
      ]);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new CliError(`cannot reach Temporal at ${address}: ${reason}`);
    } finally {
      clearTimeout(timer);
    }
    const deps = defaultActivityDeps();
    const worker = await createContrailWorker({
      connection,
      namespace: settings.namespace,
      taskQueue,
      deps,
    });
    const { dropExpiredEvery } = await import('../../warehouse/expiry.js');
    const expiry = dropExpiredEvery(deps.warehouse, {
      log: (line) => process.stderr.write(`contrail worker: ${line}\n`),
    });
    process.stdout.write(
      `contrail worker on ${address}, namespace ${settings.namespace}, task queue ${taskQueue}\n`,
    );
    try {
      // The SDK installs SIGINT/SIGTERM handlers that drain in-flight tasks, then resolve run().
      await worker.run();
    } finally {
      expiry.stop();
      await connection.close();
    }
    process.stdout.write('contrail worker stopped.\n');
  },
};
