import type { AnalysisPeriod } from '../../config/periods.js';
import type { AnalysisBasis, AnalysisSpec } from '../../config/spec.js';
import type { IsoDate } from '../../dates.js';
import type { Provenance } from '../../provenance.js';
import type { TableRef } from '../../warehouse/table-ref.js';
import type { SqlDialect } from '../dialect.js';

/**
 * `metrics_scan` reads a data source (once for every analysis basis); `metrics` splits one
 * basis's jetstream table from a scan table; `statistic_inputs` reduce a metrics table.
 */
export type PlannedQueryKind = 'enrollments' | 'metrics_scan' | 'metrics' | 'statistic_inputs';

/** A column contrail computes from a config item, with where that item was defined. */
export interface ColumnProvenance {
  name: string;
  provenance: Provenance;
}

/** A fragment of a rendered query traced to the config item it came from, with its 1-based inclusive lines. */
export interface SqlFragmentReference {
  /** The output column the fragment computes (a metric), or null for one that shapes the query (a data source's FROM). */
  column: string | null;
  lines: { start: number; end: number };
  provenance: Provenance;
  /**
   * The fragment shapes one part of the query among others (a segment's data source in the
   * enrollments): named when the warehouse points into it, never for the query as a whole.
   */
  partial?: boolean;
}

/** One rendered query and the table it writes. Plain data: it travels through Temporal. */
export interface PlannedQuery {
  kind: PlannedQueryKind;
  destination: TableRef;
  sql: string;
  period?: AnalysisPeriod;
  windowIndex?: number;
  analysisBasis?: AnalysisBasis;
  dataSource?: string;
  /** Config columns the query computes (metrics; segments and the exposure signal for enrollments), for error messages and provenance. */
  metrics?: ColumnProvenance[];
  /** Where config fragments sit in `sql`, recorded while it was rendered (the provenance map of --sql-output-dir). */
  references?: SqlFragmentReference[];
  /**
   * The query only selects from contrail's own tables, so the warehouse may keep the result as a
   * view (`RunToTableOptions.mayBeView`): jetstream's per-basis metrics tables, split from the scan.
   */
  mayBeView?: boolean;
  /**
   * Run `sql` instead when one of `whenMissing` does not exist (jetstream's fallback to
   * unadjusted statistics when a pre-enrollment covariate table is missing).
   */
  fallback?: {
    whenMissing: TableRef[];
    /** The pre-enrollment periods whose tables `whenMissing` names. */
    periods: AnalysisPeriod[];
    sql: string;
    reason: string;
  };
}

/**
 * The names a run gives jetstream's result tables (per-basis metrics, statistics): it writes
 * them under staging names that publishing swaps in, and reads back its own staged copy of a
 * table when it has one, else the published table (a covariate from an earlier run).
 */
export interface ResultTableNames {
  /** The name the run writes `table` (a published name) under. */
  written(table: string): string;
  /** The name the run reads `table` (a published name) from. */
  read(table: string): string;
}

/** Writing and reading the published tables themselves (plans shown to people, checks). */
export const PUBLISHED_NAMES: ResultTableNames = { written: (table) => table, read: (table) => table };

export interface PlanOptions {
  /** Dataset (schema) contrail writes result tables to. */
  dataset: string;
  dialect: SqlDialect;
  /** Names of the result tables the plan writes and reads; default: the published names. */
  results?: ResultTableNames;
}

export interface PlanContext extends PlanOptions {
  spec: AnalysisSpec;
  /** The analysis date the plan is for (a covariate is read only once its period is due by then). */
  date?: IsoDate;
}
