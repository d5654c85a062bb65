import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, type IsoDate } from '../dates.js';
import { ContrailError } from '../errors.js';
import { notUtf8Lines } from '../utf8.js';
import type { Experiment } from './experiment.js';
import { ExperimenterV8Record, recordProblems, recordSlug, toExperiment } from './v8.js';

export { experimentStatus } from './v8.js';

/**
 * Experiments as the daily analysis, backfills and reruns see them: launched ones only (live
 * or complete). A draft never comes out of `list()` or `get()`, whatever the backend holds.
 */
export interface LaunchedExperiments {
  list(): Promise<Experiment[]>;
  get(slug: string): Promise<Experiment | null>;
}

/** Launched and draft experiments: what preview and validate may read, and nothing else. */
export interface PreviewExperiments {
  readonly includesDrafts: true;
  list(): Promise<Experiment[]>;
  get(slug: string): Promise<Experiment | null>;
}

/**
 * Where experiments come from: Experimenter's v8 API (`experimenter.ts`) or a local file in its
 * shape. Drafts are reachable only through `forPreview()`, so code handed a source for the
 * daily analysis cannot pick one up by accident, and a preview view (no `forPreview`) cannot be
 * handed to code that expects the daily analysis's source.
 */
export interface ExperimentSource extends LaunchedExperiments {
  forPreview(): PreviewExperiments;
}

/** What a backend returns: the experiments it could read, and the records it could not. */
export interface LoadedExperiments {
  experiments: Experiment[];
  /** Invalid records by slug: asking for one of them by slug raises its error. */
  invalid: Map<string, Error>;
}

const launchedOnly = (experiments: Experiment[]) => experiments.filter((e) => e.status !== 'draft');

function find(loaded: LoadedExperiments, slug: string): Experiment | null {
  const invalid = loaded.invalid.get(slug);
  if (invalid) throw invalid;
  return loaded.experiments.find((e) => e.slug === slug) ?? null;
}

/**
 * An ExperimentSource over two loaders: `launched` (a backend's launched experiments; a record
 * that turns out to be a draft is dropped here) and `drafts` (read only for the preview view).
 */
export function experimentSource(loaders: {
  launched: () => Promise<LoadedExperiments>;
  drafts: () => Promise<LoadedExperiments>;
}): ExperimentSource {
  const launched = async (): Promise<LoadedExperiments> => {
    const loaded = await loaders.launched();
    return { experiments: launchedOnly(loaded.experiments), invalid: loaded.invalid };
  };
  const withDrafts = async (): Promise<LoadedExperiments> => {
    const [a, b] = await Promise.all([loaders.launched(), loaders.drafts()]);
    // A slug in both (a draft endpoint lagging a launch): the launched record wins.
    const seen = new Set(a.experiments.map((e) => e.slug));
    return {
      experiments: [...a.experiments, ...b.experiments.filter((e) => !seen.has(e.slug))],
      invalid: new Map([...b.invalid, ...a.invalid]),
    };
  };
  const preview: PreviewExperiments = {
    includesDrafts: true,
    list: async () => (await withDrafts()).experiments,
    get: async (slug) => find(await withDrafts(), slug),
  };
  return {
    list: async () => (await launched()).experiments,
    get: async (slug) => find(await launched(), slug),
    forPreview: () => preview,
  };
}

/** Every experiment's slug, drafts included (their previews' tables are theirs too). */
export async function everySlug(source: ExperimentSource): Promise<string[]> {
  return (await source.forPreview().list()).map((e) => e.slug);
}

