import type { QueryProgress } from '../warehouse/warehouse.js';

/**
 * Progress of the warehouse jobs of one step. Inside a Temporal activity this heartbeats and
 * carries the activity's cancellation; elsewhere (tests, scripts) it does nothing.
 */
export interface JobProgress {
  /** Progress and cancellation for the warehouse job named `what`. */
  job(what: string): QueryProgress;
  /** A sign of life between the jobs of a long sequence. */
  step(what: string): void;
}
