import type { NativeConnection } from '@temporalio/worker';
import type { CommandModule } from 'yargs';
import { useNameOnPath } from '../../command-name.js';
import { runtimeSettings, warehouseKind } from '../../settings.js';
import { shellWord } from '../../shell-words.js';
import type { VersionStanding } from '../../temporal/worker-deployments.js';
import { CliError } from '../errors.js';

interface WorkerArgs {
  address?: string;
  'task-queue'?: string;
  'build-id'?: string;
  deployment?: string;
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
        alias: 'task_queue',
        type: 'string',
        describe: 'Task queue (default: CONTRAIL_TASK_QUEUE or contrail)',
      })
      .option('build-id', {
        alias: 'build_id',
        type: 'string',
        describe:
          'Join the Worker Deployment as this build (default: CONTRAIL_BUILD_ID); without one the worker is unversioned and runs only its own build',
      })
      .option('deployment', {
        type: 'string',
        describe: 'Worker Deployment name (default: CONTRAIL_DEPLOYMENT or contrail)',
      }),
  handler: async (args) => {
    const {
      ActivitiesInFlight,
      connectWorker,
      createContrailWorker,
      recordWorkerRelease,
      SHUTDOWN_GRACE_MS,
    } = await import('../../worker.js');
    const { defaultActivityDeps, workerSourceProblems, workerSources } = await import('../runtime.js');
    const { addressProblem, CONNECT_DEADLINE_MS, connectClient, connectFailure } = await import(
      '../connect.js'
    );
    const settings = runtimeSettings();
    const address = args.address ?? settings.temporalAddress ?? 'localhost:7233';
    const taskQueue = args['task-queue'] ?? settings.taskQueue;
    const buildId = args['build-id'] ?? settings.buildId;
    const deployment = buildId === null ? null : (args.deployment ?? settings.deploymentName);
    // The build id names this worker's build everywhere (labels, pins), not only to the server.
    const env = buildId === null ? process.env : { ...process.env, CONTRAIL_BUILD_ID: buildId };
    const problems = workerSourceProblems(env);
    if (problems.length > 0) throw new CliError(`the worker would fail every run: ${problems.join('; ')}`);
    const deps = defaultActivityDeps({ deployment }, env);
    // A malformed address is said as such, not as the failed lookup of a host named like it.
    const problem = await addressProblem(address);
    if (problem !== null) throw new CliError(`cannot reach Temporal at ${address}: ${problem}`);
    // On the embedded warehouse file, an embedded command's analyses run on a server of its own,
    // which this worker's would not keep apart from its own: it serves once none runs, and says
    // it does so that an embedded command is not started beside it.
    let unserve = () => {};
    if (warehouseKind(env) === 'duckdb') {
      const { serveWarehouse } = await import('../claims.js');
      const { warehousePlace } = await import('../warehouse-place.js');
      unserve = await serveWarehouse(
        warehousePlace('duckdb', env),
        { address, namespace: settings.namespace, taskQueue },
        { env, waiting: (line) => process.stderr.write(`contrail worker: ${line}\n`) },
      );
    }
    const { ConnectionWatch, pollsAgain } = await import('../connection-watch.js');
    // The server lost while the worker runs is said once, as such, not as the SDK's retries.
    let identity: string | null = null;
    const watch = new ConnectionWatch({
      address,
      log: (line) => process.stderr.write(`contrail worker: ${line}\n`),
      probe: async (since) =>
        identity !== null &&
        (await pollsAgain(
          { address, namespace: settings.namespace, taskQueue, identity, tls: settings.temporalTls },
          since,
        )),
    });
    let connection: NativeConnection;
    let timer: NodeJS.Timeout | undefined;
    try {
      // NativeConnection has no connect deadline of its own: bound it so a dead address fails fast.
      connection = await Promise.race([
        connectWorker(address, settings.temporalTls, settings.sdkLogLevel ?? 'INFO', { observer: watch }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 8 s')), CONNECT_DEADLINE_MS);
        }),
      ]);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new CliError(
        `cannot reach Temporal at ${address}: ${await connectFailure(address, reason ?? '', settings.temporalTls)}`,
      );
    } finally {
      clearTimeout(timer);
    }
    const client = await connectClient(address, settings.namespace, settings.temporalTls, {
      addressChecked: true,
    }).catch(async (error: unknown) => {
      await connection.close();
      throw error;
    });
    // A worker that cannot be made must not keep its connections: their native threads would
    // keep the process alive after the error, deaf to SIGTERM.
    const inFlight = new ActivitiesInFlight();
    const worker = await createContrailWorker({
      connection,
      namespace: settings.namespace,
      taskQueue,
      deps,
      inFlight,
    }).catch(async (error: unknown) => {
      await client.connection.close();
      await connection.close();
      await deps.close?.();
      throw error;
    });
    identity = worker.options.identity;
    // The SDK drains the worker on these signals (its run() then resolves); what the stop does
    // is said here, and a second signal stops at once. Listening before the start line is
    // printed: a signal sent on seeing it must find the worker's handlers.
    const { Runtime } = await import('@temporalio/worker');
    const { abandonedLine, stoppedLine, stoppingLine } = await import('../worker-stop.js');
    const stopSignals = Runtime.instance().options.shutdownSignals;
    let stoppedBy: NodeJS.Signals | null = null;
    const onStopSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy !== null) {
        process.stderr.write(`contrail worker: ${abandonedLine(signal, inFlight.types())}\n`);
        process.exit(130);
      }
      stoppedBy = signal;
      inFlight.beginStop();
      process.stderr.write(`contrail worker: ${stoppingLine(signal, inFlight.types(), SHUTDOWN_GRACE_MS)}\n`);
    };
    for (const signal of stopSignals) process.on(signal, onStopSignal);
    const { dropExpiredEvery } = await import('../../warehouse/expiry.js');
    const expiry = dropExpiredEvery(deps.warehouse, {
      log: (line) => process.stderr.write(`contrail worker: ${line}\n`),
    });
    const build = `contrail ${deps.toolVersion.version}+${deps.toolVersion.buildId}`;
    process.stdout.write(
      `contrail worker on ${address}, namespace ${settings.namespace}, task queue ${taskQueue}, ${
        deployment === null
          ? `${build}, unversioned (set CONTRAIL_BUILD_ID to join a Worker Deployment)`
          : `deployment ${deployment}, build ${deps.toolVersion.buildId} (${build})`
      }\n  ${workerSources(env)}\n`,
    );
    // The release is recorded once the worker polls (the server creates the version then).
    const { temporalCliCommand } = await import('../temporal-binary.js');
    const recorded = deployment
      ? recordWorkerRelease(client, deps).then(
          (outcome) => {
            if (outcome === null) return;
            const version = { deployment, buildId: deps.toolVersion.buildId };
            for (const line of releaseRecordLines(outcome, version, temporalCliCommand()))
              process.stdout.write(`${line}\n`);
          },
          (error: unknown) =>
            process.stderr.write(
              `contrail worker: cannot record this build's release: ${error instanceof Error ? error.message : String(error)}\n`,
            ),
        )
      : Promise.resolve();
    // What the activities say from here on (a hint to run `contrail sample`) reaches whoever started
    // the run, in another process and directory: not this command line's bin/contrail.
    useNameOnPath();
    try {
      await worker.run();
    } finally {
      for (const signal of stopSignals) process.off(signal, onStopSignal);
      watch.stop();
      expiry.stop();
      await recorded;
      await client.connection.close();
      await connection.close();
      await deps.close?.();
      unserve();
    }
    // Stopped by a signal is this service's normal end (exit 0, as an orchestrator's SIGTERM
    // expects): work under way was finished or handed back to Temporal, which retries it.
    process.stdout.write(`${stoppedLine(stoppedBy, inFlight.sinceStop)}\n`);
  },
};

