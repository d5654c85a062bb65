import { z } from 'zod';
import { ANALYSIS_PERIODS } from '../config/periods.js';
import { AnalysisBasis } from '../config/spec.js';
import { Provenance } from '../provenance.js';

/**
 * The provenance map written beside the `.sql` files of `--sql-output-dir`, as the dashboard
 * reads it (the rows it reads from the `logs` and `query_costs` tables are described beside
 * what writes them: analysis/table-rows.ts). It is read tolerantly: a map that is absent means
 * "not recorded", not an error; a field a future version adds is ignored until the page learns
 * to show it.
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
