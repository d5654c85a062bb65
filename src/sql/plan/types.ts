import type { AnalysisBasis, AnalysisPeriod, AnalysisSpec, Provenance } from '../../config/spec.js';
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
  /**
   * The query only selects from contrail's own tables, so the warehouse may keep the result as a
   * view (`RunToTableOptions.mayBeView`): jetstream's per-basis metrics tables, split from the scan.
   */
  mayBeView?: boolean;
  /**
   * Run `sql` instead when one of `whenMissing` does not exist (jetstream's fallback to
   * unadjusted statistics when a pre-enrollment covariate table is missing).
   */
  fallback?: { whenMissing: TableRef[]; sql: string; reason: string };
}

export interface PlanOptions {
  /** Dataset (schema) contrail writes result tables to. */
  dataset: string;
  dialect: SqlDialect;
}

export interface PlanContext extends PlanOptions {
  spec: AnalysisSpec;
}
