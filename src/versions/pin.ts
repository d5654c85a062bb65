import { z } from 'zod';
import { ContrailError } from '../errors.js';

/**
 * Why a pin names the release it names (see resolve.ts):
 *  - `anchor`: the newest release at or before the experiment's anchor;
 *  - `before-first-release`: the anchor is older than every release, so the earliest;
 *  - `breaking`: a breaking release came after the anchor and moved the experiment to it;
 *  - `no-anchor`: no enrollments yet, so the latest release;
 *  - `use-latest` / `use-version`: asked for explicitly;
 *  - `running`: the build that runs the workflow, with the newest configs (a preview, which
 *    shows a config author what the current tooling makes of a config, never a pinned result).
 */
export const PinReason = z.enum([
  'anchor',
  'before-first-release',
  'breaking',
  'no-anchor',
  'use-latest',
  'use-version',
  'running',
]);
export type PinReason = z.infer<typeof PinReason>;

/**
 * Each reason in words, for reports and errors; `--json` and the `pins` query keep the codes.
 * The one place they are worded, so a report and a refusal say the same of one pin.
 */
const PIN_REASON_WORDS: Record<PinReason, string> = {
  anchor: 'the newest release at or before its anchor',
  'before-first-release': 'the earliest release: its anchor is older than every release',
  breaking: 'a breaking release after its anchor moved it here',
  'no-anchor': 'the latest release: it has no enrollments yet, so no anchor',
  'use-latest': 'the latest release, as asked (--use-latest)',
  'use-version': 'the release asked for (--use-version)',
  running: 'the build running it, with the newest configs',
};

/**
 * Why a pin names its release, in words, with its anchor when it has one. A reason this build
 * does not know (a result of another build) is shown as it is.
 */
export function pinReasonText(pin: { reason: string; anchor?: string | null }): string {
  const words = (PIN_REASON_WORDS as Record<string, string | undefined>)[pin.reason] ?? pin.reason;
  return pin.anchor ? `${words}; anchored ${pin.anchor}` : words;
}

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

/**
 * How runs and search attributes name a pinned build: `<version>+<buildId>` (semver's build
 * metadata), so `ContrailToolVersion STARTS_WITH "0.2.0"` finds every build of a version and
 * `= "0.2.0+4f2a9c"` exactly one. Two builds of one version are different tooling: a rebuilt
 * image can carry other library versions.
 */
export function toolVersionKey(pin: Pick<Pin, 'toolVersion' | 'buildId'>): string {
  return pin.buildId === null ? pin.toolVersion : `${pin.toolVersion}+${pin.buildId}`;
}

/** The build a worker runs and whether it is part of a Temporal Worker Deployment. */
export interface RunningBuild {
  version: string;
  buildId: string;
  /** The Worker Deployment the worker joined; null for an unversioned worker (embedded mode). */
  deployment: string | null;
}

/**
 * Refuses to compute an experiment's results on a build other than its pinned one: the one
 * rule that keeps a result from being made by tooling it was not pinned to. A versioned
 * deployment routes each analysis to its build, so there this only catches an analysis
 * started by hand on the wrong version; an unversioned worker (embedded mode) can run only
 * itself, so a pin to any other build is refused unless the caller asked for the latest.
 */
export function checkPinnedBuild(slug: string, pin: Pin, running: RunningBuild): void {
  if (pin.buildId === running.buildId) return;
  const pinned = `contrail ${toolVersionKey(pin)}`;
  const why = `(${pinReasonText(pin)})`;
  const here = `contrail ${running.version}+${running.buildId}`;
  // Pinned by --use-latest or --use-version already: the run was resolved on another worker of
  // this task queue, of another build (unversioned workers of two checkouts), not on an old anchor.
  const overridden = pin.reason === 'use-latest' || pin.reason === 'use-version';
  const remedy =
    running.deployment === null
      ? overridden
        ? `this worker is ${here}: workers of different builds poll this task queue outside a Temporal Worker Deployment, and the run was resolved on the other; run workers of one build per task queue, or give each build a CONTRAIL_BUILD_ID on a Temporal deployment`
        : `this worker is ${here} and is not part of a Temporal Worker Deployment, so it runs only its own build: pass --use-latest (input useLatest: true) to analyse on ${here}, or run workers of both builds with CONTRAIL_BUILD_ID on a Temporal deployment`
      : `this run is on ${here} of deployment ${running.deployment}: start it with \`contrail run\`, which runs each analysis on its pinned build, or pass --use-latest / --use-version`;
  throw new PinnedBuildError(`${slug} is pinned to ${pinned} ${why}; ${remedy}`, {
    slug,
    pinnedBuild: pin.buildId,
    runningBuild: running.buildId,
  });
}

/** An analysis would compute on a build other than the one its experiment is pinned to. */
export class PinnedBuildError extends ContrailError {
  constructor(message: string, details: Record<string, unknown>) {
    super(message, { permanent: true, details });
    this.name = 'PinnedBuildError';
  }
}

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
