import type { Client } from '@temporalio/client';
import type { LogMetadata } from '@temporalio/common';
import {
  type ActivityInterceptorsFactory,
  DefaultLogger,
  type Logger,
  type LogLevel,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { type ActivityDeps, createActivities } from './activities/index.js';
import type { TemporalTls } from './settings.js';
import { makeCurrentIfNone, recordOwnRelease, type VersionStanding } from './temporal/worker-deployments.js';
import { ownManifestEntry } from './versions/manifest.js';
import { workflowSource } from './workflow-source.js';

export interface ContrailWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /**
   * The activity dependencies. With `deps.deployment` set, the worker joins that Worker
   * Deployment as the version `deps.toolVersion.buildId`: pinned workflows (each analysis)
   * then run only on workers of their build, and workflows started without a pin run on the
   * deployment's current version and stay there (PINNED).
   */
  deps: ActivityDeps;
  /** Tracks the activities the worker runs, for what its stop says (`contrail worker`). */
  inFlight?: ActivitiesInFlight;
  /** Extra worker options (tests tune concurrency and shutdown). */
  overrides?: Partial<WorkerOptions>;
  env?: NodeJS.ProcessEnv;
}

let runtimeInstalled = false;

/**
 * The signals on which the SDK drains a worker: its own (SIGINT, SIGTERM, SIGQUIT, SIGUSR2) and
 * a closed terminal's SIGHUP. Left to Node's default, SIGHUP ended a worker started in a terminal
 * mid-activity, its activities left to Temporal's heartbeat timeout; drained, they finish or go
 * back to Temporal at once. `nohup` cannot keep a worker running either way: Node resets the
 * signal dispositions it inherits, SIGHUP's ignore among them.
 */
export const WORKER_STOP_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGQUIT',
  'SIGUSR2',
  'SIGHUP',
];

/** Reads the SDK's log entries before they are printed: true when it said the entry its own way. */
export interface LogObserver {
  observe(message: string, meta?: LogMetadata): boolean;
}

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/**
 * The SDK logs every worker state change at INFO; a CLI run on the embedded default should
 * show contrail's output, not those. `CONTRAIL_LOG_LEVEL` overrides; set once per process.
 * The native core's own lines are forwarded to the same logger, which writes to stderr:
 * left to itself core prints them to stdout with terminal colours, into `--json` output.
 * An observer sees core's WARN lines whatever the level (a lost server is said from them) and
 * replaces the lines it says its own way, unless the level asks for DEBUG or TRACE.
 */
function installRuntime(level: LogLevel, shutdownOnSignals: boolean, observer?: LogObserver): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const printed = new DefaultLogger(level);
  const logger: Logger = observer
    ? {
        log: (l, message, meta) => {
          if (observer.observe(message, meta) && SEVERITY[level] > SEVERITY.DEBUG) return;
          printed.log(l, message, meta);
        },
        trace: (message, meta) => logger.log('TRACE', message, meta),
        debug: (message, meta) => logger.log('DEBUG', message, meta),
        info: (message, meta) => logger.log('INFO', message, meta),
        warn: (message, meta) => logger.log('WARN', message, meta),
        error: (message, meta) => logger.log('ERROR', message, meta),
      }
    : printed;
  const coreLevel = observer && SEVERITY[level] > SEVERITY.WARN ? 'WARN' : level;
  Runtime.install({
    shutdownSignals: shutdownOnSignals ? [...WORKER_STOP_SIGNALS] : [],
    logger,
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: coreLevel }), forward: {} } },
  });
}

/**
 * The worker-side connection. Installs the SDK runtime first (its logger must be chosen
 * before the first native connection) at `logLevel`; callers give `CONTRAIL_LOG_LEVEL`, checked
 * (`runtimeSettings().sdkLogLevel`), before their own default.
 * `shutdownOnSignals` (default true): the SDK drains the worker on `WORKER_STOP_SIGNALS`; a command
 * that handles those signals itself (the embedded mode cancels its workflows first) says false.
 * `observer` reads the SDK's log entries first (`contrail worker` says a lost server from them).
 */
export async function connectWorker(
  address: string,
  /** TLS and API key (runtimeSettings().temporalTls); null = a plain connection. */
  tls: TemporalTls | null,
  logLevel: LogLevel = 'WARN',
  options: { shutdownOnSignals?: boolean; observer?: LogObserver } = {},
): Promise<NativeConnection> {
  installRuntime(logLevel, options.shutdownOnSignals ?? true, options.observer);
  return await NativeConnection.connect({ address, ...(tls?.connectionOptions() ?? {}) });
}

