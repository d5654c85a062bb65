import { z } from 'zod';
import { IsoDate } from '../dates.js';
import { Experiment } from '../experiments/experiment.js';
import { Provenance } from '../provenance.js';
import { StatisticSpec } from '../statistics/spec.js';
import { ANALYSIS_PERIODS } from './periods.js';

/**
 * The resolved analysis specification: what `src/config` produces from metric-hub TOML for
 * one experiment and platform, and what `src/sql` and `src/statistics` consume. Plain JSON
 * (it travels through Temporal), every SQL fragment already rendered (no Jinja left).
 */

export const ANALYSIS_BASES = ['enrollments', 'exposures'] as const;
export const AnalysisBasis = z.enum(ANALYSIS_BASES);
export type AnalysisBasis = z.infer<typeof AnalysisBasis>;

export const ExperimentsColumnType = z.enum(['none', 'simple', 'native', 'glean', 'events_stream']);
export type ExperimentsColumnType = z.infer<typeof ExperimentsColumnType>;

export const DataSourceSpec = z.object({
  name: z.string(),
  /** Rendered FROM expression: a table name or a parenthesised query. */
  fromExpression: z.string(),
  clientIdColumn: z.string().default('client_id'),
  submissionDateColumn: z.string().default('submission_date'),
  groupIdColumn: z.string().default('profile_group_id'),
  experimentsColumnType: ExperimentsColumnType.default('simple'),
  defaultDataset: z.string().nullable().default(null),
  provenance: Provenance,
});
export type DataSourceSpec = z.infer<typeof DataSourceSpec>;

export const MetricSpec = z.object({
  name: z.string(),
  /** Rendered aggregate expression evaluated per client per window; null for depends_on-only metrics. */
  selectExpression: z.string().nullable(),
  /** Key into AnalysisSpec.dataSources; null for depends_on-only metrics. */
  dataSource: z.string().nullable(),
  friendlyName: z.string().nullable().default(null),
  description: z.string().nullable().default(null),
  biggerIsBetter: z.boolean().default(true),
  analysisBases: z.array(AnalysisBasis).default(['enrollments', 'exposures']),
  category: z.string().nullable().default(null),
  type: z.string().nullable().default(null),
  dependsOn: z.array(z.string()).default([]),
  statistics: z.array(StatisticSpec).default([]),
  provenance: Provenance,
});
export type MetricSpec = z.infer<typeof MetricSpec>;

export const SegmentDataSourceSpec = z.object({
  name: z.string(),
  fromExpression: z.string(),
  clientIdColumn: z.string().default('client_id'),
  submissionDateColumn: z.string().default('submission_date'),
  /** Days relative to each client's enrollment date, inclusive. */
  windowStart: z.number().int().default(0),
  windowEnd: z.number().int().default(0),
  provenance: Provenance,
});
export type SegmentDataSourceSpec = z.infer<typeof SegmentDataSourceSpec>;

export const SegmentSpec = z.object({
  name: z.string(),
  /** Rendered boolean aggregate, evaluated per client over the segment data source window. */
  selectExpression: z.string(),
  dataSource: z.string(),
  friendlyName: z.string().nullable().default(null),
  description: z.string().nullable().default(null),
  provenance: Provenance,
});
export type SegmentSpec = z.infer<typeof SegmentSpec>;

/** Symbolic window bounds allowed in `[experiment.exposure_signal]`. */
export const WindowBound = z.union([
  z.number().int(),
  z.enum(['enrollment_start', 'enrollment_end', 'analysis_window_start', 'analysis_window_end']),
]);
export type WindowBound = z.infer<typeof WindowBound>;

export const ExposureSignalSpec = z.object({
  name: z.string(),
  friendlyName: z.string().nullable().default(null),
  description: z.string().nullable().default(null),
  selectExpression: z.string(),
  dataSource: z.string(),
  windowStart: WindowBound.nullable().default(null),
  windowEnd: WindowBound.nullable().default(null),
  provenance: Provenance,
});
export type ExposureSignalSpec = z.infer<typeof ExposureSignalSpec>;

/** jetstream's enrollment query types, as a config may name them. */
/** metric-config-parser's query types: a config may name any of them. */
export const EnrollmentsQueryType = z.enum([
  'normandy',
  'glean-event',
  'fenix-fallback',
  'cirrus',
  'background-update',
]);
/** The ones contrail plans: a config naming another is refused where it is resolved (config/resolve.ts). */
export const PlannedEnrollmentsQueryType = EnrollmentsQueryType.exclude(['cirrus', 'background-update']);
export type PlannedEnrollmentsQueryType = z.infer<typeof PlannedEnrollmentsQueryType>;

/**
 * What an experiment's config overrides of its Experimenter record, as jetstream's metadata
 * lists it (mozilla-nimbus-schemas' ExternalConfig, which adds the spec's `skip`): each value
 * the config changed, null where it agrees with Experimenter.
 */
export const ExternalConfigSpec = z.object({
  referenceBranch: z.string().nullable(),
  startDate: IsoDate.nullable(),
  endDate: IsoDate.nullable(),
  enrollmentPeriod: z.number().int().nonnegative().nullable(),
});
export type ExternalConfigSpec = z.infer<typeof ExternalConfigSpec>;

export const AnalysisSpec = z.object({
  /** The experiment with config overrides (dates, reference branch, segments, outcomes) applied. */
  experiment: Experiment,
  /** Days of enrollment (jetstream's enrollment_period). */
  enrollmentPeriod: z.number().int().nonnegative(),
  /**
   * Where the config's `[experiment]` sets the enrollment dates in place of the experiment
   * record's (its `start_date`, `enrollment_period`): what a preview that finds nobody enrolled
   * names as the cause. Empty when the record's dates stand.
   */
  enrollmentSetBy: z.array(Provenance).default([]),
  /**
   * The config's `[experiment]` gives `enrollment_period`: then, as in jetstream, the experiment
   * is analysed before its Experimenter record has an end of enrollment.
   */
  enrollmentPeriodConfigured: z.boolean().default(false),
  enrollmentsQueryType: PlannedEnrollmentsQueryType,
  /** Rendered custom enrollment query, or null for the query type's built-in one. */
  enrollmentQuery: z.string().nullable().default(null),
  /** Where the custom enrollment query is written, for problems planning finds in it. */
  enrollmentQueryProvenance: Provenance.nullable().default(null),
  /** Keep clients with sample_id < sampleSize (0–100); null keeps everyone. */
  sampleSize: z.number().int().min(0).max(100).nullable().default(null),
  analysisUnit: z.enum(['client', 'profile_group']).default('client'),
  exposureSignal: ExposureSignalSpec.nullable().default(null),
  segments: z.array(SegmentSpec).default([]),
  segmentDataSources: z.record(z.string(), SegmentDataSourceSpec).default({}),
  dataSources: z.record(z.string(), DataSourceSpec),
  /** Metrics per analysis period, each with its statistics. */
  metrics: z.record(z.enum(ANALYSIS_PERIODS), z.array(MetricSpec)),
  skip: z.boolean().default(false),
  /** What the config overrides of Experimenter's record; null when it overrides none of it. */
  externalConfig: ExternalConfigSpec.nullable().default(null),
  /** Files that contributed, in resolution order (platform defaults first). */
  sources: z.array(z.string()).default([]),
  /** Config-repo commit(s) the spec was read at, when read from git. */
  configCommit: z.string().nullable().default(null),
  /** Set when the spec was resolved for a specific analysis date. */
  asOfDate: IsoDate.nullable().default(null),
});
export type AnalysisSpec = z.infer<typeof AnalysisSpec>;
