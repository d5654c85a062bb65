import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { describe, friendlyIssue, isTable, type Table } from './describe.js';
import { DEFINITION_NAME_RULE, isDefinitionName, PERIOD_KEY_ALIASES, PERIOD_KEYS } from './names.js';
import type { ConfigProblem } from './problems.js';
import {
  DataSourceDefinition,
  DimensionDefinition,
  ExperimentSection,
  FunctionDefinition,
  MetricDefinition,
  ParameterDefinition,
  SECTION_KEYS,
  SegmentDataSourceDefinition,
  SegmentDefinition,
  sectionsReading,
} from './schema.js';
import type { PeriodConfigKey, Provenance } from './spec.js';
import { checkStatistics } from './statistic-check.js';
import { closestName, didYouMean, oneOf } from './suggest.js';
import { type KeyLines, type KeyPath, locateKeys } from './toml-lines.js';

/**
 * One metric-hub TOML file, checked and split into its definitions, each carrying where it
 * was written. Plain data: nothing here knows about other files.
 */
export type ConfigFileKind = 'experiment' | 'default' | 'definition' | 'outcome' | 'functions';

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
  /** Unknown keys (typos): errors, or warnings in lenient mode (decided by whoever uses the file). */
  unknownKeys: ConfigProblem[];
  /**
   * Keys metric-config-parser reads elsewhere but not where they are written (a segment's
   * `window_start`): jetstream ignores them, so they are always warnings.
   */
  ignoredKeys: ConfigProblem[];
}

const ROOT_KEYS: Record<ConfigFileKind, readonly string[]> = {
  // jetstream's config check accepts a title and description on experiment files.
  experiment: [
    'experiment',
    'metrics',
    'data_sources',
    'segments',
    'parameters',
    'friendly_name',
    'description',
  ],
  default: ['experiment', 'metrics', 'data_sources', 'segments', 'parameters'],
  definition: ['metrics', 'data_sources', 'segments', 'parameters', 'dimensions', 'alerts'],
  // An outcome may say which periods its metrics are computed for, with the same list keys.
  outcome: [
    'friendly_name',
    'description',
    'metrics',
    'data_sources',
    'parameters',
    'default_metrics',
    ...PERIOD_KEYS,
  ],
  functions: ['functions'],
};

/** Definitions whose names become SQL column or table-name parts. */
const NAMED_IN_SQL = new Set(['metric', 'data source', 'segment', 'segment data source']);

/** Which kind a file is, from its place in a metric-hub `jetstream/` or `definitions/` tree. */
export function kindOfPath(relativePath: string): {
  kind: ConfigFileKind;
  slug: string;
  platform: string | null;
} {
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

/** Parses and checks one file. Never throws for bad content: problems are in the result. */
export function parseConfigText(
  file: string,
  source: string,
  kind: ConfigFileKind,
  slug: string,
  platform: string | null,
): ConfigFile {
  const result: ConfigFile = {
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
    unknownKeys: [],
    ignoredKeys: [],
  };
  let doc: Table;
  try {
    doc = parseToml(source) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const firstLine = error.message.split('\n')[0] ?? error.message;
      result.errors.push({
        file,
        line: error.line,
        keyPath: '',
        message: `TOML syntax error: ${firstLine.replace(/^Invalid TOML document: /, '')}`,
      });
      return result;
    }
    throw error;
  }
  new FileChecker(result, locateKeys(source)).check(doc);
  return result;
}

class FileChecker {
  constructor(
    private readonly out: ConfigFile,
    private readonly lines: KeyLines,
  ) {}

  private at(path: KeyPath): Provenance {
    return { file: this.out.file, key: path.join('.'), line: this.lines.lineOf(path) };
  }

  private error(path: KeyPath, message: string): void {
    this.out.errors.push({
      file: this.out.file,
      line: this.lines.lineOf(path),
      keyPath: path.join('.'),
      message,
    });
  }

  private unknownKeys(table: Table, allowed: readonly string[], path: KeyPath, what: string): void {
    for (const key of Object.keys(table)) {
      if (allowed.includes(key)) continue;
      const at = {
        file: this.out.file,
        line: this.lines.lineOf([...path, key]),
        keyPath: [...path, key].join('.'),
      };
      const readIn = sectionsReading(key);
      if (readIn.length > 0 && closestName(key, allowed) === null) {
        this.out.ignoredKeys.push({
          ...at,
          message: `'${key}' has no effect in ${what}: it is read only in ${readIn.join(' and ')}; jetstream ignores it here, and so does contrail`,
        });
        continue;
      }
      this.out.unknownKeys.push({
        ...at,
        message: `unknown key '${key}' in ${what}${didYouMean(key, allowed)}; valid keys: ${allowed.join(', ')}`,
      });
    }
  }

