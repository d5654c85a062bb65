import type { Provenance } from '../../provenance.js';
import { STATISTIC_NAMES } from '../../statistics/registry.js';
import type { StatisticSpec } from '../../statistics/spec.js';
import { didYouMean } from '../../suggest.js';
import type { Defined } from '../config-file.js';
import type { MetricDefinition } from '../schema.js';
import type { Resolution } from './context.js';

/**
 * A metric's statistics as the analysis runs them: parameters as written (the statistics
 * apply their own defaults), pre-treatments as name and arguments. Their parameters were
 * checked with the file (check/statistics.ts); what needs other definitions is checked here:
 * a ratio's numerator and denominator must be metrics the experiment can see.
 */
export function statisticSpecs(
  r: Resolution,
  entry: Defined<MetricDefinition>,
  usedAt: Provenance,
): StatisticSpec[] {
  const stats = entry.def.statistics;
  if (!stats || Object.keys(stats).length === 0) {
    // jetstream resolves a depends_on input as a metric of its own, statistics and all, and
    // refuses one without them: the author asks why a mere input needs any.
    const input = usedAt.key.endsWith('.depends_on')
      ? ', which jetstream requires of a depends_on input too'
      : '';
    r.definitionError(
      entry.origin,
      `metric '${entry.name}' has no statistics${input}; add e.g. [metrics.${entry.name}.statistics] bootstrap_mean = {} (statistics: ${STATISTIC_NAMES.join(', ')})${r.outcomesDefining('metrics', entry.name)}`,
      usedAt,
    );
    return [];
  }
  const out: StatisticSpec[] = [];
  for (const [name, raw] of Object.entries(stats)) {
    // the file's check has reported anything that is not a table of parameters
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
    const { pre_treatments: pre, ...params } = raw as Record<string, unknown>;
    const at = entry.fields[`statistics.${name}`] ?? entry.fields.statistics ?? entry.origin;
    for (const key of ['numerator', 'denominator']) {
      const ref = params[key];
      if (typeof ref === 'string' && !r.defines('metrics', ref)) {
        r.error(
          at,
          `statistic '${name}' of metric '${entry.name}': ${key} '${ref}' is not a defined metric${didYouMean(ref, r.knownNames('metrics'))}`,
        );
      }
    }
    const preTreatments = Array.isArray(pre)
      ? pre.map((p: unknown) => {
          if (typeof p === 'string') return { name: p, args: {} };
          const { name: ptName, ...args } = p as { name: string } & Record<string, never>;
          return { name: ptName, args };
        })
      : [];
    out.push({
      name,
      params: params as StatisticSpec['params'],
      preTreatments,
      provenance: { ...at, key: `metrics.${entry.name}.statistics.${name}` },
    });
  }
  return out;
}
