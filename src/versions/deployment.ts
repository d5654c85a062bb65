import { z } from 'zod';
import type { ManifestRelease } from './manifest.js';
import { type Release, ReleaseRegistryError } from './release.js';

/**
 * The release registry of a Temporal deployment, from the Worker Deployment versions the
 * server knows. Plain data in, releases out: the adapter that asks the server lives outside
 * the domain (src/temporal/worker-deployments.ts).
 *
 * Why the server and not the manifest: a version exists for pinning from the moment its
 * workers can run analyses, which only the server knows (a build's manifest is written
 * before the build is deployed and never learns about later builds), and an operator must be
 * able to mark a deployed build breaking without building anything. So:
 *  - release time = the version's first activation (first time it became current or ramping;
 *    Temporal 1.29 records it as `firstActivationTime`). A version whose workers poll but
 *    that was never made current is deployed, not released: only `--use-version` selects it;
 *  - `breaking` and contrail's version string are deployment version metadata, keys
 *    `breaking` (JSON boolean) and `version` (JSON string), set with
 *    `temporal worker deployment update-metadata-version --metadata breaking=true`;
 *  - the worker writes its manifest entry's `version` and `breaking` onto its own version
 *    when those keys are missing (`ownVersionMetadata`), so a release author's declaration
 *    arrives without an operator, and an operator's later change is never overwritten.
 */
export interface DeploymentVersionFacts {
  buildId: string;
  /** ISO time the server first saw a worker of this version poll. */
  createdAt: string;
  /** ISO time the version first became current or ramping; null if it never did. */
  firstActivatedAt: string | null;
  routing: 'current' | 'ramping' | 'inactive';
  /** Version metadata, each value decoded from its JSON payload. */
  metadata: Record<string, unknown>;
}

/** The metadata keys contrail reads; other keys are the operator's and are left alone. */
const VersionMetadata = z.object({
  version: z.string().min(1).optional(),
  breaking: z.boolean().optional(),
});

export const METADATA_KEYS = { version: 'version', breaking: 'breaking' } as const;

/** A release as the server knows it: what the registry needs plus what `contrail versions` shows. */
export interface DeployedRelease extends Release {
  buildId: string;
  deployedAt: string;
  routing: DeploymentVersionFacts['routing'];
}

export function releasesFromDeployment(
  deploymentName: string,
  versions: readonly DeploymentVersionFacts[],
): DeployedRelease[] {
  return versions.map((facts) => {
    const parsed = VersionMetadata.safeParse(facts.metadata);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .map((i) => `metadata ${i.path.join('.')}: ${i.message}`)
        .join('; ');
      throw new ReleaseRegistryError(
        `worker deployment ${deploymentName} version ${facts.buildId}: ${problems} (set it with: temporal worker deployment update-metadata-version --deployment-name ${deploymentName} --build-id ${facts.buildId} --metadata breaking=true, or =false)`,
        { deploymentName, buildId: facts.buildId },
      );
    }
    return {
      version: parsed.data.version ?? 'unknown',
      buildId: facts.buildId,
      releasedAt: facts.firstActivatedAt === null ? null : new Date(facts.firstActivatedAt).toISOString(),
      breaking: parsed.data.breaking ?? false,
      deployedAt: new Date(facts.createdAt).toISOString(),
      routing: facts.routing,
    };
  });
}

/**
 * What a starting worker records on its own deployment version: its manifest entry's version
 * and `breaking`, for the keys not set yet (an operator's value stays). Empty when nothing
 * is missing.
 */
export function ownVersionMetadata(
  entry: Pick<ManifestRelease, 'version' | 'breaking'>,
  existing: Record<string, unknown>,
): Record<string, string | boolean> {
  const missing: Record<string, string | boolean> = {};
  if (!(METADATA_KEYS.version in existing)) missing[METADATA_KEYS.version] = entry.version;
  if (!(METADATA_KEYS.breaking in existing)) missing[METADATA_KEYS.breaking] = entry.breaking;
  return missing;
}