  check(doc: Table): void {
    const { kind } = this.out;
    this.unknownKeys(doc, ROOT_KEYS[kind], [], `a ${kind} file`);
    if (kind === 'functions') {
      this.definitions(doc, 'functions', 'function', FunctionDefinition, this.out.functions);
      return;
    }
    if (kind === 'outcome') {
      this.outcomeHeader(doc);
      for (const key of PERIOD_KEYS) {
        const refs = doc[key] === undefined ? null : this.nameList(doc[key], [key]);
        if (refs) this.out.metricLists[key] = refs;
      }
    }
    if ((kind === 'experiment' || kind === 'default') && doc.experiment !== undefined)
      this.experiment(doc.experiment);
    if (doc.metrics !== undefined) this.metrics(doc.metrics);
    this.definitions(doc, 'data_sources', 'data source', DataSourceDefinition, this.out.dataSources);
    this.definitions(doc, 'parameters', 'parameter', ParameterDefinition, this.out.parameters);
    if (kind === 'definition')
      this.definitions(doc, 'dimensions', 'dimension', DimensionDefinition, this.out.dimensions);
    if (doc.segments !== undefined) this.segments(doc.segments);
    for (const [name, param] of this.out.parameters) this.parameterShape(param, name);
    if (kind === 'outcome' && this.out.outcome) {
      for (const ref of this.out.outcome.defaultMetrics) {
        if (!this.out.metrics.has(ref.name)) {
          this.out.errors.push({
            file: this.out.file,
            line: ref.origin.line,
            keyPath: ref.origin.key,
            message: `default metric '${ref.name}' is not defined in this outcome${didYouMean(ref.name, this.out.metrics.keys())}`,
          });
        }
      }
    }
  }

  private outcomeHeader(doc: Table): void {
    const header = {
      friendlyName: null as string | null,
      description: null as string | null,
      defaultMetrics: [] as NameRef[],
    };
    for (const key of ['friendly_name', 'description'] as const) {
      const v = doc[key];
      if (v === undefined)
        this.error([key], `an outcome needs '${key}' (a string shown on the results page)`);
      else if (typeof v !== 'string') this.error([key], `expected a string, got ${describe(v)}`);
      else if (key === 'friendly_name') header.friendlyName = v;
      else header.description = v;
    }
    if (doc.default_metrics !== undefined)
      header.defaultMetrics = this.nameList(doc.default_metrics, ['default_metrics']) ?? [];
    this.out.outcome = header;
  }

