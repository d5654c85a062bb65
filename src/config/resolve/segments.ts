import type { Provenance } from '../../provenance.js';
import type { SegmentDataSourceSpec, SegmentSpec } from '../spec.js';
import { NO_FILE, type Resolution } from './context.js';
import { renderFromExpression } from './data-sources.js';

/**
 * The experiment's segments (Experimenter's and the config's), each with the segment data
 * source it is computed from, looked up in the config first, then the platform's definitions.
 */
export function resolveSegments(r: Resolution): {
  segments: SegmentSpec[];
  segmentDataSources: Record<string, SegmentDataSourceSpec>;
} {
  const segments: SegmentSpec[] = [];
  const segmentDataSources: Record<string, SegmentDataSourceSpec> = {};
  for (const name of r.experiment.segments) {
    const origin = r.layer.experiment?.def.segments?.includes(name) ? r.experimentField('segments') : NO_FILE;
    const segment = resolveSegment(r, name, origin, segmentDataSources);
    if (segment) segments.push(segment);
  }
  return { segments, segmentDataSources };
}

function resolveSegment(
  r: Resolution,
  name: string,
  refOrigin: Provenance,
  dataSources: Record<string, SegmentDataSourceSpec>,
): SegmentSpec | null {
  const entry = r.layer.segments.get(name) ?? r.shared.segments.get(name);
  if (!entry) {
    r.notDefined(refOrigin, 'segments', name);
    return null;
  }
  const { data_source: dsName, select_expression: select } = entry.def;
  if (dsName === undefined || select === undefined) {
    r.error(
      entry.origin,
      `segment '${name}' needs ${dsName === undefined ? 'data_source' : 'select_expression'}`,
    );
    return null;
  }
  const selectExpression = r.render(select, entry.fields.select_expression ?? entry.origin, {});
  const ds = r.layer.segmentDataSources.get(dsName) ?? r.shared.segmentDataSources.get(dsName);
  if (!ds) {
    r.notDefined(entry.fields.data_source ?? entry.origin, 'segmentDataSources', dsName);
    return null;
  }
  const fromExpression = renderFromExpression(r, 'segment data source', ds);
  if (selectExpression === null || fromExpression === null) return null;
  dataSources[dsName] = {
    name: dsName,
    fromExpression,
    clientIdColumn: ds.def.client_id_column ?? 'client_id',
    submissionDateColumn: ds.def.submission_date_column ?? 'submission_date',
    windowStart: ds.def.window_start ?? 0,
    windowEnd: ds.def.window_end ?? 0,
    provenance: ds.origin,
  };
  return {
    name,
    selectExpression,
    dataSource: dsName,
    friendlyName: entry.def.friendly_name ?? null,
    description: entry.def.description ?? null,
    provenance: entry.origin,
  };
}
