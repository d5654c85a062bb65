import type { AnalysisPeriod } from '../config/periods.js';
import type { AnalysisSpec } from '../config/spec.js';
import type { TableLabels, Warehouse } from '../warehouse/warehouse.js';
import type { JobProgress } from './progress.js';
import type { RunTables } from './staging.js';

/** What every step of one experiment's analysis works with: the same for every step of one run. */
export interface AnalysisContext {
  /** The resolved spec, a preview's sample size applied. */
  spec: AnalysisSpec;
  warehouse: Warehouse;
  /** Dataset (schema) the result tables go to. */
  dataset: string;
  /** Restrict to these periods; null = every period the config lists. */
  periods: AnalysisPeriod[] | null;
  /** Labels every table written carries: what wrote it, from which configs. */
  labels: TableLabels;
  /** The names the run gives its result tables (staged until it publishes). */
  results: RunTables;
  progress: JobProgress;
}
