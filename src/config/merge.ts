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
 * parameters replaced by name. Unlike upstream, only fields a file actually sets override
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
 * overlay) applies to every existing entry it matches and defines nothing new.
 */
export function mergeDefinitions<T extends object>(
  into: Map<string, Defined<T>>,
  over: ReadonlyMap<string, Defined<T>>,
): void {
  for (const [name, entry] of over) {
    if (WILDCARD.test(name)) {
      const re = wildcardRegExp(name);
      for (const [existing, base] of into)
        if (re.test(existing)) into.set(existing, { ...mergeDefined(base, entry), name: existing });
    } else {
      into.set(name, mergeDefined(into.get(name), entry));
    }
  }
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