/**
 * What a versioned worker's start did to its deployment version, for the operator: the release
 * metadata it wrote (only keys the version lacked), and where the version stands, in one line.
 * A later build is not made current by its workers: until the operator does, they run only the
 * analyses pinned to it, which its start line alone would not tell apart from a serving build.
 * Of workers of two builds starting at once on a fresh deployment, the one that lost the claim
 * says the other's build became current first, so its operator does not take it for a release.
 */
export function releaseRecordLines(
  outcome: { recorded: Record<string, unknown> } & VersionStanding,
  own: { deployment: string; buildId: string },
  /** The Temporal CLI as the promoting command names it (temporalCliCommand). */
  temporal = 'temporal',
): string[] {
  const version = `${own.deployment}:${own.buildId}`;
  const current = `${own.deployment}:${outcome.currentBuildId}`;
  const lines: string[] = [];
  const keys = Object.entries(outcome.recorded);
  if (keys.length > 0)
    lines.push(`recorded the release on ${version}: ${keys.map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
  const promote = `make it current with \`${temporal} worker deployment set-current-version --deployment-name ${shellWord(own.deployment)} --build-id ${shellWord(own.buildId)} --yes\``;
  const serving = 'daily runs, backfills and reruns run on it, and new experiments pin to it';
  const raced = outcome.claim === 'taken' ? ': its worker, starting at the same time, claimed it first' : '';
  if (outcome.claim === 'made')
    lines.push(`made ${version} the deployment's current version (it had none): ${serving}`);
  else if (outcome.routing === 'current')
    lines.push(
      `${version} is the deployment's current version${
        outcome.claim === 'taken'
          ? ' (another worker of this build, starting at the same time, made it so)'
          : ''
      }: ${serving}`,
    );
  else if (outcome.routing === 'ramping')
    lines.push(
      `${version} is the deployment's ramping version (${current} is current${raced}): it takes the ramp's share of new runs and the analyses pinned to it; ${promote}`,
    );
  else
    lines.push(
      `${version} is NOT the deployment's current version (${current} is${raced}): this worker runs only the analyses pinned to this build (experiments pinned to it, runs given --use-version ${own.buildId}), while daily runs, backfills and reruns run on ${current} and new experiments pin to it; to release this build, ${promote}`,
    );
  return lines;
}
