import type { Provenance } from '../provenance.js';
import type { PeriodConfigKey } from './periods.js';
import type { ConfigProblem } from './problems.js';
import type {
  DataSourceDefinition,
  DimensionDefinition,
  ExperimentSection,
  FunctionDefinition,
  MetricDefinition,
  ParameterDefinition,
  SegmentDataSourceDefinition,
  SegmentDefinition,
} from './schema.js';

/**
 * One metric-hub TOML file, checked and split into its definitions, each carrying where it
 * was written, and which kind of file it is by its place in the tree. Plain data shared by
 * the check of one file (parse.ts) and everything that reads its result (merging, platform
 * inference, resolution); nothing here knows about other files.
 */
export type ConfigFileKind = 'experiment' | 'default' | 'definition' | 'outcome' | 'functions';

/** Each kind of file as a message names it ("unknown key 'x' in an outcome file"). */
export const FILE_KIND_NAMES: Readonly<Record<ConfigFileKind, string>> = {
  experiment: 'an experiment file',
  default: 'a defaults file',
  definition: 'a definitions file',
  outcome: 'an outcome file',
  functions: 'the functions file',
};

export interface Defined<T> {
  name: string;
  def: T;
  /** Where the entry is written (its table header or key). */
  origin: Provenance;
  /** Where each field was written, so a bad reference points at its own line. */
  fields: Record<string, Provenance>;
}

export interface NameRef {
  name: string;
  origin: Provenance;
}

export interface ConfigFile {
  /** Path as shown in messages (relative to the config repo when read from one). */
  file: string;
  kind: ConfigFileKind;
  /** File stem: experiment slug, platform (defaults/definitions) or outcome slug. */
  slug: string;
  /** Platform directory of an outcome; the slug of a definitions or defaults file; else null. */
  platform: string | null;
  experiment: Defined<ExperimentSection> | null;
  metricLists: Partial<Record<PeriodConfigKey, NameRef[]>>;
  metrics: Map<string, Defined<MetricDefinition>>;
  dataSources: Map<string, Defined<DataSourceDefinition>>;
  segments: Map<string, Defined<SegmentDefinition>>;
  segmentDataSources: Map<string, Defined<SegmentDataSourceDefinition>>;
  parameters: Map<string, Defined<ParameterDefinition>>;
  functions: Map<string, Defined<FunctionDefinition>>;
  dimensions: Map<string, Defined<DimensionDefinition>>;
  outcome: { friendlyName: string | null; description: string | null; defaultMetrics: NameRef[] } | null;
  /** Problems that make the file unusable: TOML syntax, wrong types, unknown names. */
  errors: ConfigProblem[];
  /**
   * Statistic and pre-treatment parameters their own schemas refuse (`num_samples = 10`): errors
   * too, but the definitions around them are whole, so an experiment using the file is still
   * resolved and its other problems reported with these, in one round.
   */
  parameterErrors: ConfigProblem[];
  /** Unknown keys (typos): errors, or warnings in lenient mode (decided by whoever uses the file). */
  unknownKeys: ConfigProblem[];
  /**
   * Keys metric-config-parser reads elsewhere but not where they are written (a segment's
   * `window_start`): jetstream ignores them, so they are always warnings.
   */
  ignoredKeys: ConfigProblem[];
}

/** A file with nothing in it yet: the check fills it in section by section. */
export function emptyConfigFile(
  file: string,
  kind: ConfigFileKind,
  slug: string,
  platform: string | null,
): ConfigFile {
  return {
    file,
    kind,
    slug,
    platform,
    experiment: null,
    metricLists: {},
    metrics: new Map(),
    dataSources: new Map(),
    segments: new Map(),
    segmentDataSources: new Map(),
    parameters: new Map(),
    functions: new Map(),
    dimensions: new Map(),
    outcome: null,
    errors: [],
    parameterErrors: [],
    unknownKeys: [],
    ignoredKeys: [],
  };
}

/** What a file's place in the tree says about it (see ConfigFile's fields of the same names). */
export interface FilePlace {
  kind: ConfigFileKind;
  slug: string;
  platform: string | null;
}

/** Which kind a file is, from its place in a metric-hub `jetstream/` or `definitions/` tree. */
export function kindOfPath(relativePath: string): FilePlace {
  const parts = relativePath.split(/[\\/]/);
  const name = parts[parts.length - 1] ?? relativePath;
  const slug = name.replace(/\.toml$/, '');
  const parent = parts[parts.length - 2];
  const grandparent = parts[parts.length - 3];
  if (grandparent === 'outcomes') return { kind: 'outcome', slug, platform: parent ?? null };
  if (parent === 'defaults') return { kind: 'default', slug, platform: slug };
  if (parent === 'definitions') {
    return slug === 'functions'
      ? { kind: 'functions', slug, platform: null }
      : { kind: 'definition', slug, platform: slug };
  }
  return { kind: 'experiment', slug, platform: null };
}