export class ExperimentsFileError extends ContrailError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`, { permanent: true, details: { file } });
    this.name = 'ExperimentsFileError';
  }
}

/** Parses an experiments file's text; every invalid field of every record is reported at once. */
export function parseExperimentsFile(file: string, text: string, now: Date): Experiment[] {
  // As a config file is: what a record's strings say is not known (see notUtf8Lines).
  const encoding = notUtf8Lines(text, 'JSON');
  if (encoding.length > 0) {
    const error = new ExperimentsFileError(file, `${encoding.length} line(s) not UTF-8`);
    // A whole Experimenter export saved as Latin-1 has hundreds: the first ones say what to do.
    const shown = encoding.slice(0, 5).map(({ line, message }) => `${file}:${line}: ${message}`);
    if (encoding.length > shown.length)
      shown.push(`${file}: and ${encoding.length - shown.length} more line(s) not UTF-8`);
    error.message = shown.join('\n');
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ExperimentsFileError(file, `not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) {
    throw new ExperimentsFileError(file, 'expected a JSON array of experiments (Experimenter v8 shape)');
  }
  const problems: string[] = [];
  const experiments: Experiment[] = [];
  const seen = new Map<string, number>();
  data.forEach((record, index) => {
    const parsed = ExperimenterV8Record.safeParse(record);
    if (!parsed.success) {
      const slug = recordSlug(record);
      for (const problem of recordProblems(parsed.error)) {
        problems.push(`${file}: experiment [${index}]${slug ? ` (${slug})` : ''}, ${problem}`);
      }
      return;
    }
    const earlier = seen.get(parsed.data.slug);
    if (earlier !== undefined) {
      problems.push(
        `${file}: experiment [${index}], field slug: ${parsed.data.slug} is already used by experiment [${earlier}]`,
      );
      return;
    }
    seen.set(parsed.data.slug, index);
    experiments.push(toExperiment(parsed.data, now));
  });
  if (problems.length > 0) {
    const error = new ExperimentsFileError(file, `${problems.length} invalid field(s)`);
    error.message = problems.join('\n');
    throw error;
  }
  return experiments;
}

/**
 * Experiments from a local JSON file in Experimenter's v8 shape. Read on every call (the file is
 * small and may be edited while a worker runs); status is derived against `now()` at read time.
 * Drafts in the file (a Draft status or no start date) are seen only through `forPreview()`.
 */
export function localExperimentSource(path: string, options: { now?: () => Date } = {}): ExperimentSource {
  const now = options.now ?? (() => new Date());
  const load = async (): Promise<LoadedExperiments> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ExperimentsFileError(path, `cannot read experiments file: ${(error as Error).message}`);
    }
    return { experiments: parseExperimentsFile(path, text, now()), invalid: new Map() };
  };
  return experimentSource({
    launched: load,
    drafts: async () => ({ experiments: [], invalid: new Map() }),
  });
}

/** contrail's package root (two levels above this module, in src/ and in a build alike). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `CONTRAIL_EXPERIMENTS_FILE`, else the demo experiments that ship with contrail. */
export function defaultExperimentsFile(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CONTRAIL_EXPERIMENTS_FILE?.trim();
  return configured ? configured : join(PACKAGE_ROOT, 'src', 'sample', 'experiments.json');
}

/** Platforms (app names) jetstream analyses; a config repo may hold others' configs (they are only read). */
const ANALYSED_PLATFORMS = [
  'firefox_desktop',
  'fenix',
  'focus_android',
  'klar_android',
  'firefox_ios',
  'focus_ios',
  'klar_ios',
] as const;

/**
 * Why an experiment is never analysed, whatever the date or whoever asks (jetstream's
 * RolloutSkip and UnsupportedApplication); null when it is. A preview still analyses it, as
 * jetstream's does.
 */
export function notAnalysedReason(
  experiment: Pick<Experiment, 'slug' | 'isRollout' | 'appName'>,
): string | null {
  if (experiment.isRollout) return `${experiment.slug} is a rollout: rollouts are not analysed`;
  if (!(ANALYSED_PLATFORMS as readonly string[]).includes(experiment.appName))
    return `${experiment.slug} is for ${experiment.appName}, which is not analysed (analysed: ${ANALYSED_PLATFORMS.join(', ')})`;
  return null;
}

/** How long after its end date the daily run still picks an experiment up (jetstream: 90 days). */
export const DAILY_RUN_GRACE_DAYS = 90;

/**
 * Whether the daily run on `date` analyses this experiment (jetstream's selection): live, or
 * ended within the last 90 days; not a rollout; a supported platform. A config's `skip = true`
 * is checked by the caller, once the config is resolved.
 */
export function eligibleForDailyRun(experiment: Experiment, date: IsoDate): boolean {
  if (notAnalysedReason(experiment) !== null) return false;
  if (experiment.status === 'draft') return false;
  if (experiment.status === 'live') return true;
  if (experiment.endDate === null) return false;
  const cutoff = addDays(date, -DAILY_RUN_GRACE_DAYS);
  return experiment.endDate >= cutoff;
}
