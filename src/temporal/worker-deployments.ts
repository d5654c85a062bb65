import { type Client, defaultPayloadConverter, isGrpcServiceError } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { mapBounded } from '../concurrency.js';
import { ContrailError } from '../errors.js';
import { type DeploymentVersionFacts, ownVersionMetadata } from '../versions/deployment.js';
import type { ManifestRelease } from '../versions/manifest.js';
import type { VersionWork } from '../versions/report.js';

/**
 * The Temporal server's side of the release registry: Worker Deployment versions, their
 * metadata, what runs on them, and retiring them. A thin adapter over the workflow service
 * (Temporal 1.29; the TypeScript SDK 1.24 has no deployment client of its own), called by
 * activities and the CLI; the rules live in src/versions.
 */
export interface DeploymentRef {
  client: Client;
  namespace: string;
  /** The Worker Deployment contrail's workers join (one per installation, e.g. `contrail`). */
  deploymentName: string;
}

/** Server calls of one report made at once: a cluster answers them side by side, within reason. */
const SERVER_CALLS_AT_ONCE = 8;

/** A worker of a version polled within this window: an idle worker re-polls at least every ~60 s. */
export const POLLER_RECENT_MS = 90_000;

/** Every version of the deployment with its routing, times and metadata; none before a worker polled. */
export async function describeDeploymentVersions(ref: DeploymentRef): Promise<DeploymentVersionFacts[]> {
  const service = ref.client.workflowService;
  let deployment: Awaited<ReturnType<typeof service.describeWorkerDeployment>>;
  try {
    deployment = await service.describeWorkerDeployment({
      namespace: ref.namespace,
      deploymentName: ref.deploymentName,
    });
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  const info = deployment.workerDeploymentInfo;
  const current = info?.routingConfig?.currentDeploymentVersion?.buildId ?? null;
  const ramping = info?.routingConfig?.rampingDeploymentVersion?.buildId ?? null;
  const summaries = (info?.versionSummaries ?? []).filter((s) => s.deploymentVersion?.buildId);
  // One describe call per version, independent of each other: side by side, in the listed order.
  const described = await mapBounded(summaries, SERVER_CALLS_AT_ONCE, (summary) =>
    describeListedVersion(ref, summary.deploymentVersion?.buildId as string),
  );
  const facts: DeploymentVersionFacts[] = [];
  for (const [i, summary] of summaries.entries()) {
    const buildId = summary.deploymentVersion?.buildId as string;
    const version = described[i] as Awaited<ReturnType<typeof describeListedVersion>>;
    const routing = buildId === current ? 'current' : buildId === ramping ? 'ramping' : 'inactive';
    // Servers before first-activation tracking still say since when a version is current or ramping.
    const activated =
      optionalTsToMs(summary.firstActivationTime) ??
      (routing === 'current' ? optionalTsToMs(summary.currentSinceTime) : undefined) ??
      (routing === 'ramping' ? optionalTsToMs(summary.rampingSinceTime) : undefined);
    facts.push({
      buildId,
      createdAt: new Date(optionalTsToMs(summary.createTime) ?? 0).toISOString(),
      firstActivatedAt: activated === undefined ? null : new Date(activated).toISOString(),
      routing,
      metadata: decodeMetadata(version.workerDeploymentVersionInfo?.metadata?.entries ?? {}),
    });
  }
  return facts;
}

function decodeMetadata(entries: Record<string, Payload>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, payload] of Object.entries(entries)) {
    try {
      out[key] = defaultPayloadConverter.fromPayload(payload);
    } catch {
      // Not contrail's key, or not JSON: kept as text so the registry can say what it found.
      out[key] = Buffer.from(payload.data ?? new Uint8Array()).toString('utf8');
    }
  }
  return out;
}

/** Sets metadata keys (JSON values) on a version and removes others. */
export async function updateVersionMetadata(
  ref: DeploymentRef,
  buildId: string,
  upsert: Record<string, unknown>,
  remove: string[] = [],
): Promise<void> {
  try {
    await ref.client.workflowService.updateWorkerDeploymentVersionMetadata({
      namespace: ref.namespace,
      deploymentVersion: { deploymentName: ref.deploymentName, buildId },
      upsertEntries: Object.fromEntries(
        Object.entries(upsert).map(([key, value]) => [key, defaultPayloadConverter.toPayload(value)]),
      ),
      removeEntries: remove,
    });
  } catch (error) {
    throw deploymentError(ref, buildId, 'cannot update the metadata of', error);
  }
}

/**
 * Records a starting worker's manifest entry (version, breaking) on its own version, for the
 * keys not set yet. The server creates the version when the worker first polls, so this
 * waits for it (up to `timeoutMs`). Returns the keys it wrote.
 */
