import { z } from 'zod';
import { IsoDate } from '../dates.js';

export const Branch = z.object({
  slug: z.string().min(1),
  ratio: z.number().nonnegative().default(1),
});
export type Branch = z.infer<typeof Branch>;

export const ExperimentStatus = z.enum(['draft', 'live', 'complete']);
export type ExperimentStatus = z.infer<typeof ExperimentStatus>;

/**
 * The experiment as contrail uses it, independent of where it came from (Experimenter's v8
 * API, a local experiments file). Field meanings follow Experimenter's v8 JSON.
 */
export const Experiment = z.object({
  slug: z.string().min(1),
  /** Platform/app: firefox_desktop, fenix, firefox_ios, focus_android, ... */
  appName: z.string().min(1),
  appId: z.string().nullable().default(null),
  channel: z.string().nullable().default(null),
  status: ExperimentStatus,
  branches: z.array(Branch).min(1),
  referenceBranch: z.string().nullable().default(null),
  startDate: IsoDate.nullable(),
  endDate: IsoDate.nullable().default(null),
  enrollmentEndDate: IsoDate.nullable().default(null),
  proposedEnrollment: z.number().int().nonnegative().nullable().default(null),
  proposedDuration: z.number().int().nonnegative().nullable().default(null),
  isRollout: z.boolean().default(false),
  isEnrollmentPaused: z.boolean().default(false),
  isHighPopulation: z.boolean().default(false),
  /** Outcome slugs (metric-hub `jetstream/outcomes/<platform>/<slug>.toml`). */
  outcomes: z.array(z.string()).default([]),
  /** Segment names selected in Experimenter. */
  segments: z.array(z.string()).default([]),
  featureIds: z.array(z.string()).default([]),
  /**
   * What Experimenter randomizes on (`bucketConfig.randomizationUnit`: normandy_id, group_id,
   * nimbus_id, user_id). It decides the analysis unit unless the config names one: group_id
   * means profile groups, anything else (or none) clients.
   */
  randomizationUnit: z.string().nullable().default(null),
});
export type Experiment = z.infer<typeof Experiment>;
