import { didYouMean } from '../../suggest.js';
import type { NameRef } from '../config-file.js';
import { describe, type Table } from '../describe.js';
import { PERIOD_KEYS } from '../names.js';
import type { FileCheck } from './file-check.js';
import { checkPeriodList } from './metrics.js';

/**
 * What only an outcome file has: its title and description (both required: the results page
 * shows them), the metrics it shows by default, and optionally the analysis periods its
 * metrics are computed for, as top-level period lists.
 */
export function checkOutcome(check: FileCheck, doc: Table): void {
  const header = {
    friendlyName: null as string | null,
    description: null as string | null,
    defaultMetrics: [] as NameRef[],
  };
  for (const key of ['friendly_name', 'description'] as const) {
    const v = doc[key];
    if (v === undefined) check.error([key], `an outcome needs '${key}' (a string shown on the results page)`);
    else if (typeof v !== 'string') check.error([key], `expected a string, got ${describe(v)}`);
    else if (key === 'friendly_name') header.friendlyName = v;
    else header.description = v;
  }
  if (doc.default_metrics !== undefined)
    header.defaultMetrics = check.nameList(doc.default_metrics, ['default_metrics']) ?? [];
  check.out.outcome = header;
  for (const key of PERIOD_KEYS) if (doc[key] !== undefined) checkPeriodList(check, key, doc[key], [key]);
}

/** Default metrics must be metrics the outcome defines (checked once all are read). */
export function checkDefaultMetrics(check: FileCheck): void {
  const { outcome, metrics } = check.out;
  if (!outcome) return;
  for (const ref of outcome.defaultMetrics) {
    if (!metrics.has(ref.name))
      check.errorAt(
        ref.origin,
        `default metric '${ref.name}' is not defined in this outcome${didYouMean(ref.name, metrics.keys())}`,
      );
  }
}
