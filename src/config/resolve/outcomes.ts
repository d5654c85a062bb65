import { didYouMean } from '../../suggest.js';
import type { Defined, NameRef } from '../config-file.js';
import { mergeDefinitions } from '../merge.js';
import { PERIOD_KEYS } from '../names.js';
import type { ParameterDefinition } from '../schema.js';
import { NO_FILE, type Resolution } from './context.js';

/**
 * The experiment's outcomes, folded into its layer as jetstream does: their metrics join the
 * analysis periods' lists (the periods the outcome names, else weekly and overall), their
 * definitions sit under the config's own, and their parameters fill in the config's.
 */
export function mergeOutcomes(r: Resolution): void {
  const { layer, platform } = r;
  for (const slug of r.experiment.outcomes) {
    const file = r.collection.outcome(platform, slug);
    if (!file) {
      const origin = layer.experiment?.def.outcomes?.includes(slug) ? r.experimentField('outcomes') : NO_FILE;
      const known = r.collection.outcomeSlugs(platform);
      r.error(
        origin,
        `outcome '${slug}' does not exist for platform '${platform}'${didYouMean(slug, known)}; outcomes: ${known.join(', ') || 'none'}`,
      );
      continue;
    }
    r.use(file);
    const declared = PERIOD_KEYS.filter((key) => (file.metricLists[key] ?? []).length > 0);
    if (declared.length > 0) {
      // The outcome says which periods its metrics are computed for.
      for (const key of declared) layer.metricLists[key].push(...(file.metricLists[key] ?? []));
    } else {
      // Without period lists, every metric of the outcome is computed weekly and overall.
      const refs: NameRef[] = [...file.metrics.values()].map((m) => ({ name: m.name, origin: m.origin }));
      layer.metricLists.weekly.push(...refs);
      layer.metricLists.overall.push(...refs);
    }
    const metrics = new Map(file.metrics);
    mergeDefinitions(metrics, layer.metrics);
    layer.metrics = metrics;
    const dataSources = new Map(file.dataSources);
    mergeDefinitions(dataSources, layer.dataSources);
    layer.dataSources = dataSources;
    for (const [name, param] of file.parameters) {
      const own = layer.parameters.get(name);
      layer.parameters.set(name, own ? mergeParameter(own, param) : param);
    }
  }
}

/** jetstream's rule for merging an outcome's parameter into the config's: the config's value wins, defaults fill in. */
function mergeParameter(
  own: Defined<ParameterDefinition>,
  outcome: Defined<ParameterDefinition>,
): Defined<ParameterDefinition> {
  const fallback = own.def.default ?? outcome.def.default;
  const value = own.def.value ?? outcome.def.value ?? fallback;
  const merged =
    typeof value === 'object' && typeof fallback === 'object' ? { ...fallback, ...value } : value;
  return {
    name: own.name,
    def: {
      friendly_name: own.def.friendly_name ?? outcome.def.friendly_name,
      description: own.def.description ?? outcome.def.description,
      value: merged,
      default: fallback,
      distinct_by_branch: own.def.distinct_by_branch ?? outcome.def.distinct_by_branch,
    },
    origin: own.origin,
    fields: { ...outcome.fields, ...own.fields },
  };
}
