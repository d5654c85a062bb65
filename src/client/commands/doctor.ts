import type { Client } from '@temporalio/client';
import type { CommandModule } from 'yargs';
import type { HealthReport } from '../../activities/health.js';
import { contrailCommand } from '../../command-name.js';
import { plural } from '../../plural.js';
import { runtimeSettings } from '../../settings.js';
import type { DeploymentVersionFacts } from '../../versions/deployment.js';
import type { VersionWork } from '../../versions/report.js';
import type { healthCheck } from '../../workflows/health.js';
import type { WorkflowName } from '../../workflows/registered.js';
import type { Poller } from '../held-up.js';
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
    let versions: DeploymentServed = { deploymentName: '', versions: [] };
    const report = await withTemporal(
      async ({ client, taskQueue, address, embedded, followed }) => {
        const started = Date.now();
        const { noWorkerLine, pollerLine, pollersLine, taskQueuePollers } = await import('../held-up.js');
        if (!embedded) {
          // The missing link named at once, rather than after the check's two minutes.
          const { CliError } = await import('../errors.js');
          const listed = await taskQueuePollers(client, taskQueue);
          if (listed.length === 0)
            throw new CliError(`Temporal at ${address} answered, but ${noWorkerLine(taskQueue)}`);
          const silent = await silentWorkers(listed, address, taskQueue);
          if (silent !== null) throw new CliError(silent);
          versions = await deploymentVersionsServed(client, taskQueue);
          // Runs started without a pin (this check among them) go to the current version: with
          // no worker of it, the check would only wait its two minutes.
          const routed = versions.versions.filter((v) => v.routing !== 'inactive' && v.pollers === 0);
          if (routed.length > 0) {
            const { temporalCliCommand } = await import('../temporal-binary.js');
            throw new CliError(
              `Temporal at ${address} answered, but ${unservedRoutedLine(routed, versions, taskQueue, temporalCliCommand())}`,
            );
          }
        }
        const workflowId = `health/${new Date().toISOString()}`;
        followed.push(workflowId);
        let result: HealthReport;
        const watch = new AbortController();
        let gaveUp: unknown = null;
        try {
          result = await Promise.race([
            client.workflow.execute<typeof healthCheck>('healthCheck' satisfies WorkflowName, {
              taskQueue,
              workflowId,
              workflowExecutionTimeout: '2 minutes',
            }),
            ...(embedded
              ? []
              : [
                  noLiveWorker(client, address, taskQueue, watch.signal).catch((error: unknown) => {
                    gaveUp = error;
                    throw error;
                  }),
                ]),
          ]);
        } catch (error) {
          if (gaveUp === null) throw await failedLink(error, address, taskQueue);
          // Given up before its time: the check must not run later on a worker that starts.
          await client.workflow
            .getHandle(workflowId)
            .terminate('contrail doctor gave up: no live worker')
            .catch(() => undefined);
          throw gaveUp;
        } finally {
          watch.abort();
        }
        const roundTripMs = Date.now() - started;
        const tls = runtimeSettings().temporalTls;
        // Counted after the check, when every worker (the embedded one too) has polled.
        const [pollers, ranBy] = await Promise.all([
          taskQueuePollers(client, taskQueue),
          checkWorker(client, workflowId),
        ]);
        return {
          ...result,
          address,
          embedded,
          ...(tls && !embedded ? { connection: tls.describe() } : {}),
          roundTripMs,
          taskQueue,
          ranBy,
          pollers,
          workers: pollersLine(taskQueue, pollers),
          workerLines: pollers.map(pollerLine),
          waitingVersions: waitingLines(versions, taskQueue),
        };
      },
      {
        deps: defaultActivityDeps,
        log: (line) => process.stderr.write(`${line}\n`),
        verbose: args.verbose ?? false,
      },
    );
    // Every link answered, yet work waits for a build no worker runs: the chain the check took is
    // not the one those runs need, and they would wait for ever without a word.
    const waiting = waitingVersions(versions);
    const stuck =
      waiting.length === 0
        ? null
        : `${waiting.map((v) => `${waitingWork(v)} for a worker of ${buildName(v)}`).join('; ')}, which no worker runs`;
    process.stdout.write(
      args.json ? `${JSON.stringify(report, null, 2)}\n` : doctorReport(report, stuck !== null),
    );
    if (stuck !== null) {
      const { CliError } = await import('../errors.js');
      throw new CliError(stuck);
    }
  },
};

/** What doctor found, as `contrail doctor` prints it for a person: one line per link. */
export interface DoctorReport extends HealthReport {
  address: string;
  embedded: boolean;
  /** How the connection to a cluster is made (TemporalTls.describe): never the API key. */
  connection?: string;
  roundTripMs: number;
  ranBy: string | null;
  workers: string;
  workerLines: string[];
  /** One line per build that runs wait for and no worker runs (`waitingLines`). */
  waitingVersions: string[];
}

