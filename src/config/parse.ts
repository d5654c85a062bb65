import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import {
  PERIOD_KEY_ALIASES,
  PERIOD_KEYS,
  PRE_TREATMENT_ARGS,
  PRE_TREATMENT_NAMES,
  type PreTreatmentName,
  REQUIRED_PRE_TREATMENT_ARGS,
  REQUIRED_STATISTIC_PARAMS,
  STATISTIC_NAMES,
  STATISTIC_PARAMS,
  type StatisticName,
} from './names.js';
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
} from './schema.js';
import type { PeriodConfigKey, Provenance } from './spec.js';
import { didYouMean, oneOf } from './suggest.js';
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
  /** Unknown keys: errors, or warnings in lenient mode (decided by whoever uses the file). */
  unknownKeys: ConfigProblem[];
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
  outcome: ['friendly_name', 'description', 'metrics', 'data_sources', 'parameters', 'default_metrics'],
  functions: ['functions'],
};

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

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date-time';
  if (isTable(v)) return 'a table';
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  return `${typeof v} ${String(v)}`;
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
      this.out.unknownKeys.push({
        file: this.out.file,
        line: this.lines.lineOf([...path, key]),
        keyPath: [...path, key].join('.'),
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
    if (kind === 'outcome') this.outcomeHeader(doc);
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
        if (isTable(entry.statistics)) this.statistics(entry.statistics, [...path, 'statistics']);
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

  private statistics(stats: Table, path: KeyPath): void {
    for (const [name, params] of Object.entries(stats)) {
      const statPath = [...path, name];
      if (!(STATISTIC_NAMES as string[]).includes(name)) {
        this.error(
          statPath,
          `unknown statistic '${name}'${didYouMean(name, STATISTIC_NAMES)}; statistics are ${oneOf(STATISTIC_NAMES)}`,
        );
        continue;
      }
      if (!isTable(params)) {
        this.error(
          statPath,
          `expected a table of parameters for statistic '${name}' (use {} for none), got ${describe(params)}`,
        );
        continue;
      }
      const allowed = [...STATISTIC_PARAMS[name as StatisticName], 'pre_treatments'];
      this.unknownKeys(params, allowed, statPath, `statistic '${name}'`);
      for (const required of REQUIRED_STATISTIC_PARAMS[name as StatisticName] ?? []) {
        if (params[required] === undefined)
          this.error(statPath, `statistic '${name}' needs '${required}' (a metric name)`);
      }
      this.statisticParams(params, statPath);
      if (params.pre_treatments !== undefined)
        this.preTreatments(params.pre_treatments, [...statPath, 'pre_treatments']);
    }
  }

  private statisticParams(params: Table, path: KeyPath): void {
    const fraction = (key: string) => {
      const v = params[key];
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0 && v < 1)))
        this.error([...path, key], `expected a fraction from 0 up to (not including) 1, got ${describe(v)}`);
    };
    const positiveInt = (key: string) => {
      const v = params[key];
      if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v > 0))
        this.error([...path, key], `expected a positive whole number, got ${describe(v)}`);
    };
    const ofType = (key: string, type: 'string' | 'boolean' | 'number') => {
      const v = params[key];
      if (v !== undefined && typeof v !== type)
        this.error([...path, key], `expected a ${type}, got ${describe(v)}`);
    };
    fraction('drop_highest');
    positiveInt('num_samples');
    positiveInt('grid_size');
    ofType('log_space', 'boolean');
    ofType('numerator', 'string');
    ofType('denominator', 'string');
    ofType('bandwidth', 'string');
    ofType('kernel', 'string');
    ofType('adjust', 'number');
    const ci = params.confidence_interval;
    if (ci !== undefined && !(typeof ci === 'number' && ci > 0 && ci < 1))
      this.error([...path, 'confidence_interval'], `expected a number between 0 and 1, got ${describe(ci)}`);
    const cov = params.covariate_adjustment;
    if (cov !== undefined) {
      const covPath = [...path, 'covariate_adjustment'];
      if (!isTable(cov))
        this.error(covPath, `expected a table like { period = "preenrollment_week" }, got ${describe(cov)}`);
      else {
        this.unknownKeys(cov, ['period'], covPath, 'covariate_adjustment');
        const periods = ['preenrollment_week', 'preenrollment_days28'];
        if (typeof cov.period !== 'string' || !periods.includes(cov.period)) {
          const hint = typeof cov.period === 'string' ? didYouMean(cov.period, periods) : '';
          this.error(
            [...covPath, 'period'],
            `covariate period must be ${oneOf(periods)}, got ${describe(cov.period)}${hint}`,
          );
        }
      }
    }
  }

  private preTreatments(value: unknown, path: KeyPath): void {
    if (!Array.isArray(value)) {
      this.error(
        path,
        `expected a list of pre-treatments (names, or tables with 'name'), got ${describe(value)}`,
      );
      return;
    }
    value.forEach((item, i) => {
      const itemPath = [...path, i];
      const name = typeof item === 'string' ? item : isTable(item) ? item.name : undefined;
      if (typeof name !== 'string') {
        this.error(itemPath, `expected a pre-treatment name or a table with 'name', got ${describe(item)}`);
        return;
      }
      if (!(PRE_TREATMENT_NAMES as string[]).includes(name)) {
        this.error(
          itemPath,
          `unknown pre-treatment '${name}'${didYouMean(name, PRE_TREATMENT_NAMES)}; pre-treatments are ${oneOf(PRE_TREATMENT_NAMES)}`,
        );
        return;
      }
      const args = PRE_TREATMENT_ARGS[name as PreTreatmentName] as readonly string[];
      const given = isTable(item) ? item : {};
      this.unknownKeys(given, ['name', ...args], itemPath, `pre-treatment '${name}'`);
      for (const required of REQUIRED_PRE_TREATMENT_ARGS[name as PreTreatmentName] ?? []) {
        if (given[required] === undefined)
          this.error(
            itemPath,
            `pre-treatment '${name}' needs '${required}' (write it as { name = "${name}", ${required} = ... })`,
          );
      }
      for (const arg of args) {
        const v = given[arg];
        if (v !== undefined && typeof v !== 'number')
          this.error([...itemPath, arg], `expected a number, got ${describe(v)}`);
      }
    });
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

/** A zod issue in words a config author understands. */
function friendlyIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const got = 'input' in issue ? describe(issue.input) : 'nothing';
      return issue.input === undefined
        ? `required key is missing (expected ${issue.expected})`
        : `expected ${issue.expected}, got ${got}`;
    }
    case 'invalid_value':
      return `expected ${oneOf(issue.values.map(String))}, got ${describe(issue.input)}${typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.map(String)) : ''}`;
    case 'invalid_union':
      return `expected ${issue.path.at(-1) === 'window_start' || issue.path.at(-1) === 'window_end' ? "a number of days or one of 'enrollment_start', 'enrollment_end', 'analysis_window_start', 'analysis_window_end'" : 'a string, or a table of per-branch strings'}, got ${describe(issue.input)}`;
    case 'too_small':
    case 'too_big':
      return `${issue.message}, got ${describe(issue.input)}`;
    default:
      return `${issue.message}${'input' in issue && issue.input !== undefined ? `, got ${describe(issue.input)}` : ''}`;
  }
}
