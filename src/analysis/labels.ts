import type { Pin } from '../versions/pin.js';
import type { ToolVersion } from '../versions/tool-version.js';
import { labelValue } from '../warehouse/labels.js';
import type { TableLabels } from '../warehouse/warehouse.js';

/** jetstream's statistics schema version (StatisticResult.SCHEMA_VERSION); consumers check it. */
export const SCHEMA_VERSION = 4;

/** What of a pin a result table records: the tooling release and the config commit. */
export type RecordedPin = Pick<Pin, 'toolVersion' | 'buildId' | 'configCommit'>;

/** Labels every result table carries: what wrote it and from which configs (last_updated is the adapter's). */
export function resultLabels(pin: RecordedPin, toolVersion: ToolVersion): TableLabels {
  return {
    schema_version: String(SCHEMA_VERSION),
    tool_version: labelValue(pin.toolVersion || toolVersion.version),
    build_id: labelValue(pin.buildId || toolVersion.buildId),
    config_commit: labelValue(pin.configCommit ?? 'none'),
  };
}
