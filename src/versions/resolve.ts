import type { ConfigCollection } from '../config/collection.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { readAnchor } from './anchor.js';
import type { Pin, PinReason, VersionOverride } from './pin.js';
import {
  describeRelease,
  type Release,
  ReleaseRegistryError,
  releasedInOrder,
  UnknownReleaseError,
} from './release.js';

export interface ToolResolution<R extends Release = Release> {
  release: R;
  reason: PinReason;
}

/**
 * Which release an experiment's analysis runs on (the seed's rule, DESIGN "Tooling versions
 * and pins"):
 *  - no anchor yet (no enrollments): the latest release;
 *  - otherwise the newest release at or before the anchor, or the earliest when the anchor
 *    is older than every release;
 *  - a `breaking` release after the anchor moves the experiment to it; with several, to the
 *    newest: each breaking release declares every result before it unfit to continue, so
 *    stopping at an older breaking one would continue results a newer one has ruled out
 *    (it is also where applying "the anchor moves to that release" repeatedly ends);
 *  - `--use-latest` takes the latest release, `--use-version` the release with that build
 *    id or version, released or only deployed.
 * Releases without a release time (deployed, never made current) are only chosen by
 * `--use-version`. Pure: the same inputs give the same release.
 */
export function resolveRelease<R extends Release>(
  releases: readonly R[],
  anchor: string | Date | null,
  override: VersionOverride = null,
): ToolResolution<R> {
  if (override !== null && override !== 'latest')
    return { release: releaseNamed(releases, override.version), reason: 'use-version' };
  const released = releasedInOrder(releases);
  const latest = released.at(-1);
  if (!latest) {
    throw new ReleaseRegistryError(
      releases.length === 0
        ? 'no contrail release is known: no worker deployment version (or release manifest entry) to pin to'
        : `no contrail release has been made current yet (deployed: ${releases.map(describeRelease).join(', ')}); make one current, e.g. temporal worker deployment set-current-version`,
    );
  }
  if (override === 'latest') return { release: latest, reason: 'use-latest' };
  if (anchor === null) return { release: latest, reason: 'no-anchor' };

  const at = anchorTime(anchor);
  const breaking = released.findLast((r) => r.breaking && Date.parse(r.releasedAt) > at);
  if (breaking) return { release: breaking, reason: 'breaking' };
  const atOrBefore = released.findLast((r) => Date.parse(r.releasedAt) <= at);
  if (atOrBefore) return { release: atOrBefore, reason: 'anchor' };
  return { release: released[0] as R, reason: 'before-first-release' };
}

function anchorTime(anchor: string | Date): number {
  const at = anchor instanceof Date ? anchor.getTime() : Date.parse(anchor);
  if (Number.isNaN(at)) throw new TypeError(`invalid anchor ${String(anchor)}: expected an ISO 8601 time`);
  return at;
}

/** The release `--use-version` names: a build id, else a version that exactly one build has. */
export function releaseNamed<R extends Release>(releases: readonly R[], wanted: string): R {
  const byBuild = releases.find((r) => r.buildId === wanted);
  if (byBuild) return byBuild;
  const byVersion = releases.filter((r) => r.version === wanted);
  if (byVersion.length === 1) return byVersion[0] as R;
  const known = releases.map(describeRelease).join(', ') || 'none';
  if (byVersion.length > 1) {
    throw new UnknownReleaseError(
      `use-version=${wanted} names ${byVersion.length} builds (${byVersion.map((r) => r.buildId).join(', ')}): give the build id`,
      { wanted, builds: byVersion.map((r) => r.buildId) },
    );
  }
  throw new UnknownReleaseError(
    `use-version=${wanted} is not a known contrail version or build id; known: ${known}`,
    {
      wanted,
      known: releases.map((r) => ({ version: r.version, buildId: r.buildId })),
    },
  );
}

/** The pin a resolution and the config commit read for it make. */
export function pinOf(
  resolution: ToolResolution,
  anchor: string | Date | null,
  configCommit: string | null,
  now: Date,
): Pin {
  return {
    toolVersion: resolution.release.version,
    buildId: resolution.release.buildId,
    configCommit,
    anchor: anchor === null ? null : new Date(anchorTime(anchor)).toISOString(),
    reason: resolution.reason,
    resolvedAt: now.toISOString(),
  };
}

export interface ResolveExperimentPinInput<R extends Release> {
  warehouse: Warehouse;
  /** Dataset holding the experiment's result tables (its enrollments table carries the anchor). */
  dataset: string;
  slug: string;
  releases: readonly R[];
  override: VersionOverride;
  /**
   * The config repos as of the anchor (the newest commit at or before it), or as they are now
   * without one (a worker caches these by commit).
   */
  configsAsOf: (anchor: Date | null) => Promise<ConfigCollection>;
  now: Date;
}

/**
 * An experiment's pin: its anchor from the warehouse, the release by `resolveRelease`, and the
 * config repos read as of the anchor. Overrides choose the tooling only: configs stay at the
 * anchor, which only `rerun` and `rerun-skip` move (a breaking tooling release says nothing
 * about metric definitions, so it does not pull in config changes made since the anchor).
 * The collection read is returned so the caller need not read the repos again.
 */
export async function resolveExperimentPin<R extends Release>(
  input: ResolveExperimentPinInput<R>,
): Promise<{ pin: Pin; release: R; collection: ConfigCollection }> {
  const anchor = await readAnchor(input.warehouse, input.dataset, input.slug);
  const resolution = resolveRelease(input.releases, anchor, input.override);
  const collection = await input.configsAsOf(anchor);
  return {
    pin: pinOf(resolution, anchor, collection.commit, input.now),
    release: resolution.release,
    collection,
  };
}

/**
 * The pin of the build that runs the caller, with the configs as they are now: what a preview
 * computes with (it shows a config author today's tooling, and its tables expire).
 */
export function runningPin(
  running: { version: string; buildId: string },
  configCommit: string | null,
  now: Date,
): Pin {
  return {
    toolVersion: running.version,
    buildId: running.buildId,
    configCommit,
    anchor: null,
    reason: 'running',
    resolvedAt: now.toISOString(),
  };
}
