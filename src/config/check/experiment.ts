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
  // jetstream writes such an experiment's results to its own dataset and exports none of them.
  // contrail writes every experiment of a run to the run's dataset: rather than publish a private
  // experiment's results there (and to the exports), it refuses the config.
  for (const key of ['is_private', 'dataset_id'] as const) {
    const given = entry.def[key];
    if (given === undefined || given === false) continue;
    check.error(
      ['experiment', key],
      `${key} = ${JSON.stringify(given)}: contrail writes each experiment's results to the dataset the run names (--dataset_id) and exports them, and has no per-experiment dataset; a private experiment, or one with a dataset of its own, is refused rather than published there (analyse it with jetstream, or remove the key to publish with the others)`,
    );
  }
  check.out.experiment = entry;
}