/**
 * The report for a person: each link and what answered on it. The warehouse line names the
 * warehouse the worker reached (the project, and the endpoint when CONTRAIL_BIGQUERY_ENDPOINT
 * sets one; DuckDB's file), so an operator checking a deployment sees it is the one meant; a
 * worker of an older build names only its kind.
 */
export function doctorReport(report: DoctorReport, stuck = false): string {
  return [
    stuck
      ? 'contrail doctor: every link answered, but work waits for a build no worker runs'
      : 'contrail doctor: every link answered',
    `  Temporal   ${report.address}${report.embedded ? ' (a private dev server for this command)' : ''}${report.connection ? ` (${report.connection})` : ''}, round trip ${report.roundTripMs} ms`,
    `  worker     contrail ${report.toolVersion} (build ${report.buildId})${report.ranBy ? ` on ${report.ranBy}` : ''} ran the check`,
    `  workers    ${report.workers}`,
    ...report.workerLines.map((line) => `               ${line}`),
    `  warehouse  ${report.warehouse ?? report.dialect} answered a query`,
    ...report.waitingVersions.map((line, i) => `  ${i === 0 ? 'versions ' : '         '}  ${line}`),
    '',
  ].join('\n');
}

/** A version of the Worker Deployment as doctor judges it: where runs go, what waits on it, who serves it. */
export interface ServedVersion extends VersionWork {
  version: string;
  routing: DeploymentVersionFacts['routing'];
}

export interface DeploymentServed {
  deploymentName: string;
  versions: ServedVersion[];
}

/**
 * The versions of the deployment the workers join (`CONTRAIL_DEPLOYMENT`), each with its open
 * workflows and its workers polling `taskQueue` now: none when the deployment does not exist
 * (unversioned workers).
 */
async function deploymentVersionsServed(client: Client, taskQueue: string): Promise<DeploymentServed> {
  const { runtimeSettings } = await import('../../settings.js');
  const { describeDeploymentVersions, versionWork } = await import('../../temporal/worker-deployments.js');
  const { LIVE_POLL_MS } = await import('../held-up.js');
  const ref = {
    client,
    namespace: client.options.namespace,
    deploymentName: runtimeSettings().deploymentName,
  };
  const facts = await describeDeploymentVersions(ref);
  if (facts.length === 0) return { deploymentName: ref.deploymentName, versions: [] };
  // A worker is live as doctor counts one elsewhere: it polled within the last minute or so.
  const work = await versionWork(
    ref,
    taskQueue,
    facts.map((f) => f.buildId),
    new Date(),
    LIVE_POLL_MS,
  );
  return {
    deploymentName: ref.deploymentName,
    versions: facts.map((f, i) => ({
      ...(work[i] as VersionWork),
      version: typeof f.metadata.version === 'string' ? f.metadata.version : 'unknown',
      routing: f.routing,
    })),
  };
}

/** `contrail 0.1.0+4f2a9c81d0e3`, as `contrail status` names the build a run waits for. */
function buildName(v: ServedVersion): string {
  return `contrail ${v.version}+${v.buildId}`;
}

/** `2 workflows wait`, `1 workflow waits`: what waits for a version's worker. */
function waitingWork(v: ServedVersion): string {
  return `${plural(v.openWorkflows, 'workflow')} ${v.openWorkflows === 1 ? 'waits' : 'wait'}`;
}

/** Versions that runs were sent to (pinned there) and that no worker polls: those runs wait. */
export function waitingVersions(served: DeploymentServed): ServedVersion[] {
  return served.versions.filter((v) => v.openWorkflows > 0 && v.pollers === 0);
}

/** One line per waiting version: what waits, and the worker that would serve it. */
export function waitingLines(served: DeploymentServed, taskQueue: string): string[] {
  return waitingVersions(served).map(
    (v) =>
      `${buildName(v)}: ${waitingWork(v)} for a worker of this build, and none polls task queue '${taskQueue}': start one with \`${contrailCommand()} worker --build-id ${v.buildId}\` (\`${contrailCommand()} versions\` says what is pinned to it)`,
  );
}

/**
 * The deployment's current (or ramping) version has no worker: every run started without a pin
 * waits for one. Named with what would serve it, and the builds that do have workers.
 */
