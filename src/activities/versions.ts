import { Context } from '@temporalio/activity';
import type { AnalysableDates } from '../analysis/analysable-dates.js';
import { eligibleExperiments } from '../analysis/eligible.js';
import { unknownExperimentsError } from '../analysis/errors.js';
import { checkOwnTables, collisionRefusals } from '../analysis/ownership.js';
import { analysableDates } from '../analysis/plan-day.js';
import type { SpecResolver } from '../analysis/spec-resolver.js';
import { mapBounded } from '../concurrency.js';
import { experimentFileChanges } from '../config/repo-history.js';
import { ContrailError } from '../errors.js';
import { everySlug } from '../experiments/source.js';
import { enrollmentsTableName } from '../sql/names.js';
import {
  type DeploymentRef,
  describeDeploymentVersions,
  POLLER_RECENT_MS,
  versionWork,
} from '../temporal/worker-deployments.js';
import { AnchorError, readAnchor, touchExperiment } from '../versions/anchor.js';
import { releasesFromDeployment } from '../versions/deployment.js';
import { releasesFromManifest } from '../versions/manifest.js';
import { checkPinnedBuild, type Pin, type RunningBuild, versionOverride } from '../versions/pin.js';
import type { Release } from '../versions/release.js';
import { type Routing, versionsReport } from '../versions/report.js';
import { resolveExperimentPin, resolveRelease, runningPin } from '../versions/resolve.js';
import type { ActivityDeps } from './deps.js';
import type { AnalysisActivities, ResolvedPin } from './types.js';

/** Experiments whose anchors the report reads at once (a few small warehouse reads each). */
const ANCHOR_READS_AT_ONCE = 8;

type VersionActivities = Pick<AnalysisActivities, 'resolveVersions' | 'touch' | 'versionsReport'>;

/**
 * The version activities: an experiment's pin, moving its anchor, and the report of releases.
 * The rules are src/versions'; here they meet the warehouse, the config repos and the release
 * registry of this worker's kind (the Worker Deployment's versions, or the manifest).
 */
