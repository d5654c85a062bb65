import { isoDate } from '../dates.js';
import type { Experiment } from '../experiments/experiment.js';
import type { ConfigCollection } from './collection.js';
import type { ConfigFile } from './config-file.js';

/**
 * Experiment config files do not say their platform (jetstream looks it up in Experimenter).
 * When no platform is given, contrail infers it:
 *
 * 1. the candidates are the platforms whose shared definitions and outcomes define every
 *    metric, data source, segment, segment data source and outcome the file names but does
 *    not define itself;
 * 2. if several remain, the one whose name (or telemetry dataset) the file's SQL or the
 *    experiment slug mentions (`android` counts for fenix, `ios` for firefox_ios), when exactly one does;
 * 3. otherwise the result is ambiguous (or none fits): see choosePlatform for what then.
 */
export type PlatformInference =
  | { platform: string; candidates: string[] }
  | { platform: null; candidates: string[] };

/**
 * A name as a whole token of SQL or of a slug with `-` turned into `_`: `_` separates words here
 * (`\b` would not, since `_` is a word character, so `fenix_onboarding` would never match).
 */
function token(...names: string[]): RegExp {
  return new RegExp(`(?<![A-Za-z0-9])(?:${names.join('|')})(?![A-Za-z0-9])`);
}

/** Dataset spellings that give a platform away in SQL or in the experiment's slug. */
const PLATFORM_MARKERS: Record<string, RegExp> = {
  firefox_desktop: new RegExp(
    `${token('firefox_desktop').source}|\\btelemetry\\.|moz-fx-data-shared-prod\\.telemetry`,
  ),
  fenix: token(
    'fenix',
    'firefox_android',
    'android',
    'org_mozilla_firefox',
    'org_mozilla_firefox_beta',
    'org_mozilla_fenix',
  ),
  firefox_ios: token('firefox_ios', 'ios', 'org_mozilla_ios_firefox'),
  focus_android: token('focus_android', 'org_mozilla_focus'),
  focus_ios: token('focus_ios', 'org_mozilla_ios_focus'),
  klar_android: token('klar_android', 'org_mozilla_klar'),
  klar_ios: token('klar_ios', 'org_mozilla_ios_klar'),
};

/** jetstream validates a config whose experiment it cannot find as a desktop experiment. */
export const DEFAULT_PLATFORM = 'firefox_desktop';

export interface PlatformChoice {
  platform: string;
  /** How it was chosen: given, the experiment's record, inferred from the file, or the default. */
  source: 'option' | 'experiment' | 'inferred' | 'default';
  /** One line for the user when the choice is a guess, else null. */
  note: string | null;
}

/**
 * The platform to check an experiment config for: `--platform`; else the experiment's own
 * record; else the one platform that defines everything the file references (see inferPlatform);
 * else jetstream's default, said in a note.
 */
export function choosePlatform(
  collection: ConfigCollection,
  file: ConfigFile,
  options: { platform?: string | null; experiment?: Experiment | null },
): PlatformChoice {
  if (options.platform) return { platform: options.platform, source: 'option', note: null };
  if (options.experiment) return { platform: options.experiment.appName, source: 'experiment', note: null };
  const inferred = inferPlatform(collection, file);
  if (inferred.platform) return { platform: inferred.platform, source: 'inferred', note: null };
  const why =
    inferred.candidates.length > 1
      ? `${inferred.candidates.length} platforms define what it references`
      : 'no platform defines everything it references';
  return {
    platform: DEFAULT_PLATFORM,
    source: 'default',
    note: `experiment '${file.slug}' is not in the experiments source and ${why}; checked as ${DEFAULT_PLATFORM}, jetstream's default (pass --platform to choose)`,
  };
}

export function inferPlatform(collection: ConfigCollection, file: ConfigFile): PlatformInference {
  const refs = references(file);
  const candidates = collection.platforms().filter((platform) => missing(collection, platform, refs) === 0);
  if (candidates.length === 1) return { platform: candidates[0] as string, candidates };
  if (candidates.length > 1) {
    const mentioned = candidates.filter((p) => mentions(file, p));
    if (mentioned.length === 1) return { platform: mentioned[0] as string, candidates };
  }
  return { platform: null, candidates };
}

/**
 * For a config no platform fits (inferPlatform has no candidate, as when a metric name is
 * misspelt): the platform whose shared definitions and outcomes lack the fewest of the names it
 * references, so that checking it there reports what the author got wrong rather than every
 * name of another app's definitions. Ties go to the platform its SQL or slug mentions, then to
 * jetstream's default, then to the first by name. Null when the config repos define no platform.
 */
export function closestPlatform(collection: ConfigCollection, file: ConfigFile): string | null {
  const refs = references(file);
  const ranked = collection
    .platforms()
    .map((platform) => ({
      platform,
      key: [
        missing(collection, platform, refs),
        mentions(file, platform) ? 0 : 1,
        platform === DEFAULT_PLATFORM ? 0 : 1,
      ],
    }))
    .sort((a, b) => {
      for (let i = 0; i < a.key.length; i++) {
        const d = (a.key[i] as number) - (b.key[i] as number);
        if (d !== 0) return d;
      }
      return a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0;
    });
  return ranked[0]?.platform ?? null;
}

