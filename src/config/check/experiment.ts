import { describe, isTable } from '../describe.js';
import { ExperimentSection, SECTION_KEYS } from '../schema.js';
import type { FileCheck } from './file-check.js';

/**
 * The `[experiment]` section of an experiment or defaults file: its keys and those of its
 * exposure signal, its schema, and dates that cannot both hold.
 */
export function checkExperiment(check: FileCheck, value: unknown): void {
  if (!isTable(value)) {
    check.error(['experiment'], `expected the [experiment] table, got ${describe(value)}`);
    return;
  }
  check.unknownKeys(value, SECTION_KEYS.experiment, ['experiment'], '[experiment]');
  if (isTable(value.exposure_signal)) {
    check.unknownKeys(
      value.exposure_signal,
      SECTION_KEYS.exposureSignal,
      ['experiment', 'exposure_signal'],
      '[experiment.exposure_signal]',
    );
  }
  const entry = check.entry(ExperimentSection, value, ['experiment'], 'experiment');
  if (!entry) return;
  if (entry.def.start_date && entry.def.end_date && entry.def.end_date < entry.def.start_date) {
    check.error(
      ['experiment', 'end_date'],
      `end_date ${entry.def.end_date} is before start_date ${entry.def.start_date}`,
    );
  }
  check.out.experiment = entry;
}