export function versionActivities(deps: ActivityDeps, specs: SpecResolver): VersionActivities {
  const running: RunningBuild = { ...deps.toolVersion, deployment: deps.deployment };

  /** The deployment this worker joined, through the client of the running activity. */
  function deploymentRef(deploymentName: string): DeploymentRef {
    const { client } = Context.current();
    return { client, namespace: client.options.namespace, deploymentName };
  }

  async function releases(): Promise<(Release & { routing: Routing })[]> {
    if (deps.deployment === null) {
      return releasesFromManifest(deps.releaseManifest(), deps.toolVersion).map((release) => ({
        ...release,
        routing: release.buildId === deps.toolVersion.buildId ? 'current' : 'inactive',
      }));
    }
    const ref = deploymentRef(deps.deployment);
    return releasesFromDeployment(ref.deploymentName, await describeDeploymentVersions(ref));
  }

  /** The experiment's analysable dates at its pin; none when its configs do not resolve. */
  async function analysableOf(slug: string, pin: Pin, lenient: boolean): Promise<AnalysableDates | null> {
    try {
      return analysableDates((await specs.resolve({ slug, pin, configOverride: null, lenient })).spec);
    } catch (error) {
      // Each analysis of it reports the config's error as its own failure, as without dates.
      if (error instanceof ContrailError && error.permanent) return null;
      throw error;
    }
  }

  /** The experiments of `slugs` that must not be analysed into `dataset`: another's tables have their names. */
  async function collisionsOf(slugs: string[], dataset: string) {
    const warehouse = await deps.warehouse();
    // A preview of a config no source knows runs without the source: the labels alone still
    // name the owner of a table (as written, for any slug Experimenter makes).
    const known = await everySlug(deps.experiments).catch(() => []);
    return collisionRefusals(warehouse, { dataset, analysed: slugs, known });
  }

  return {
    async resolveVersions({ slugs, dataset, useLatest, useVersion, mode, here, dates }) {
      const now = deps.now();
      const out: Record<string, ResolvedPin> = {};
      if (mode === 'running') {
        const collisions = await collisionsOf(slugs, dataset);
        const pin = runningPin(deps.toolVersion, (await specs.collection(null)).commit, now);
        for (const slug of slugs) {
          const collision = collisions.get(slug);
          out[slug] = collision
            ? { error: { errorType: collision.name, message: collision.message } }
            : { pin, configChanged: [], refusal: null };
        }
        return out;
      }
      // Every slug is checked at once, before any pin: a command naming experiments the source
      // does not know fails its first step with one error naming them all, instead of starting
      // an analysis of each that fails on its own.
      const known = (await deps.experiments.list()).map((e) => e.slug);
      const unknown = slugs.filter((slug) => !known.includes(slug));
      if (unknown.length > 0) throw await unknownExperimentsError(deps.experiments, unknown);
      const override = versionOverride({ useLatest, useVersion });
      const registry = await releases();
      // A version no release has is the caller's mistake, the same for every experiment.
      if (override !== null && override !== 'latest') resolveRelease(registry, null, override);
      const warehouse = await deps.warehouse();
      // Before any anchor is read: the enrollments table of a slug that shares its name with
      // another experiment's may be the other's, and its anchor would pin this one.
      const collisions = await collisionsOf(slugs, dataset);
      for (const slug of slugs) {
        const collision = collisions.get(slug);
        if (collision) {
          out[slug] = { error: { errorType: collision.name, message: collision.message } };
          continue;
        }
        try {
          const { pin } = await resolveExperimentPin({
            warehouse,
            dataset,
            slug,
            releases: registry,
            override,
            configsAsOf: (anchor) => specs.collectionAsOf(anchor),
            now,
          });
          const configChanged =
            pin.anchor !== null && pin.configCommit !== null
              ? await experimentFileChanges(deps.configRepos, pin.configCommit, slug)
              : [];
          let refusal: { errorType: string; message: string } | null = null;
          if (here || deps.deployment === null) {
            try {
              checkPinnedBuild(slug, pin, running);
            } catch (error) {
              refusal = { errorType: (error as Error).name, message: (error as Error).message };
            }
          }
          const analysable = dates ? await analysableOf(slug, pin, dates.lenient) : null;
          out[slug] = { pin, configChanged, refusal, ...(analysable ? { dates: analysable } : {}) };
        } catch (error) {
          // One experiment's unreadable anchor or configs are its own failure; anything that may
          // pass on a retry (a warehouse lock, the server away) fails the call.
          if (!(error instanceof ContrailError) || !error.permanent) throw error;
          out[slug] = { error: { errorType: error.name, message: error.message } };
        }
      }
      return out;
    },

    async touch({ slug, dataset, ifAnchored, at }) {
      const warehouse = await deps.warehouse();
      if (ifAnchored && !(await warehouse.tableExists({ dataset, table: enrollmentsTableName(slug) })))
        return { anchor: null, tables: [] };
      const previous = await readAnchor(warehouse, dataset, slug).catch((error: unknown) => {
        // A label that is not a time is replaced like a missing one: nothing to put back.
        if (error instanceof AnchorError) return null;
        throw error;
      });
      // Every slug drafts included, so that `foo`'s tables are told from `foo_bar`'s.
      const known = await everySlug(deps.experiments);
      if (!known.includes(slug)) known.push(slug);
      // Relabelling another experiment's tables (its slug normalizes to this one's) would move its anchor.
      await checkOwnTables(warehouse, { dataset, slug, known });
      const now = at === undefined ? deps.now() : new Date(at);
      const moved = await touchExperiment(warehouse, { dataset, slug, allSlugs: known, now });
      return {
        anchor: moved.anchor.toISOString(),
        tables: moved.tables,
        previous: previous?.toISOString() ?? null,
      };
    },

    async versionsReport({ dataset, date }) {
      const registry = await releases();
      const warehouse = await deps.warehouse();
      const buildIds = registry.map((r) => r.buildId).filter((b): b is string => b !== null);
      // The work on each version (server calls) and each experiment's anchor (warehouse reads)
      // are independent: asked side by side, the report in the same order whatever answers first.
      const [resolved, work] = await Promise.all([
        eligibleExperiments(specs, date).then((eligible) =>
          mapBounded(eligible, ANCHOR_READS_AT_ONCE, async ({ slug }) => {
            try {
              const { release } = resolveRelease(registry, await readAnchor(warehouse, dataset, slug));
              return { slug, pin: { toolVersion: release.version, buildId: release.buildId } };
            } catch (error) {
              // An experiment without a readable anchor is pinned to nothing yet; the report goes on.
              if (!(error instanceof AnchorError)) throw error;
              return null;
            }
          }),
        ),
        deps.deployment === null
          ? Promise.resolve([])
          : versionWork(
              deploymentRef(deps.deployment),
              Context.current().info.taskQueue,
              buildIds,
              new Date(),
              POLLER_RECENT_MS,
              // This report runs on the current version: it is not work that keeps a version.
              Context.current().info.workflowExecution?.workflowId ?? null,
            ),
      ]);
      const pins = resolved.filter((p) => p !== null);
      return versionsReport({ releases: registry, pins, work });
    },
  };
}
