import { ANCHOR_LABEL } from '../versions/anchor.js';
import type { Pin } from '../versions/pin.js';
import type { ToolVersion } from '../versions/tool-version.js';
import { labelValue, lastUpdatedLabel } from '../warehouse/labels.js';
import type { TableLabels } from '../warehouse/warehouse.js';

/** jetstream's statistics schema version (StatisticResult.SCHEMA_VERSION); consumers check it. */
export const SCHEMA_VERSION = 4;

/** What of a pin a result table records: the configs it was computed from and the anchor they were chosen by. */
export type RecordedPin = Pick<Pin, 'configCommit' | 'anchor'>;

/**
 * Labels every result table carries (last_updated is the adapter's): the build that computed
 * it, taken from the running worker and never copied from the pin, so a table says what
 * actually made it; the config commit it was computed from; and the experiment's anchor that
 * chose both, when it had one.
 */
export function resultLabels(pin: RecordedPin, worker: ToolVersion): TableLabels {
  return {
    schema_version: String(SCHEMA_VERSION),
    tool_version: labelValue(worker.version),
    build_id: labelValue(worker.buildId),
    config_commit: labelValue(pin.configCommit ?? 'none'),
    ...(pin.anchor === null ? {} : { [ANCHOR_LABEL]: lastUpdatedLabel(Date.parse(pin.anchor)) }),
  };
}
