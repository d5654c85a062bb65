import { parse as parseToml } from 'smol-toml';
import { type ConfigCollection, loadConfigCollection } from '../config/collection.js';
import { randomizationUnitOfQuery } from '../config/platform.js';
import { ConfigError, type ConfigProblem } from '../config/problems.js';
import { collectionCommitAsOf, hasGitDir } from '../config/repo-history.js';
import { repoFingerprint } from '../config/repo-state.js';
import { resolveAnalysisSpec } from '../config/resolve.js';
import type { AnalysisSpec } from '../config/spec.js';
import type { IsoDate } from '../dates.js';
import type { Experiment } from '../experiments/experiment.js';
import type { ExperimentSource } from '../experiments/source.js';
import { asGeneratedPopulation } from '../sql/plan/population.js';
import type { Pin } from '../versions/pin.js';
import { UnknownExperimentError, unknownExperimentsError } from './errors.js';
import { type AssumedEnrollment, resolveAsPreviewed, undatedSpec } from './previewed-enrollment.js';

/** What of a pin selects the configs: the collection commit they are read at (null: the repos as they are). */
export type ConfigPin = Pick<Pin, 'configCommit'>;

/** Which spec an analysis reads: the experiment, the configs at its pin, and how to read them. */
export interface SpecRequest {
  slug: string;
  pin: ConfigPin;
  /** A custom experiment config (TOML text) overriding the repo's, as `preview --config_file`. */
  configOverride: string | null;
  /** Unknown config keys are warnings instead of errors. */
  lenient: boolean;
  /**
   * A preview (or validate) reads drafts too (`ExperimentSource.forPreview()`); the daily
   * analysis, backfills and reruns never do. Default false.
   */
  preview?: boolean;
  /**
   * The platform (app) to analyse, in place of the experiment's. A preview of an experiment no
   * source knows runs on a synthetic record built from its config and this platform.
   */
  platform?: string | null;
  /**
   * A preview on a generated population: the first date it analyses. An experiment whose
   * enrollment does not end by then (no start date, a later one, still enrolling) is taken to
   * have enrolled over its enrollment period up to this date, as jetstream's preview takes
   * every experiment, so that its first day window is due on it (see assumedEnrollment).
   */
  enrolledUntil?: IsoDate | null;
}

export interface ResolvedTarget {
  spec: AnalysisSpec;
  warnings: ConfigProblem[];
  experiment: Experiment;
  collection: ConfigCollection;
  /** How a preview moved the experiment's enrollment (SpecRequest.enrolledUntil), else null. */
  assumed: AssumedEnrollment | null;
}

/** How a preview takes a config for an experiment no source knows. */
export const PREVIEW_UNKNOWN_HINT =
  'to preview a config for an experiment no source knows, pass --platform (and --config_file, --generate_population)';

// Enough for a daily run's experiments on one worker; oldest entries go first.
const MAX_ENTRIES = 256;

