import { z } from 'zod';
import { IsoDate } from '../experiments/experiment.js';

/**
 * zod schemas for each section of a metric-hub TOML file, in the file's own spelling
 * (snake_case keys). Objects here strip unknown keys: unknown keys are reported separately
 * (`parse.ts`), with did-you-mean and the `lenient` switch, before these run.
 * Field lists follow metric-config-parser's definitions of the same sections.
 */

const text = z.string();
const AnalysisUnitName = z.enum(['client_id', 'profile_group_id']);

export const MetricDefinition = z.object({
  select_expression: text.optional(),
  data_source: text.optional(),
  friendly_name: text.optional(),
  description: text.optional(),
  bigger_is_better: z.boolean().optional(),
  analysis_bases: z.array(z.enum(['enrollments', 'exposures'])).optional(),
  depends_on: z.array(text).optional(),
  category: text.optional(),
  type: text.optional(),
  owner: z.union([text, z.array(text)]).optional(),
  deprecated: z.boolean().optional(),
  level: z.enum(['gold', 'silver', 'bronze']).optional(),
  analysis_units: z.array(AnalysisUnitName).optional(),
  /** Statistic name → parameters; names, parameters and pre-treatments are checked in `parse.ts`. */
  statistics: z.record(text, z.unknown()).optional(),
});
export type MetricDefinition = z.infer<typeof MetricDefinition>;

export const DataSourceJoin = z.object({
  relationship: z.enum(['one_to_one', 'many_to_one', 'one_to_many', 'many_to_many']).optional(),
  on_expression: text.optional(),
});

export const DataSourceDefinition = z.object({
  from_expression: text.optional(),
  experiments_column_type: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['none', 'simple', 'native', 'glean', 'events_stream']))
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

export const WindowBoundValue = z.union([
  z.number().int(),
  z.enum(['enrollment_start', 'enrollment_end', 'analysis_window_start', 'analysis_window_end']),
]);

export const ExposureSignalDefinition = z.object({
  name: text,
  data_source: text,
  select_expression: text,
  friendly_name: text,
  description: text,
  window_start: WindowBoundValue.optional(),
  window_end: WindowBoundValue.optional(),
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
  enrollments_query_type: z.enum(['normandy', 'glean-event', 'fenix-fallback', 'cirrus']).optional(),
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
