import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type Release, ReleaseRegistryError } from './release.js';

/**
 * The release manifest, `releases.json` at the package root: every contrail release with its
 * release time and whether it is breaking, written by whoever cuts the release and shipped
 * in the package (and the worker image) with the code it describes.
 *
 * Embedded, it is the release registry. In a Temporal deployment the registry is the Worker
 * Deployment versions the server knows (deployment.ts); there the manifest only supplies a
 * worker's own version string and the `breaking` flag its author declared, which the worker
 * records on its deployment version when that version has none yet.
 */
const ManifestRelease = z
  .object({
    /** contrail's version, as in package.json. */
    version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'a version like 1.2.3'),
    /** When the release was made (ISO 8601 with a time zone, e.g. 2026-03-01T00:00:00Z). */
    released: z.iso.datetime({ offset: true }),
    /** Results of earlier releases must not be continued by this one. Default false. */
    breaking: z.boolean().default(false),
    /** The build id, when the release was built before this manifest was written. */
    buildId: z.string().min(1).nullable().default(null),
    /** What changed, for operators. */
    notes: z.string().default(''),
  })
  .strict();

const Manifest = z.object({ releases: z.array(ManifestRelease).min(1) }).strict();

export type ManifestRelease = z.output<typeof ManifestRelease>;

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The manifest shipped with this installation (two levels above this module, in src/ and dist/ alike). */
export function manifestFile(): string {
  return join(PACKAGE_ROOT, 'releases.json');
}

/** Reads and validates a release manifest; every problem names the file and the entry. */
export function loadReleaseManifest(file: string = manifestFile()): ManifestRelease[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReleaseRegistryError(`${file}: cannot read the release manifest: ${(error as Error).message}`, {
      file,
    });
  }
  return parseReleaseManifest(file, text);
}

export function parseReleaseManifest(file: string, text: string): ManifestRelease[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ReleaseRegistryError(`${file}: not valid JSON: ${(error as Error).message}`, { file });
  }
  const parsed = Manifest.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${file}: ${where(data, issue.path)}: ${issue.message}`,
    );
    throw new ReleaseRegistryError(problems.join('\n'), { file });
  }
  const releases = parsed.data.releases;
  const problems: string[] = [];
  releases.forEach((release, index) => {
    const earlier = releases.findIndex((r) => r.version === release.version);
    if (earlier !== index)
      problems.push(
        `${file}: releases[${index}] (${release.version}): version already listed at releases[${earlier}]`,
      );
    const previous = releases[index - 1];
    if (previous && Date.parse(previous.released) > Date.parse(release.released))
      problems.push(
        `${file}: releases[${index}] (${release.version}): released ${release.released} is before the previous entry's ${previous.released}; list releases oldest first`,
      );
  });
  if (problems.length > 0) throw new ReleaseRegistryError(problems.join('\n'), { file });
  return releases;
}

function where(data: unknown, path: PropertyKey[]): string {
  if (path.length === 0)
    return 'the manifest: expected {"releases": [{"version", "released", "breaking"}, …]}';
  if (path[0] !== 'releases' || typeof path[1] !== 'number') return `key ${path.map(String).join('.')}`;
  const entry = (data as { releases: unknown[] }).releases[path[1]];
  const version =
    entry !== null &&
    typeof entry === 'object' &&
    typeof (entry as { version?: unknown }).version === 'string'
      ? ` (${(entry as { version: string }).version})`
      : '';
  const field = path.length > 2 ? `, field ${path.slice(2).map(String).join('.')}` : '';
  return `releases[${path[1]}]${version}${field}`;
}

/**
 * The embedded release registry: the manifest's releases, the running one carrying this
 * build's id (a manifest cannot name the build it is part of).
 */
export function releasesFromManifest(
  manifest: readonly ManifestRelease[],
  running: { version: string; buildId: string },
): Release[] {
  return manifest.map((entry) => ({
    version: entry.version,
    buildId: entry.version === running.version ? running.buildId : entry.buildId,
    releasedAt: new Date(entry.released).toISOString(),
    breaking: entry.breaking,
  }));
}

/** This build's own manifest entry; an error when the manifest does not list the running version. */
export function ownManifestEntry(
  manifest: readonly ManifestRelease[],
  version: string,
  file: string = manifestFile(),
): ManifestRelease {
  const entry = manifest.find((r) => r.version === version);
  if (!entry) {
    throw new ReleaseRegistryError(
      `${file}: no entry for version ${version} (package.json); add {"version": "${version}", "released": "<ISO time>", "breaking": false} to releases. Listed: ${manifest.map((r) => r.version).join(', ')}`,
      { file, version },
    );
  }
  return entry;
}
