import { ANCHOR_LABEL } from '../versions/anchor.js';
import type { Pin } from '../versions/pin.js';
import type { ToolVersion } from '../versions/tool-version.js';
import { labelValue, lastUpdatedLabel } from '../warehouse/labels.js';
import type { TableLabels } from '../warehouse/warehouse.js';
import { ownerLabels } from './ownership.js';

/** jetstream's statistics schema version (StatisticResult.SCHEMA_VERSION); consumers check it. */
export const SCHEMA_VERSION = 4;

/** What of a pin a result table records: the configs it was computed from and the anchor they were chosen by. */
export type RecordedPin = Pick<Pin, 'configCommit' | 'anchor'>;

/**
 * Labels every result table carries (last_updated is the adapter's): the experiment it belongs
 * to (`slug`, as written: two slugs may share table names, see ownership.ts); the build that
 * computed it, taken from the running worker and never copied from the pin, so a table says what
 * actually made it; the config commit it was computed from; and the experiment's anchor that
 * chose both, when it had one.
 */
export function resultLabels(pin: RecordedPin, worker: ToolVersion, slug: string): TableLabels {
  return {
    ...ownerLabels(slug),
    schema_version: String(SCHEMA_VERSION),
    tool_version: labelValue(worker.version),
    build_id: labelValue(worker.buildId),
    config_commit: labelValue(pin.configCommit ?? 'none'),
    ...(pin.anchor === null ? {} : { [ANCHOR_LABEL]: lastUpdatedLabel(Date.parse(pin.anchor)) }),
  };
}

/** What a result table's labels say computed it: the build and the configs. */
export interface RecordedBuild {
  /** contrail's version, as far as a label keeps it (`0-1-0` is read back as `0.1.0`). */
  toolVersion: string;
  buildId: string | null;
  /** The config repos' commit; null for configs from a working tree (labelled `none`). */
  configCommit: string | null;
}

/**
 * The build and config commit `resultLabels` recorded on a result table; null for a table
 * written without them (by another tool, or before contrail labelled its tables). Labels hold no
 * dots, so a version's leading `major-minor-patch` is read back with dots; what follows it (a
 * pre-release's) stays as the label has it.
 */
export function recordedBuild(labels: TableLabels): RecordedBuild | null {
  const version = labels.tool_version;
  if (version === undefined || version === '') return null;
  const commit = labels.config_commit;
  return {
    toolVersion: version.replace(/^(\d+)-(\d+)-(\d+)/, '$1.$2.$3'),
    buildId: labels.build_id || null,
    configCommit: commit === undefined || commit === '' || commit === 'none' ? null : commit,
  };
}