function remember<V>(cache: Map<string, Promise<V>>, key: string, make: () => Promise<V>): Promise<V> {
  const hit = cache.get(key);
  if (hit) {
    // Re-insert: Map iteration order is insertion order, so this keeps recent keys last.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const made = make();
  cache.set(key, made);
  // A failure is not cached: the next call tries again (the config may have been fixed).
  made.catch(() => cache.delete(key));
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  return made;
}

/**
 * Resolves analysis specs per (slug, config commit, override, lenient) and keeps them for the
 * worker process: every activity of an analysis needs the spec, and loading a config repo (a git
 * checkout at a commit, hundreds of TOML files) must not dominate a small activity.
 */
export class SpecResolver {
  private readonly collections = new Map<string, Promise<ConfigCollection>>();
  private readonly specs = new Map<string, Promise<ResolvedTarget>>();

  constructor(
    private readonly configRepos: string[],
    readonly experiments: ExperimentSource,
  ) {}

  /**
   * The config repos at the pin's commit (exactly that commit, whatever the repos' HEAD is
   * now), or their current state without a pin (or with a pin over plain directories).
   */
  async collection(pin: ConfigPin | null): Promise<ConfigCollection> {
    const commit = pin?.configCommit ?? null;
    // Plain directories have no commit: their content (in the fingerprints) is part of the key.
    // A git repo read at a pinned commit gives the same files whatever its HEAD is now, so its
    // state is not asked for (that would start git once per activity).
    const fingerprints = await Promise.all(
      this.configRepos.map((repo) =>
        commit !== null && hasGitDir(repo) ? `${repo}@pinned` : repoFingerprint(repo),
      ),
    );
    const key = JSON.stringify([fingerprints, commit]);
    return remember(this.collections, key, () => loadConfigCollection({ repos: this.configRepos, commit }));
  }

  /**
   * The configs as of an experiment's anchor: the newest commit of each repo at or before it
   * (one `git log` to choose it; the checkout is cached by commit), or the current state
   * before the experiment has an anchor.
   */
  async collectionAsOf(anchor: Date | null): Promise<ConfigCollection> {
    if (anchor === null) return this.collection(null);
    const commit = await collectionCommitAsOf(this.configRepos, anchor);
    return this.collection({ configCommit: commit });
  }

  /** A launched experiment by slug (the daily analysis's view: never a draft). */
  async experiment(slug: string): Promise<Experiment> {
    const experiment = await this.experiments.get(slug);
    if (experiment) return experiment;
    throw await unknownExperimentsError(this.experiments, [slug]);
  }

  /**
   * The experiment a target analyses: launched only, unless it is a preview (then drafts too,
   * and, with a platform, a synthetic record for an experiment no source knows); the platform
   * replaces the experiment's app. `unknownHint` tells a person refused for a slug no source
   * knows how the command they ran takes such a config (a preview's options by default).
   */
  async targetExperiment(
    target: SpecRequest,
    unknownHint: string = PREVIEW_UNKNOWN_HINT,
  ): Promise<Experiment> {
    const platform = target.platform ?? null;
    if (!target.preview) {
      const experiment = await this.experiment(target.slug);
      return platform === null ? experiment : { ...experiment, appName: platform };
    }
    const source = this.experiments.forPreview();
    const found = await source.get(target.slug);
    if (found) return platform === null ? found : { ...found, appName: platform };
    if (platform !== null) return syntheticExperiment(target.slug, platform, target.configOverride);
    throw new UnknownExperimentError(
      target.slug,
      (await source.list()).map((e) => e.slug),
      unknownHint,
    );
  }

  async resolve(target: SpecRequest): Promise<ResolvedTarget> {
    const experiment = await this.targetExperiment(target);
    const collection = await this.collection(target.pin);
    const { resolved, assumed } = await resolveAsPreviewed(experiment, target.enrolledUntil ?? null, (x) =>
      this.resolveWith(x, collection, target.configOverride, target.lenient),
    );
    // enrolledUntil is set exactly on a preview on a generated population: every step of it
    // (planning, metrics, cost estimate) reads no data source's experiments column.
    const spec = target.enrolledUntil ? asGeneratedPopulation(resolved.spec) : resolved.spec;
    return { ...resolved, spec, ...(assumed === null ? {} : { assumed }) };
  }

  /**
   * The spec whose dates (start, end, status) describe the target, for a preview's default
   * dates. A preview of an experiment not launched (no start date) whose SQL reads
   * {{experiment.start_date_str}} cannot be resolved as it is: it is resolved as a generated
   * population would take it, enrolled up to `today`, and its dates put back as they are
   * (no start, the config's end); its SQL is not what is read here.
   */
  async datesOf(target: SpecRequest, today: IsoDate): Promise<AnalysisSpec> {
    try {
      return (await this.resolve(target)).spec;
    } catch (error) {
      if (!(error instanceof ConfigError) || !target.preview || target.enrolledUntil) throw error;
      const experiment = await this.targetExperiment(target);
      const collection = await this.collection(target.pin);
      const undated = await undatedSpec(experiment, today, (x) =>
        this.resolveWith(x, collection, target.configOverride, target.lenient),
      );
      if (undated === null) throw error;
      return undated;
    }
  }

  /** The experiment's spec from the repos' current state, as a new analysis would see it. */
  async resolveLatest(experiment: Experiment): Promise<ResolvedTarget> {
    return this.resolveWith(experiment, await this.collection(null), null, false);
  }

  private resolveWith(
    experiment: Experiment,
    collection: ConfigCollection,
    configOverride: string | null,
    lenient: boolean,
  ): Promise<ResolvedTarget> {
    // The experiment record is part of the key: its status moves from live to complete with
    // time, and an edited experiments file changes dates.
    const key = JSON.stringify([collectionIdentity(collection), configOverride, lenient, experiment]);
    return remember(this.specs, key, async () => {
      const { spec, warnings } = resolveAnalysisSpec(collection, experiment, {
        lenient,
        ...(configOverride !== null ? { configFile: configOverride } : {}),
      });
      return { spec, warnings, experiment, collection, assumed: null };
    });
  }
}

// Collections are compared by identity: a reloaded collection (edited directory) gets a new id.
const ids = new WeakMap<ConfigCollection, number>();
let nextId = 0;
function collectionIdentity(collection: ConfigCollection): number {
  let id = ids.get(collection);
  if (id === undefined) {
    id = nextId++;
    ids.set(collection, id);
  }
  return id;
}

/**
 * The experiment record a preview uses when no source knows the slug (a config written before
 * the experiment exists in Experimenter): a draft on `platform` with two equal branches, the
 * config's reference branch first (`control` unless it names another). The config's
 * `[experiment]` section supplies the rest (start date, enrollment period, end date), as it
 * overrides any record.
 */
export function syntheticExperiment(
  slug: string,
  platform: string,
  configOverride: string | null,
): Experiment {
  let reference = 'control';
  let randomizationUnit: string | null = null;
  if (configOverride !== null) {
    try {
      const parsed = parseToml(configOverride) as {
        experiment?: { reference_branch?: unknown; enrollment_query?: unknown };
      };
      const named = parsed.experiment?.reference_branch;
      if (typeof named === 'string' && named.length > 0) reference = named;
      const query = parsed.experiment?.enrollment_query;
      if (typeof query === 'string') randomizationUnit = randomizationUnitOfQuery(query);
    } catch {
      // An unreadable config fails where it is resolved, with its own message.
    }
  }
  return {
    slug,
    appName: platform,
    appId: null,
    channel: null,
    status: 'draft',
    branches: [
      { slug: reference, ratio: 1 },
      { slug: reference === 'treatment' ? 'control' : 'treatment', ratio: 1 },
    ],
    referenceBranch: reference,
    startDate: null,
    endDate: null,
    enrollmentEndDate: null,
    // Experimenter's default enrollment of a week, unless the config says `enrollment_period`.
    proposedEnrollment: 7,
    proposedDuration: null,
    isRollout: false,
    isEnrollmentPaused: false,
    isHighPopulation: false,
    outcomes: [],
    segments: [],
    featureIds: [],
    randomizationUnit,
  };
}