export function unservedRoutedLine(
  routed: readonly ServedVersion[],
  served: DeploymentServed,
  taskQueue: string,
  /** The Temporal CLI as the printed command names it (temporalCliCommand). */
  temporal = 'temporal',
): string {
  const live = served.versions.filter((v) => v.pollers > 0);
  const named = routed
    .map((v) => `${buildName(v)}, the ${v.routing} version of worker deployment ${served.deploymentName},`)
    .join(' nor of ');
  const start = routed.map((v) => `\`${contrailCommand()} worker --build-id ${v.buildId}\``).join(' and ');
  const instead =
    live.length === 0
      ? ''
      : `, or make a build whose workers poll current (\`${temporal} worker deployment set-current-version --deployment-name ${served.deploymentName} --build-id ${(live[0] as ServedVersion).buildId} --yes\`; polling: ${live.map(buildName).join(', ')})`;
  const runs = routed.some((v) => v.routing === 'current')
    ? 'every run started without a pin (the daily run, backfills, reruns, previews, this check) waits'
    : 'the share of runs started without a pin that it ramps to waits';
  return `no worker of ${named} polls task queue '${taskQueue}': ${runs} for one; start one with ${start}${instead}`;
}

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
      `Temporal at ${address} answered, but no worker of task queue '${taskQueue}' finished the check within 2 minutes: the workers it lists as polling may have stopped (the server lists one for a minute or so after); start one with \`${contrailCommand()} worker\``,
    );
  const link = activity
    ? `Temporal at ${address} and a worker answered, but the warehouse did not`
    : `the check did not finish on Temporal at ${address}`;
  return new CliError(`${link}: ${failureMessage(error)}`);
}

/**
 * The identity of the worker that ran the check's activity (from its history), to tell it from
 * the others the server lists; null when the history does not say.
 */
async function checkWorker(client: Client, workflowId: string): Promise<string | null> {
  const history = await client.workflow
    .getHandle(workflowId)
    .fetchHistory()
    .catch(() => null);
  for (const event of history?.events ?? []) {
    const identity = event.activityTaskStartedEventAttributes?.identity;
    if (identity) return identity;
  }
  return null;
}

/**
 * What to say when every worker the server lists has been silent for longer than a live worker
 * ever is (the server lists a stopped one for a while after its last poll); null when one of
 * them may be live.
 */
async function silentWorkers(
  listed: readonly Poller[],
  address: string,
  taskQueue: string,
): Promise<string | null> {
  const { LIVE_POLL_MS, pollerNamed } = await import('../held-up.js');
  if (!listed.every((p) => p.lastPolledMs > LIVE_POLL_MS)) return null;
  return `Temporal at ${address} answered, but no worker has polled task queue '${taskQueue}' for over a minute (the server still lists ${listed.map(pollerNamed).join(', ')}, which a live worker never is: ${listed.length === 1 ? 'it has' : 'they have'} likely stopped); start one with \`${contrailCommand()} worker\``;
}

/**
 * Rejects once no worker that may be live is listed on the task queue while the check waits
 * (a worker that died stays listed for a minute or so, and a live one takes the check at once),
 * saying so first when the check has waited WAITING_NOTE_MS: the operator learns what the list
 * says and the check gives up as soon as it shows no live worker, not after its two minutes.
 * Never settles otherwise; stops asking once `signal` is aborted.
 */
async function noLiveWorker(
  client: Client,
  address: string,
  taskQueue: string,
  signal: AbortSignal,
): Promise<never> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  const { CliError } = await import('../errors.js');
  const { noWorkerLine, pollerNamed, taskQueuePollers } = await import('../held-up.js');
  let said = false;
  for (let waited = 0; ; waited += LIVE_WORKER_CHECK_MS) {
    await sleep(LIVE_WORKER_CHECK_MS, undefined, { signal, ref: false }).catch(() => undefined);
    if (signal.aborted) return await new Promise<never>(() => undefined);
    const pollers = await taskQueuePollers(client, taskQueue).catch(() => null);
    if (signal.aborted || pollers === null) continue;
    if (pollers.length === 0)
      throw new CliError(
        `Temporal at ${address} answered, but no worker took the check and ${noWorkerLine(taskQueue)}`,
      );
    const silent = await silentWorkers(pollers, address, taskQueue);
    if (silent !== null) throw new CliError(silent);
    if (!said && waited + LIVE_WORKER_CHECK_MS >= WAITING_NOTE_MS) {
      said = true;
      process.stderr.write(
        `contrail: still waiting for a worker of task queue '${taskQueue}' to take the check; the server lists ${pollers.map(pollerNamed).join(', ')}, but a live worker takes the check at once: ${pollers.length === 1 ? 'it has' : 'they have'} likely stopped; the check gives up once no listed worker has polled for over a minute, or after 2 minutes\n`,
      );
    }
  }
}

/** How long the check waits for a worker before it says it is waiting. */
const WAITING_NOTE_MS = 15_000;
/** How often the task queue's workers are looked at while the check waits. */
const LIVE_WORKER_CHECK_MS = 5_000;