export async function recordOwnRelease(
  ref: DeploymentRef,
  buildId: string,
  entry: Pick<ManifestRelease, 'version' | 'breaking'>,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const version = await ref.client.workflowService.describeWorkerDeploymentVersion({
        namespace: ref.namespace,
        deploymentVersion: { deploymentName: ref.deploymentName, buildId },
      });
      const existing = decodeMetadata(version.workerDeploymentVersionInfo?.metadata?.entries ?? {});
      const missing = ownVersionMetadata(entry, existing);
      if (Object.keys(missing).length > 0) await updateVersionMetadata(ref, buildId, missing);
      return missing;
    } catch (error) {
      if (!isNotFound(error) || Date.now() > deadline)
        throw deploymentError(ref, buildId, 'cannot record the release of', error);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Open workflows and recent pollers per version. Open workflows are counted from visibility
 * (`TemporalWorkerDeploymentVersion`, which a pinned override sets at start, before any
 * worker took a task); pollers from the task queue's poller list, which keeps a stopped
 * worker for minutes, so only pollers seen within `recentMs` count. `excluding` is a workflow
 * not to count: the report that asks, itself open on the current version while it asks.
 */
export async function versionWork(
  ref: DeploymentRef,
  taskQueue: string,
  buildIds: readonly string[],
  now: Date = new Date(),
  recentMs: number = POLLER_RECENT_MS,
  excluding: string | null = null,
): Promise<VersionWork[]> {
  const others = excluding === null ? '' : ` AND WorkflowId != ${JSON.stringify(excluding)}`;
  // The pollers and each version's count are independent calls: side by side.
  const [queue, counts] = await Promise.all([
    ref.client.workflowService.describeTaskQueue({
      namespace: ref.namespace,
      taskQueue: { name: taskQueue },
    }),
    mapBounded(buildIds, SERVER_CALLS_AT_ONCE, async (buildId) => {
      const { count } = await ref.client.workflow.count(
        `${versionQuery(ref.deploymentName, buildId)} AND ExecutionStatus = "Running"${others}`,
      );
      return count;
    }),
  ]);
  const recent = (queue.pollers ?? []).filter(
    (p) =>
      p.deploymentOptions?.deploymentName === ref.deploymentName &&
      now.getTime() - (optionalTsToMs(p.lastAccessTime) ?? 0) <= recentMs,
  );
  return buildIds.map((buildId, i) => ({
    buildId,
    openWorkflows: counts[i] as number,
    pollers: recent.filter((p) => p.deploymentOptions?.buildId === buildId).length,
  }));
}

/**
 * One version the deployment lists. The server registers a version asynchronously after its
 * first poll, so a version just listed can still answer NOT_FOUND for a moment: asked again
 * until `timeoutMs`.
 */
async function describeListedVersion(ref: DeploymentRef, buildId: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await ref.client.workflowService.describeWorkerDeploymentVersion({
        namespace: ref.namespace,
        deploymentVersion: { deploymentName: ref.deploymentName, buildId },
      });
    } catch (error) {
      if (!isNotFound(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The visibility query for runs of one version (`temporal workflow list --query …`). */
export function versionQuery(deploymentName: string, buildId: string): string {
  return `TemporalWorkerDeploymentVersion = "${deploymentName}:${buildId}"`;
}

/**
 * Where a starting worker's version stands once it claimed the deployment's current version:
 * how the claim came out, which build is current, and the version's own routing (a build that
 * is not current runs only what is pinned to it until the operator releases it).
 */
export interface VersionStanding {
  /**
   * `made`: it made its version current (the deployment had none); `had`: the deployment had a
   * current version already; `taken`: it found none but lost to another worker starting at the
   * same time, whose build (possibly its own) became current first.
   */
  claim: 'made' | 'had' | 'taken';
  /** The current version's build id (this one's when it is current). */
  currentBuildId: string;
  routing: DeploymentVersionFacts['routing'];
}

/** Claims lost to a routing change that left no version current (an operator's ramp) are tried again this often. */
const CLAIM_ATTEMPTS = 5;

/**
 * Makes the version current when the deployment has none (its first build): until a version is
 * current, workflows started without a pin wait, since versioned workers take no unversioned
 * tasks. Later builds are made current by the operator. Returns how the claim came out and
 * where the version stands.
 *
 * Workers of several builds can start at once on a fresh deployment, each finding no current
 * version. The set carries the conflict token of the describe that found none, so the server
 * takes only the first (every later one, its token outdated by that change, is refused with
 * FAILED_PRECONDITION) and the current version is the first claimant's, not whichever came
 * last; the others read who won. Measured on Temporal 1.29.1: the token changes only with the
 * routing (not when a version registers or its metadata changes), and a set of the version
 * already current succeeds whatever its token, changing nothing and answering that version as
 * the previous one.
 */
export async function makeCurrentIfNone(ref: DeploymentRef, buildId: string): Promise<VersionStanding> {
  for (let attempt = 1; ; attempt++) {
    const routing = await currentRouting(ref).catch((error: unknown) => {
      throw deploymentError(ref, buildId, 'cannot make current', error);
    });
    if (routing.current !== null)
      return {
        claim: attempt === 1 ? 'had' : 'taken',
        currentBuildId: routing.current,
        routing:
          buildId === routing.current ? 'current' : buildId === routing.ramping ? 'ramping' : 'inactive',
      };
    try {
      const previous = await setCurrent(ref, buildId, routing.conflictToken);
      // Another worker of this build made it current between the describe and the set.
      return { claim: previous === buildId ? 'taken' : 'made', currentBuildId: buildId, routing: 'current' };
    } catch (error) {
      if (!isConflict(error) || attempt >= CLAIM_ATTEMPTS)
        throw deploymentError(ref, buildId, 'cannot make current', error);
      // Refused for an outdated token: the next describe says who became current meanwhile.
    }
  }
}

/**
 * The deployment's current and ramping builds (null for none, or no deployment yet) and the
 * token of this read.
 */
async function currentRouting(
  ref: DeploymentRef,
): Promise<{ current: string | null; ramping: string | null; conflictToken: Uint8Array | null }> {
  try {
    const deployment = await ref.client.workflowService.describeWorkerDeployment({
      namespace: ref.namespace,
      deploymentName: ref.deploymentName,
    });
    const routing = deployment.workerDeploymentInfo?.routingConfig;
    return {
      current: routing?.currentDeploymentVersion?.buildId || null,
      ramping: routing?.rampingDeploymentVersion?.buildId || null,
      conflictToken: deployment.conflictToken?.length ? deployment.conflictToken : null,
    };
  } catch (error) {
    if (isNotFound(error)) return { current: null, ramping: null, conflictToken: null };
    throw error;
  }
}

/** Makes a version current: new workflows without an override run on it, and it becomes a release. */
export async function setCurrentVersion(ref: DeploymentRef, buildId: string): Promise<void> {
  try {
    await setCurrent(ref, buildId, null);
  } catch (error) {
    throw deploymentError(ref, buildId, 'cannot make current', error);
  }
}

/**
 * The server's set of the current version, refused when `conflictToken` is given and the
 * routing changed since the read that returned it. Returns the build that was current before.
 */
async function setCurrent(ref: DeploymentRef, buildId: string, conflictToken: Uint8Array | null) {
  const answer = await ref.client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: ref.namespace,
    deploymentName: ref.deploymentName,
    buildId,
    identity: ref.client.options.identity ?? 'contrail',
    ...(conflictToken === null ? {} : { conflictToken }),
  });
  return answer.previousDeploymentVersion?.buildId || null;
}

/** The server's refusal of a routing change made on an outdated read (FAILED_PRECONDITION, 9). */
function isConflict(error: unknown): boolean {
  return isGrpcServiceError(error) && error.code === 9 && /conflict token/i.test(error.details);
}

/**
 * Deletes a version from the server (its workers must have stopped polling some minutes
 * before). The server refuses the current or ramping version and, without `skipDrainage`,
 * one that is still draining; contrail checks its own pins and open work first (report.ts).
 */
export async function deleteVersion(
  ref: DeploymentRef,
  buildId: string,
  skipDrainage = false,
): Promise<void> {
  try {
    await ref.client.workflowService.deleteWorkerDeploymentVersion({
      namespace: ref.namespace,
      deploymentVersion: { deploymentName: ref.deploymentName, buildId },
      skipDrainage,
    });
  } catch (error) {
    throw deploymentError(ref, buildId, 'cannot delete', error);
  }
}

export function isNotFound(error: unknown): boolean {
  // gRPC status 5 is NOT_FOUND.
  return isGrpcServiceError(error) && error.code === 5;
}

function deploymentError(ref: DeploymentRef, buildId: string, what: string, error: unknown): DeploymentError {
  const message = isGrpcServiceError(error)
    ? error.details
    : error instanceof Error
      ? error.message
      : String(error);
  // Unavailable and deadline-exceeded (14, 4) are the server being away; everything else is the request.
  const transient = isGrpcServiceError(error) && (error.code === 14 || error.code === 4);
  return new DeploymentError(
    `${what} worker deployment version ${ref.deploymentName}:${buildId}: ${message}`,
    !transient,
    { deploymentName: ref.deploymentName, buildId },
  );
}

export class DeploymentError extends ContrailError {
  constructor(message: string, permanent: boolean, details: Record<string, unknown>) {
    super(message, { permanent, details });
    this.name = 'DeploymentError';
  }
}