/** How many of the names a file references without defining them a platform does not define. */
function missing(
  collection: ConfigCollection,
  platform: string,
  refs: ReturnType<typeof references>,
): number {
  const shared = collection.platformDefinitions(platform);
  return (
    refs.metrics.filter((m) => !shared.metrics.has(m)).length +
    refs.dataSources.filter((d) => !shared.dataSources.has(d)).length +
    refs.segments.filter((s) => !shared.segments.has(s)).length +
    refs.segmentDataSources.filter((s) => !shared.segmentDataSources.has(s)).length +
    refs.outcomes.filter((o) => collection.outcome(platform, o) === null).length
  );
}

/** The file's SQL or its slug names the platform (its dataset, its app). */
function mentions(file: ConfigFile, platform: string): boolean {
  return PLATFORM_MARKERS[platform]?.test(`${sqlText(file)}\n${file.slug.replaceAll('-', '_')}`) ?? false;
}

/** Names the file uses (in its period lists, depends_on, segments) without defining them. */
function references(file: ConfigFile) {
  const metrics = new Set<string>();
  const dataSources = new Set<string>();
  const segmentDataSources = new Set<string>();
  const visited = new Set<string>();
  const visit = (name: string) => {
    if (visited.has(name)) return;
    visited.add(name);
    const own = file.metrics.get(name)?.def;
    if (own?.select_expression !== undefined && own.data_source !== undefined) {
      if (!file.dataSources.has(own.data_source)) dataSources.add(own.data_source);
    } else if (!own?.depends_on?.length) {
      metrics.add(name);
    }
    for (const dep of own?.depends_on ?? []) visit(dep);
  };
  for (const list of Object.values(file.metricLists)) for (const ref of list ?? []) visit(ref.name);
  const signal = file.experiment?.def.exposure_signal;
  if (signal && !file.dataSources.has(signal.data_source)) dataSources.add(signal.data_source);
  const segments: string[] = [];
  for (const name of file.experiment?.def.segments ?? []) {
    const own = file.segments.get(name)?.def.data_source;
    if (own === undefined) segments.push(name);
    else if (!file.segmentDataSources.has(own)) segmentDataSources.add(own);
  }
  return {
    metrics: [...metrics],
    dataSources: [...dataSources],
    segments,
    segmentDataSources: [...segmentDataSources],
    outcomes: file.experiment?.def.outcomes ?? [],
  };
}

function sqlText(file: ConfigFile): string {
  const parts: string[] = [];
  for (const ds of file.dataSources.values()) parts.push(ds.def.from_expression ?? '');
  for (const ds of file.segmentDataSources.values()) parts.push(ds.def.from_expression ?? '');
  parts.push(file.experiment?.def.enrollment_query ?? '');
  return parts.join('\n');
}

/**
 * The randomization unit Experimenter would report for an experiment whose config selects
 * `profile_group_id AS analysis_id` in its own enrollment query: the author wrote a query over
 * profile groups because the experiment randomizes them. Experiments with no Experimenter record
 * here (a config validated alone, a preview by `--platform`) take it from there; null otherwise.
 */
export function randomizationUnitOfQuery(enrollmentQuery: string | undefined): string | null {
  return enrollmentQuery !== undefined && /\bprofile_group_id\s+AS\s+analysis_id\b/i.test(enrollmentQuery)
    ? 'group_id'
    : null;
}

/**
 * An Experiment built from the config file alone, for validating a config that has no
 * Experimenter record here (contrail does not call Experimenter to validate): slug from the
 * file name, dates from `[experiment]`, branches from the reference branch and per-branch
 * parameter values, else `control` and `treatment`. `today` (the UTC day) says whether it ended.
 */
export function placeholderExperiment(
  file: ConfigFile,
  platform: string,
  today: string = isoDate(new Date()),
): Experiment {
  const e = file.experiment?.def ?? {};
  const branches = new Set<string>();
  if (e.reference_branch) branches.add(e.reference_branch);
  for (const param of file.parameters.values()) {
    for (const value of [param.def.value, param.def.default])
      if (value && typeof value === 'object') for (const b of Object.keys(value)) branches.add(b);
  }
  if (branches.size === 0) branches.add('control');
  if (branches.size === 1) branches.add(branches.has('treatment') ? 'control' : 'treatment');
  return {
    slug: file.slug,
    appName: platform,
    appId: null,
    channel: null,
    status:
      e.end_date !== undefined
        ? e.end_date < today
          ? 'complete'
          : 'live'
        : e.start_date !== undefined
          ? 'live'
          : 'draft',
    branches: [...branches].map((slug) => ({ slug, ratio: 1 })),
    referenceBranch:
      e.reference_branch ?? (branches.has('control') ? 'control' : ([...branches][0] as string)),
    // Like jetstream's validation, an experiment without a start date is taken to start today,
    // so templates using the start date can be checked.
    startDate: e.start_date ?? today,
    endDate: e.end_date ?? null,
    enrollmentEndDate: null,
    proposedEnrollment: e.enrollment_period ?? null,
    proposedDuration: null,
    isRollout: false,
    isEnrollmentPaused: false,
    isHighPopulation: false,
    outcomes: [],
    segments: [],
    featureIds: [],
    randomizationUnit: randomizationUnitOfQuery(e.enrollment_query),
  };
}