  private nameList(v: unknown, path: KeyPath): NameRef[] | null {
    if (!Array.isArray(v)) {
      this.error(path, `expected a list of names, got ${describe(v)}`);
      return null;
    }
    const refs: NameRef[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string')
        this.error([...path, i], `expected a name (string), got ${describe(item)}`);
      else refs.push({ name: item, origin: this.at([...path, i]) });
    });
    return refs;
  }

  private zodIssues(issues: z.core.$ZodIssue[], path: KeyPath): void {
    for (const issue of issues) {
      const issuePath = [...path, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
      this.error(issuePath, friendlyIssue(issue));
    }
  }

  private parseEntry<S extends z.ZodType>(
    schema: S,
    value: Table,
    path: KeyPath,
    name: string,
  ): Defined<z.infer<S>> | null {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (!parsed.success) {
      this.zodIssues(parsed.error.issues, path);
      return null;
    }
    const fields: Record<string, Provenance> = {};
    for (const key of Object.keys(value)) fields[key] = this.at([...path, key]);
    return { name, def: parsed.data, origin: this.at(path), fields };
  }

  private definitions<S extends z.ZodObject>(
    doc: Table,
    section: string,
    what: string,
    schema: S,
    into: Map<string, Defined<z.infer<S>>>,
  ): void {
    const tables = doc[section];
    if (tables === undefined) return;
    if (!isTable(tables)) {
      this.error([section], `expected a table of ${what} definitions, got ${describe(tables)}`);
      return;
    }
    for (const [name, value] of Object.entries(tables))
      this.definition(value, [section, name], name, what, schema, into);
  }

  private definition<S extends z.ZodObject>(
    value: unknown,
    path: KeyPath,
    name: string,
    what: string,
    schema: S,
    into: Map<string, Defined<z.infer<S>>>,
  ): void {
    if (!isTable(value)) {
      this.error(path, `expected a table defining ${what} '${name}', got ${describe(value)}`);
      return;
    }
    this.unknownKeys(value, Object.keys(schema.shape), path, `${what} '${name}'`);
    // Wildcard names (`[metrics.*.statistics]` in an overlay) only modify existing definitions.
    if (NAMED_IN_SQL.has(what) && !/[*?[]/.test(name) && !isDefinitionName(name))
      this.error(path, `${what} name '${name}' is not usable in SQL: ${DEFINITION_NAME_RULE}`);
    const entry = this.parseEntry(schema, value, path, name);
    if (entry) into.set(name, entry);
  }

  private experiment(value: unknown): void {
    if (!isTable(value)) {
      this.error(['experiment'], `expected the [experiment] table, got ${describe(value)}`);
      return;
    }
    this.unknownKeys(value, SECTION_KEYS.experiment, ['experiment'], '[experiment]');
    if (isTable(value.exposure_signal)) {
      this.unknownKeys(
        value.exposure_signal,
        SECTION_KEYS.exposureSignal,
        ['experiment', 'exposure_signal'],
        '[experiment.exposure_signal]',
      );
    }
    const entry = this.parseEntry(ExperimentSection, value, ['experiment'], 'experiment');
    if (!entry) return;
    if (entry.def.start_date && entry.def.end_date && entry.def.end_date < entry.def.start_date) {
      this.error(
        ['experiment', 'end_date'],
        `end_date ${entry.def.end_date} is before start_date ${entry.def.start_date}`,
      );
    }
    this.out.experiment = entry;
  }

  private metrics(value: unknown): void {
    if (!isTable(value)) {
      this.error(['metrics'], `expected the [metrics] table, got ${describe(value)}`);
      return;
    }
    for (const [key, entry] of Object.entries(value)) {
      const path = ['metrics', key];
      if ((PERIOD_KEYS as string[]).includes(key)) {
        if (this.out.kind === 'definition') {
          this.error(path, `period lists belong in experiment or defaults files, not in definitions`);
          continue;
        }
        const refs = this.nameList(entry, path);
        if (refs) this.out.metricLists[key as PeriodConfigKey] = refs;
      } else if (Array.isArray(entry)) {
        const alias = PERIOD_KEY_ALIASES[key];
        const hint = alias ? ` (did you mean '${alias}'?)` : didYouMean(key, PERIOD_KEYS);
        this.error(path, `'${key}' is not a period list${hint}; period lists are ${oneOf(PERIOD_KEYS)}`);
      } else if (isTable(entry)) {
        this.definition(entry, path, key, 'metric', MetricDefinition, this.out.metrics);
        if (isTable(entry.statistics))
          checkStatistics(entry.statistics, [...path, 'statistics'], (p, m) => this.error(p, m));
        else if (entry.statistics !== undefined)
          this.error(
            [...path, 'statistics'],
            `expected a table of statistics (e.g. statistics = { bootstrap_mean = {} }), got ${describe(entry.statistics)}`,
          );
      } else {
        this.error(path, `expected a metric definition table or a period list, got ${describe(entry)}`);
      }
    }
  }

  private segments(value: unknown): void {
    if (!isTable(value)) {
      this.error(['segments'], `expected the [segments] table, got ${describe(value)}`);
      return;
    }
    for (const [name, entry] of Object.entries(value)) {
      if (name === 'data_sources') {
        if (!isTable(entry))
          this.error(
            ['segments', 'data_sources'],
            `expected a table of segment data sources, got ${describe(entry)}`,
          );
        else {
          for (const [dsName, ds] of Object.entries(entry)) {
            this.definition(
              ds,
              ['segments', 'data_sources', dsName],
              dsName,
              'segment data source',
              SegmentDataSourceDefinition,
              this.out.segmentDataSources,
            );
          }
        }
        continue;
      }
      this.definition(entry, ['segments', name], name, 'segment', SegmentDefinition, this.out.segments);
    }
  }

  /** jetstream's rule: distinct_by_branch needs per-branch tables, otherwise one string. */
  private parameterShape(param: Defined<ParameterDefinition>, name: string): void {
    const { value, default: fallback, distinct_by_branch: byBranch } = param.def;
    const path = ['parameters', name];
    const given = value ?? fallback;
    if (given === undefined) {
      if (this.out.kind !== 'outcome') this.error(path, `parameter '${name}' needs 'value' or 'default'`);
      return;
    }
    if (byBranch && typeof given === 'string') {
      this.error(
        [...path, value !== undefined ? 'value' : 'default'],
        `parameter '${name}' is distinct_by_branch, so it needs one value per branch, e.g. value.control = "x"`,
      );
    } else if (!byBranch && typeof given !== 'string') {
      this.error(
        [...path, value !== undefined ? 'value' : 'default'],
        `parameter '${name}' has one value per branch; set distinct_by_branch = true, or give a single string`,
      );
    }
  }
}
