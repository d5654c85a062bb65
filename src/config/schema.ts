import { z } from 'zod';
import { IsoDate } from '../dates.js';
// The values a config may choose from are the spec's own vocabulary: one list each.
import { AnalysisBasis, EnrollmentsQueryType, ExperimentsColumnType, WindowBound } from './spec.js';

/**
 * zod schemas for each section of a metric-hub TOML file, in the file's own spelling
 * (snake_case keys). Objects here strip unknown keys: unknown keys are reported separately
 * (`check/file-check.ts`), with did-you-mean and the `lenient` switch, before these run.
 * Field lists are metric-config-parser's (its attrs classes of the same sections, 2026.10), so
 * strict mode rejects only what no version of the format defines there.
 */

const text = z.string();
const AnalysisUnitName = z.enum(['client_id', 'profile_group_id']);

export const MetricDefinition = z.object({
  select_expression: text.optional(),
  data_source: text.optional(),
  friendly_name: text.optional(),
  description: text.optional(),
  bigger_is_better: z.boolean().optional(),
  analysis_bases: z.array(AnalysisBasis).optional(),
  depends_on: z.array(text).optional(),
  category: text.optional(),
  type: text.optional(),
  owner: z.union([text, z.array(text)]).optional(),
  deprecated: z.boolean().optional(),
  level: z.enum(['gold', 'silver', 'bronze']).optional(),
  analysis_units: z.array(AnalysisUnitName).optional(),
  /** Statistic name → parameters; checked against the statistics' schemas (`check/statistics.ts`). */
  statistics: z.record(text, z.unknown()).optional(),
  // metric-config-parser's generated-SQL metrics: read so they are recognised, refused when
  // resolved (contrail renders select_expression only; see AGGREGATION_KEYS).
  aggregation: text.optional(),
  column: text.optional(),
  where: z.array(z.unknown()).optional(),
  within_days: z.number().int().optional(),
  threshold: z.unknown().optional(),
  scale: z.number().optional(),
  cumulative_window: z.number().int().optional(),
  incremental_window: z.number().int().optional(),
  repeat_windows: z.boolean().optional(),
});
export type MetricDefinition = z.infer<typeof MetricDefinition>;

/** Metric keys of metric-config-parser's aggregation form, which contrail does not render. */
export const AGGREGATION_KEYS = [
  'aggregation',
  'column',
  'where',
  'within_days',
  'threshold',
  'scale',
  'cumulative_window',
  'incremental_window',
  'repeat_windows',
] as const;

export const DataSourceJoin = z.object({
  relationship: z.enum(['one_to_one', 'many_to_one', 'one_to_many', 'many_to_many']).optional(),
  on_expression: text.optional(),
});

export const DataSourceDefinition = z.object({
  from_expression: text.optional(),
  experiments_column_type: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(ExperimentsColumnType)
    .optional(),
  client_id_column: text.optional(),
  submission_date_column: text.optional(),
  default_dataset: text.optional(),
  build_id_column: text.optional(),
  friendly_name: text.optional(),
  description: text.optional(),
  joins: z.record(text, DataSourceJoin).optional(),
  columns_as_dimensions: z.boolean().optional(),
  analysis_units: z.array(AnalysisUnitName).optional(),
  group_id_column: text.optional(),
  glean_client_id_column: text.optional(),
  legacy_client_id_column: text.optional(),
  deprecated: z.boolean().optional(),
});
export type DataSourceDefinition = z.infer<typeof DataSourceDefinition>;

export const SegmentDefinition = z.object({
  data_source: text.optional(),
  select_expression: text.optional(),
  friendly_name: text.optional(),
  description: text.optional(),
});
export type SegmentDefinition = z.infer<typeof SegmentDefinition>;

export const SegmentDataSourceDefinition = z.object({
  from_expression: text.optional(),
  window_start: z.number().int().optional(),
  window_end: z.number().int().optional(),
  client_id_column: text.optional(),
  submission_date_column: text.optional(),
  default_dataset: text.optional(),
  group_id_column: text.optional(),
  glean_client_id_column: text.optional(),
  legacy_client_id_column: text.optional(),
  // Not metric-config-parser's, but harmless documentation that real configs write.
  friendly_name: text.optional(),
  description: text.optional(),
});
export type SegmentDataSourceDefinition = z.infer<typeof SegmentDataSourceDefinition>;

