import { z } from 'zod';
import { ContrailError } from '../errors.js';

/**
 * Why a pin names the release it names (see resolve.ts):
 *  - `anchor`: the newest release at or before the experiment's anchor;
 *  - `before-first-release`: the anchor is older than every release, so the earliest;
 *  - `breaking`: a breaking release came after the anchor and moved the experiment to it;
 *  - `no-anchor`: no enrollments yet, so the latest release;
 *  - `use-latest` / `use-version`: asked for explicitly.
 */
export const PinReason = z.enum([
  'anchor',
  'before-first-release',
  'breaking',
  'no-anchor',
  'use-latest',
  'use-version',
]);
export type PinReason = z.infer<typeof PinReason>;

/**
 * The tooling version and config commit one experiment's analysis is pinned to: resolved once
 * per run, kept in workflow state, passed to children and written on every result table.
 */
export const Pin = z
  .object({
    /** contrail's version of the pinned release. */
    toolVersion: z.string().min(1),
    /** The build to run on (the Worker Deployment Version's build id); null when the release's build is unknown. */
    buildId: z.string().min(1).nullable(),
    /** Config-repo commit(s) configs are read at (`+`-joined over repos); null for plain directories. */
    configCommit: z.string().nullable(),
    /** The experiment's anchor (ISO time) the pin was resolved from; null before its enrollments exist. */
    anchor: z.string().nullable(),
    reason: PinReason,
    /** ISO time the pin was resolved. */
    resolvedAt: z.string(),
  })
  .strict();
export type Pin = z.infer<typeof Pin>;

/** What the caller asked for instead of the anchor's release: `--use-latest`, `--use-version=<version or build id>`. */
export type VersionOverride = 'latest' | { version: string } | null;

export const VersionOverrideFields = {
  /** Run on the latest release instead of the pinned one. Default false. */
  useLatest: z.boolean().default(false),
  /** Run on this release (a contrail version or a build id) instead of the pinned one. Default: the pin. */
  useVersion: z.string().min(1).nullable().default(null),
};

/** The override the `useLatest` / `useVersion` fields ask for; both at once is a mistake. */
export function versionOverride(fields: {
  useLatest?: boolean;
  useVersion?: string | null;
}): VersionOverride {
  if (fields.useLatest && fields.useVersion) {
    throw new PinOverrideError(
      `use-latest and use-version=${fields.useVersion} contradict each other: give at most one of them`,
    );
  }
  if (fields.useLatest) return 'latest';
  if (fields.useVersion) return { version: fields.useVersion };
  return null;
}

export class PinOverrideError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'PinOverrideError';
  }
}
