import { ContrailError } from '../errors.js';

/**
 * A released build of contrail. Pins name one; the resolution rule orders them by release
 * time. In a Temporal deployment every Worker Deployment Version is one (see deployment.ts);
 * embedded, the release manifest shipped in the package lists them (see manifest.ts).
 */
export interface Release {
  /** contrail's version (package.json) of this build; `unknown` when the server has no record of it. */
  version: string;
  /**
   * The exact build: the Worker Deployment Version's build id. Null for a manifest entry of
   * an earlier release, whose build this installation cannot know.
   */
  buildId: string | null;
  /**
   * When the release became available to new analyses (ISO 8601): the first time its
   * deployment version became current or ramping; the manifest's date embedded. Null for a
   * build that is deployed but was never made current: only `--use-version` selects it.
   */
  releasedAt: string | null;
  /**
   * Results computed by earlier releases must not be continued: experiments anchored before
   * this release move to it.
   */
  breaking: boolean;
}

/** `0.2.0 (build 4f2a9c)`: how messages name a release. */
export function describeRelease(release: Release): string {
  return release.buildId === null || release.buildId === release.version
    ? release.version
    : `${release.version} (build ${release.buildId})`;
}

/** Released builds, oldest first (ties keep their given order); unreleased builds are left out. */
export function releasedInOrder<R extends Release>(releases: readonly R[]): (R & { releasedAt: string })[] {
  return releases
    .map((release, index) => ({
      release,
      index,
      at: release.releasedAt === null ? Number.NaN : time(release),
    }))
    .filter((r) => !Number.isNaN(r.at))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map((r) => r.release as R & { releasedAt: string });
}

function time(release: Release): number {
  const ms = Date.parse(release.releasedAt ?? '');
  if (Number.isNaN(ms)) {
    throw new ReleaseRegistryError(
      `release ${describeRelease(release)} has an invalid release time ${JSON.stringify(release.releasedAt)}: expected ISO 8601, e.g. 2026-03-01T00:00:00Z`,
    );
  }
  return ms;
}

/** The release registry cannot be read or does not make sense (bad manifest entry, bad version metadata). */
export class ReleaseRegistryError extends ContrailError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { permanent: true, details });
    this.name = 'ReleaseRegistryError';
  }
}

/** A `--use-version` that names no known release, or names several. */
export class UnknownReleaseError extends ContrailError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { permanent: true, details });
    this.name = 'UnknownReleaseError';
  }
}