/** A value for every branch (`value.control = "x"`) or one for all. */
const ParameterValue = z.union([text, z.record(text, text)]);

export const ParameterDefinition = z.object({
  friendly_name: text.optional(),
  description: text.optional(),
  value: ParameterValue.optional(),
  default: ParameterValue.optional(),
  distinct_by_branch: z.boolean().optional(),
});
export type ParameterDefinition = z.infer<typeof ParameterDefinition>;

export const FunctionDefinition = z.object({
  definition: text,
  friendly_name: text.optional(),
  description: text.optional(),
});
export type FunctionDefinition = z.infer<typeof FunctionDefinition>;

export const DimensionDefinition = z.object({
  select_expression: text.optional(),
  data_source: text.optional(),
  friendly_name: text.optional(),
  description: text.optional(),
});
export type DimensionDefinition = z.infer<typeof DimensionDefinition>;

export const ExposureSignalDefinition = z.object({
  name: text,
  data_source: text,
  select_expression: text,
  friendly_name: text,
  description: text,
  window_start: WindowBound.optional(),
  window_end: WindowBound.optional(),
});
export type ExposureSignalDefinition = z.infer<typeof ExposureSignalDefinition>;

export const ExperimentSection = z.object({
  enrollment_query: text.optional(),
  enrollment_period: z.number().int().nonnegative().optional(),
  reference_branch: text.optional(),
  start_date: IsoDate.optional(),
  end_date: IsoDate.optional(),
  segments: z.array(text).optional(),
  outcomes: z.array(text).optional(),
  skip: z.boolean().optional(),
  exposure_signal: ExposureSignalDefinition.optional(),
  is_private: z.boolean().optional(),
  dataset_id: text.optional(),
  sample_size: z.number().int().min(0).max(100).optional(),
  analysis_unit: AnalysisUnitName.optional(),
  enrollments_query_type: EnrollmentsQueryType.optional(),
});
export type ExperimentSection = z.infer<typeof ExperimentSection>;

/** Keys each section accepts, from the schemas above (one source of truth). */
export const SECTION_KEYS = {
  metric: Object.keys(MetricDefinition.shape),
  dataSource: Object.keys(DataSourceDefinition.shape),
  join: Object.keys(DataSourceJoin.shape),
  segment: Object.keys(SegmentDefinition.shape),
  segmentDataSource: Object.keys(SegmentDataSourceDefinition.shape),
  parameter: Object.keys(ParameterDefinition.shape),
  function: Object.keys(FunctionDefinition.shape),
  dimension: Object.keys(DimensionDefinition.shape),
  exposureSignal: Object.keys(ExposureSignalDefinition.shape),
  experiment: Object.keys(ExperimentSection.shape),
} as const;

/**
 * Fields of the Experimenter record (metric-config-parser's `Experiment`), which `[experiment]`
 * cannot override; people write them there expecting they would.
 */
export const EXPERIMENTER_FIELDS = [
  'experimenter_slug',
  'normandy_slug',
  'type',
  'status',
  'branches',
  'proposed_enrollment',
  'is_high_population',
  'app_name',
  'bucket_config',
  'is_enrollment_paused',
  'app_id',
  'enrollment_end_date',
  'boolean_pref',
  'channel',
  'is_rollout',
] as const;

const SECTION_NAMES: Record<keyof typeof SECTION_KEYS, string> = {
  metric: 'metric definitions',
  dataSource: 'data sources',
  join: 'data source joins',
  segment: 'segments',
  segmentDataSource: 'segment data sources ([segments.data_sources.<name>])',
  parameter: 'parameters',
  function: 'functions',
  dimension: 'dimensions',
  exposureSignal: '[experiment.exposure_signal]',
  experiment: '[experiment]',
};

/**
 * Where metric-config-parser reads a key that is written somewhere it is not read, or null
 * when it reads it nowhere (a typo). jetstream silently ignores such a key, and so does
 * contrail, but it says so.
 */
export function sectionsReading(key: string): string[] {
  const out: string[] = [];
  for (const [section, keys] of Object.entries(SECTION_KEYS) as [keyof typeof SECTION_KEYS, string[]][])
    if (keys.includes(key)) out.push(SECTION_NAMES[section]);
  if ((EXPERIMENTER_FIELDS as readonly string[]).includes(key))
    out.push('the Experimenter record (a config cannot override it)');
  return out;
}
