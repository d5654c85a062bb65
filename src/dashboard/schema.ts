import { z } from 'zod';
import { ANALYSIS_PERIODS } from '../config/periods.js';
import { AnalysisBasis, Provenance } from '../config/spec.js';

/**
 * The shapes the dashboard reads besides the statistics tables (whose rows are
 * `StatisticResultRow`): the provenance map written beside the `.sql` files of
 * `--sql-output-dir`, the dataset's `logs` table and its per-query cost table. Each is read
 * tolerantly: a map or table that is absent means "not recorded", not an error; a column a
 * future version adds is ignored until the page learns to show it.
 */

/** The provenance map's file name, in the directory of the `.sql` files it describes. */
export const SQL_PROVENANCE_FILE = 'provenance.json';

/** 1-based, inclusive line range of a `.sql` file. */
export const SqlLineRange = z
  .object({ start: z.number().int().positive(), end: z.number().int().positive() })
  .refine((r) => r.end >= r.start, { message: 'end must not be before start' });
export type SqlLineRange = z.infer<typeof SqlLineRange>;

/** One fragment of a query traced to the config item it came from. */
export const SqlReference = z.object({
  /**
   * The query's output column the fragment produces (a metric or segment name, `branch`, …);
   * null for fragments that shape the whole query, such as a data source's FROM expression.
   */
  column: z.string().nullable(),
  /** Where the fragment is in the `.sql` file. */
  sqlLines: SqlLineRange,
  /** The config file, dotted key and line it came from. */
  config: Provenance,
});
export type SqlReference = z.infer<typeof SqlReference>;

export const SqlQueryProvenance = z.object({
  /** The `.sql` file, relative to the directory of the map. */
  file: z.string().min(1),
  /** The table the query writes. */
  destination: z.object({ dataset: z.string(), table: z.string() }),
  analysisDate: z.string().nullable().default(null),
  period: z.enum(ANALYSIS_PERIODS).nullable().default(null),
  windowIndex: z.number().int().positive().nullable().default(null),
  analysisBasis: AnalysisBasis.nullable().default(null),
  /** Metrics whose values the query computes or reduces (how the page finds "the SQL of metric m"). */
  metrics: z.array(z.string()).default([]),
  references: z.array(SqlReference).default([]),
});
export type SqlQueryProvenance = z.infer<typeof SqlQueryProvenance>;

export const SqlProvenanceMap = z.object({
  version: z.literal(1),
  experiment: z.string(),
  dataset: z.string(),
  queries: z.array(SqlQueryProvenance),
});
export type SqlProvenanceMap = z.infer<typeof SqlProvenanceMap>;

const Text = z.string().nullable().optional();
const Num = z.number().nullable().optional();

/**
 * A row of the dataset's `logs` table as the page shows it. The first group of columns is what
 * the analysis writes today; the second is what errors carry once they name the metric,
 * statistic, query and config key they belong to. Absent columns are simply not shown.
 */
export const LogRow = z.object({
  timestamp: Text,
  experiment: Text,
  analysis_date: Text,
  stage: Text,
  log_level: Text,
  exception_type: Text,
  message: Text,
  tool_version: Text,
  config_commit: Text,
  metric: Text,
  statistic: Text,
  analysis_basis: Text,
  segment: Text,
  analysis_period: Text,
  query: Text,
  config_file: Text,
  config_key: Text,
  config_line: Num,
});
export type LogRow = z.infer<typeof LogRow>;

/** The table of per-query cost and time a preview keeps in its dataset. */
export const QUERY_COSTS_TABLE = 'query_costs';

/**
 * A row of `query_costs`: one per query of a preview run. Bytes are estimates before the run
 * (BigQuery dry runs; DuckDB column sizes, labelled by `estimate_method`) and what the
 * warehouse reported after it.
 */
export const QueryCostRow = z.object({
  timestamp: Text,
  experiment: Text,
  analysis_date: Text,
  /** The table the query wrote. */
  destination: z.string(),
  stage: Text,
  /** `dry_run` (BigQuery) or `column_sizes` (DuckDB estimate). */
  estimate_method: Text,
  estimated_bytes: Num,
  bytes_processed: Num,
  elapsed_ms: Num,
  /** Dollars at the on-demand price the preview used. */
  cost_usd: Num,
});
export type QueryCostRow = z.infer<typeof QueryCostRow>;
