import type { Pin } from './pin.js';
import { describeRelease, type Release } from './release.js';

/** Where a release stands in the deployment's routing (embedded: the running release is current). */
export type Routing = 'current' | 'ramping' | 'inactive';

/** What the server says is running on one version (counted from visibility and task-queue pollers). */
export interface VersionWork {
  buildId: string;
  /** Open (Running) workflow executions on the version, waiting ones included. */
  openWorkflows: number;
  /** Workers of the version that polled recently. */
  pollers: number;
}

export interface VersionsReportInput {
  releases: readonly (Release & { routing?: Routing })[];
  /** The pin of every experiment that is still analysed (the daily run's eligible experiments). */
  pins: readonly { slug: string; pin: Pick<Pin, 'toolVersion' | 'buildId'> }[];
  work: readonly VersionWork[];
}

export interface VersionsReportRow {
  release: Release;
  routing: Routing;
  /** Slugs of the experiments pinned to this release, sorted. */
  pinned: string[];
  openWorkflows: number;
  pollers: number;
  /** Open workflows and no worker of the version polling: they wait until one starts. */
  waiting: boolean;
  /** What keeps the release from being retired; empty when it can be. */
  keep: string[];
  retirable: boolean;
}

/**
 * `contrail versions`: every release, newest first (deployed-but-unreleased builds on top),
 * with the experiments pinned to it, its open work, and whether it can be retired. A release
 * can be retired when it is neither current nor ramping, nor a build deployed and not yet
 * released, no analysed experiment is pinned to it, and nothing is open on it. Temporal's own drainage status is not enough: it ignores
 * workflows started with a pinned override after the version drained, which is exactly how
 * contrail sends analyses to old versions.
 */
export function versionsReport(input: VersionsReportInput): VersionsReportRow[] {
  const matches = (release: Release, pin: Pick<Pin, 'toolVersion' | 'buildId'>) =>
    release.buildId !== null && pin.buildId !== null
      ? release.buildId === pin.buildId
      : release.version === pin.toolVersion;
  const rows = input.releases.map((release): VersionsReportRow => {
    const routing = release.routing ?? 'inactive';
    const pinned = input.pins
      .filter((p) => matches(release, p.pin))
      .map((p) => p.slug)
      .sort();
    const work = release.buildId === null ? undefined : input.work.find((w) => w.buildId === release.buildId);
    const openWorkflows = work?.openWorkflows ?? 0;
    const pollers = work?.pollers ?? 0;
    const keep: string[] = [];
    if (routing !== 'inactive') keep.push(`it is the ${routing} version`);
    // Deployed and never current: a build on its way in, not one to retire.
    else if (release.releasedAt === null) keep.push('it is not released yet (make it current to release it)');
    if (pinned.length > 0)
      keep.push(`${pinned.length} experiment${pinned.length === 1 ? ' is' : 's are'} pinned to it`);
    if (openWorkflows > 0)
      keep.push(`${openWorkflows} workflow${openWorkflows === 1 ? ' is' : 's are'} open on it`);
    return {
      release: {
        version: release.version,
        buildId: release.buildId,
        releasedAt: release.releasedAt,
        breaking: release.breaking,
      },
      routing,
      pinned,
      openWorkflows,
      pollers,
      waiting: openWorkflows > 0 && pollers === 0,
      keep,
      retirable: keep.length === 0,
    };
  });
  const at = (row: VersionsReportRow) =>
    row.release.releasedAt === null ? Number.POSITIVE_INFINITY : Date.parse(row.release.releasedAt);
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => at(b.row) - at(a.row) || b.index - a.index)
    .map(({ row }) => row);
}

/** One line per release, for logs and the CLI's plain output. */
export function formatVersionsReport(rows: readonly VersionsReportRow[]): string[] {
  return rows.map((row) => {
    const parts = [
      describeRelease(row.release),
      row.release.releasedAt === null ? 'not released' : `released ${row.release.releasedAt}`,
    ];
    if (row.release.breaking) parts.push('breaking');
    if (row.routing !== 'inactive') parts.push(row.routing);
    parts.push(row.pinned.length === 0 ? 'no experiments pinned' : `pinned: ${row.pinned.join(', ')}`);
    if (row.openWorkflows > 0)
      parts.push(
        row.waiting
          ? `${row.openWorkflows} open, waiting: no worker of this version is polling`
          : `${row.openWorkflows} open`,
      );
    parts.push(row.retirable ? 'retirable' : `keep: ${row.keep.join('; ')}`);
    return parts.join(' | ');
  });
}
