import type { ConfigFile, Defined, NameRef } from './config-file.js';
import type { PeriodConfigKey } from './periods.js';
import type {
  DataSourceDefinition,
  ExperimentSection,
  MetricDefinition,
  ParameterDefinition,
  SegmentDataSourceDefinition,
  SegmentDefinition,
} from './schema.js';

/**
 * Several config files folded into one, as metric-config-parser merges them: definitions
 * field by field (a later file's fields win), period lists concatenated, segments and
 * parameters replaced by name. A metric's `statistics` is one field: a later file that gives
 * a metric statistics replaces the earlier file's whole table, statistic parameters included,
 * and nothing of the earlier statistics survives (metric-config-parser's
 * `MetricDefinition.merge`). Unlike upstream, only fields a file actually sets override
 * (upstream lets an unset `bigger_is_better` reset an earlier `false`), and parameters are
 * merged too (upstream drops an experiment file's own parameters).
 */
export interface SpecLayer {
  experiment: Defined<Partial<ExperimentSection>> | null;
  metricLists: Record<PeriodConfigKey, NameRef[]>;
  metrics: Map<string, Defined<MetricDefinition>>;
  dataSources: Map<string, Defined<DataSourceDefinition>>;
  segments: Map<string, Defined<SegmentDefinition>>;
  segmentDataSources: Map<string, Defined<SegmentDataSourceDefinition>>;
  parameters: Map<string, Defined<ParameterDefinition>>;
}

export function emptyLayer(): SpecLayer {
  return {
    experiment: null,
    metricLists: {
      daily: [],
      weekly: [],
      '28_day': [],
      overall: [],
      preenrollment_weekly: [],
      preenrollment_days28: [],
    },
    metrics: new Map(),
    dataSources: new Map(),
    segments: new Map(),
    segmentDataSources: new Map(),
    parameters: new Map(),
  };
}

/** `base` with every field `over` sets replacing base's; origin is the later file's. */
export function mergeDefined<T extends object>(base: Defined<T> | undefined, over: Defined<T>): Defined<T> {
  if (!base) return over;
  const def = { ...base.def } as Record<string, unknown>;
  for (const [key, value] of Object.entries(over.def)) if (value !== undefined) def[key] = value;
  return { name: base.name, def: def as T, origin: over.origin, fields: { ...base.fields, ...over.fields } };
}

const WILDCARD = /[*?[]/;

/** fnmatch-style pattern (`*`, `?`, `[...]`) as a whole-name regular expression. */
function wildcardRegExp(pattern: string): RegExp {
  let out = '';
  for (const c of pattern) {
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[' || c === ']') out += c;
    else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * Merges `over` into `into` by name. A name with wildcards (`[metrics.*.statistics]` in an
 * overlay) applies to every entry it matches that an earlier file defined, not to the ones
 * `over` itself adds, and defines nothing new. An empty table (`[metrics.m.statistics]` with
 * nothing under it) sets nothing: the earlier file's table stays, as upstream, where an empty
 * table counts as unset.
 */
export function mergeDefinitions<T extends object>(
  into: Map<string, Defined<T>>,
  over: ReadonlyMap<string, Defined<T>>,
): void {
  const earlier = [...into.keys()];
  for (const [name, entry] of over) {
    if (WILDCARD.test(name)) {
      const re = wildcardRegExp(name);
      for (const existing of earlier) {
        const base = into.get(existing);
        if (base && re.test(existing))
          into.set(existing, { ...mergeDefined(base, withoutEmptyTables(entry)), name: existing });
      }
    } else {
      const base = into.get(name);
      // A new definition is kept as written: an empty statistics table of its own is its author's mistake to hear about.
      into.set(name, base ? mergeDefined(base, withoutEmptyTables(entry)) : entry);
    }
  }
}

/** `entry` without its fields that are empty tables (and where they were written). */
function withoutEmptyTables<T extends object>(entry: Defined<T>): Defined<T> {
  const empty = Object.entries(entry.def).filter(
    ([, value]) =>
      typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0,
  );
  if (empty.length === 0) return entry;
  const def = { ...entry.def } as Record<string, unknown>;
  const fields = { ...entry.fields };
  for (const [key] of empty) {
    delete def[key];
    delete fields[key];
  }
  return { ...entry, def: def as T, fields };
}

/** Folds one file into a layer (defaults first, then the experiment's own file). */
export function mergeFile(layer: SpecLayer, file: ConfigFile | SpecLayer): void {
  if (file.experiment) layer.experiment = mergeDefined(layer.experiment ?? undefined, file.experiment);
  for (const key of Object.keys(layer.metricLists) as PeriodConfigKey[]) {
    const extra = file.metricLists[key];
    if (extra) layer.metricLists[key] = [...layer.metricLists[key], ...extra];
  }
  mergeSharedDefinitions(layer, file);
  for (const [name, entry] of file.parameters) layer.parameters.set(name, entry);
}

/**
 * Folds the definitions a platform's definitions files share with experiments into a layer:
 * metrics and data sources field by field, segments and segment data sources by name.
 */
export function mergeSharedDefinitions(
  layer: SpecLayer,
  file: Pick<ConfigFile, 'metrics' | 'dataSources' | 'segments' | 'segmentDataSources'>,
): void {
  mergeDefinitions(layer.metrics, file.metrics);
  mergeDefinitions(layer.dataSources, file.dataSources);
  for (const [name, entry] of file.segments) layer.segments.set(name, entry);
  for (const [name, entry] of file.segmentDataSources) layer.segmentDataSources.set(name, entry);
}
