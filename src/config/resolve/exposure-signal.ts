import type { Provenance } from '../../provenance.js';
import type { ExposureSignalSpec } from '../spec.js';
import type { Resolution } from './context.js';
import type { DataSources } from './data-sources.js';

/**
 * `[experiment.exposure_signal]`: the condition that counts a client as exposed, with its
 * data source resolved and its SQL rendered; null when the config has none or it is invalid.
 */
export function resolveExposureSignal(r: Resolution, dataSources: DataSources): ExposureSignalSpec | null {
  const signal = r.layer.experiment?.def.exposure_signal;
  if (!signal) return null;
  const origin = r.experimentField('exposure_signal');
  const at = (key: string): Provenance => ({ ...origin, key: `experiment.exposure_signal.${key}` });
  dataSources.resolve(signal.data_source, at('data_source'));
  const selectExpression = r.render(signal.select_expression, at('select_expression'), {});
  if (selectExpression === null) return null;
  return {
    name: signal.name,
    friendlyName: signal.friendly_name,
    description: signal.description,
    selectExpression,
    dataSource: signal.data_source,
    windowStart: signal.window_start ?? null,
    windowEnd: signal.window_end ?? null,
    provenance: origin,
  };
}