/** How long activities under way get to finish once the worker stops, before they are cancelled. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * How far apart, at most, the worker sends a running activity's heartbeats to the server. A
 * cancellation reaches an activity only in the answer to one, and the SDK's own default spaces
 * them 80% of the heartbeat timeout apart (12 s of the workflows' 15 s): a cancelled analysis
 * computed on, or kept its query running, for up to 12 s. Capped at a second, it hears the
 * cancellation at the next heartbeat its step sends (every second while statistics compute or a
 * BigQuery job is polled, every 2 s while a DuckDB query runs, every 5 s from the keep-alive
 * otherwise). The price: up to 60 heartbeat calls a minute per running activity where the
 * default made 5, each a write on the server (and a billed action on Temporal Cloud); a worker
 * runs a few activities at once, each for seconds to minutes.
 */
export const HEARTBEAT_THROTTLE_MS = 1_000;

/**
 * The activities a worker runs now, and how those that end once it has begun to stop ended:
 * finished (completed or failed on their own) or cancelled by the stop (Temporal retries them
 * on another worker). What a stopping worker says comes from here.
 */
export class ActivitiesInFlight {
  private readonly running = new Map<number, string>();
  private next = 0;
  private stopping = false;
  /** Of the activities that ended since the stop began. */
  readonly sinceStop = { finished: 0, cancelled: 0 };

  /** The activity types running now, one entry per activity. */
  types(): string[] {
    return [...this.running.values()];
  }

  /** The worker has begun to stop: from now on each activity's end is counted. */
  beginStop(): void {
    this.stopping = true;
  }

  readonly interceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      execute: async (input, next) => {
        const id = this.next++;
        this.running.set(id, ctx.info.activityType);
        let cancelled = false;
        try {
          return await next(input);
        } catch (error) {
          cancelled = ctx.cancellationSignal.aborted;
          throw error;
        } finally {
          this.running.delete(id);
          if (this.stopping) this.sinceStop[cancelled ? 'cancelled' : 'finished']++;
        }
      },
    },
  });
}

/**
 * The options every contrail worker runs with, embedded or on a cluster (`contrail worker`),
 * beside its connection, activities and workflows: its Worker Deployment version when it has
 * one, how often its activities' heartbeats reach the server, its shutdown grace and the
 * activity interceptor that tracks what is in flight.
 */
export function contrailWorkerOptions(options: {
  deployment: string | null;
  buildId: string;
  inFlight?: ActivitiesInFlight;
}): Pick<
  WorkerOptions,
  'workerDeploymentOptions' | 'maxHeartbeatThrottleInterval' | 'shutdownGraceTime' | 'interceptors'
> {
  return {
    ...(options.deployment === null
      ? {}
      : {
          workerDeploymentOptions: {
            version: { deploymentName: options.deployment, buildId: options.buildId },
            useWorkerVersioning: true,
            // A run stays on the build it started on: an analysis computes all its windows
            // with one build, and a parent's history replays on the code that wrote it.
            defaultVersioningBehavior: 'PINNED' as const,
          },
        }),
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
    // Activities heartbeat while warehouse jobs run; give them time to notice a shutdown.
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
    ...(options.inFlight ? { interceptors: { activity: [options.inFlight.interceptor] } } : {}),
  };
}

/** A worker serving all of contrail's workflows and activities on one task queue. */
export async function createContrailWorker(options: ContrailWorkerOptions): Promise<Worker> {
  const env = options.env ?? process.env;
  const { deployment, toolVersion } = options.deps;
  return await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    // Tests that start several workers bundle the workflows once and pass the bundle.
    ...(options.overrides?.workflowBundle ? {} : await workflowSource(env)),
    ...contrailWorkerOptions({
      deployment,
      buildId: toolVersion.buildId,
      ...(options.inFlight ? { inFlight: options.inFlight } : {}),
    }),
    ...options.overrides,
  });
}

/**
 * Records a versioned worker's release on its own deployment version: its manifest entry's
 * version and `breaking` flag, for the keys an operator has not set (the version exists once
 * the worker has polled, so this waits for it). The first build of a deployment also makes
 * itself current, so that a fresh installation runs (of builds starting at once, the first to
 * claim it; the others learn which); later builds wait for the operator. Returns what it
 * recorded and where the version stands; null for an unversioned worker.
 */
export async function recordWorkerRelease(
  client: Client,
  deps: Pick<ActivityDeps, 'deployment' | 'toolVersion' | 'releaseManifest'>,
): Promise<({ recorded: Record<string, unknown> } & VersionStanding) | null> {
  if (deps.deployment === null) return null;
  const entry = ownManifestEntry(deps.releaseManifest(), deps.toolVersion.version);
  const ref = { client, namespace: client.options.namespace, deploymentName: deps.deployment };
  const recorded = await recordOwnRelease(ref, deps.toolVersion.buildId, entry);
  return { recorded, ...(await makeCurrentIfNone(ref, deps.toolVersion.buildId)) };
}
