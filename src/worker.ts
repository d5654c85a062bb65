import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  type LogLevel,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { type ActivityDeps, createActivities } from './activities/index.js';

const packageRoot = fileURLToPath(new URL('../', import.meta.url));
const workflowsSource = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/**
 * Production runs a pre-built workflow bundle (`npm run build` writes dist/workflow-bundle.js;
 * `CONTRAIL_WORKFLOW_BUNDLE` overrides) so a worker starts without webpack; from source, the
 * worker bundles src/workflows when it starts.
 */
function workflowSource(env: NodeJS.ProcessEnv): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (env.CONTRAIL_WORKFLOW_BUNDLE) return { workflowBundle: { codePath: env.CONTRAIL_WORKFLOW_BUNDLE } };
  if (existsSync(workflowsSource)) return { workflowsPath: workflowsSource };
  return { workflowBundle: { codePath: `${packageRoot}dist/workflow-bundle.js` } };
}

export interface ContrailWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Extra worker options (tests tune concurrency and shutdown). */
  overrides?: Partial<WorkerOptions>;
  env?: NodeJS.ProcessEnv;
}

let runtimeInstalled = false;

/**
 * The SDK logs every worker state change at INFO; a CLI run on the embedded default should
 * show contrail's output, not those. `CONTRAIL_LOG_LEVEL` overrides; set once per process.
 * The native core's own lines are forwarded to the same logger, which writes to stderr:
 * left to itself core prints them to stdout with terminal colours, into `--json` output.
 */
function installRuntime(level: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} } },
  });
}

/**
 * The worker-side connection. Installs the SDK runtime first (its logger must be chosen
 * before the first native connection): WARN by default, `CONTRAIL_LOG_LEVEL` or `logLevel`.
 */
export async function connectWorker(address: string, logLevel: LogLevel = 'WARN'): Promise<NativeConnection> {
  installRuntime((process.env.CONTRAIL_LOG_LEVEL?.toUpperCase() || logLevel) as LogLevel);
  return await NativeConnection.connect({ address });
}

/** A worker serving all of contrail's workflows and activities on one task queue. */
export async function createContrailWorker(options: ContrailWorkerOptions): Promise<Worker> {
  const env = options.env ?? process.env;
  return await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...workflowSource(env),
    // Activities heartbeat while warehouse jobs run; give them time to notice a shutdown.
    shutdownGraceTime: '10s',
    ...options.overrides,
  });
}
