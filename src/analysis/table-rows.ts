/*
 * The rows of the dataset's `logs` and `query_costs` tables as they are read back (the
 * dashboard), beside the modules that write them (logs.ts, query-costs.ts). Apart from those,
 * and free of node's modules, so the dashboard's page can take their types.
 */

import { z } from 'zod';

const Text = z.string().nullable().optional();
const Num = z.number().nullable().optional();

/**
 * A row of the logs table as the dashboard reads and shows it: every column of `LOG_COLUMNS`
 * (logs.ts) but the bookkeeping (`source`, `log_id`) and jetstream's `exception`, `filename` and
 * `func_name`, kept for queries written for its table: the exception says again in Python's
 * words what `exception_type` and `message` say, and where in contrail's code a problem was
 * raised is nothing a config author acts on. Read tolerantly: a column that a table written by
 * an older version lacks is absent.
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

/**
 * A row of `query_costs`: one per query of a preview run. Bytes are estimates before the run
 * (BigQuery dry runs; DuckDB column sizes, labelled by `estimate_method`) and what the
 * warehouse reported after it. The dashboard reads the table with it, tolerantly: a column an
 * older table lacks is absent.
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
  /** What the query was estimated to scan. */
  estimated_bytes: Num,
  /** What it was estimated to be billed (BigQuery's minimums applied: billedBytes). */
  estimated_bytes_billed: Num,
  bytes_processed: Num,
  /** What BigQuery billed for it, as the job reports it. */
  bytes_billed: Num,
  elapsed_ms: Num,
  /** Dollars of the bytes billed (else of the estimate) at the on-demand price the preview used. */
  cost_usd: Num,
  /** What became of the query (query-outcome.ts's QueryOutcome); absent from rows an older version wrote. */
  outcome: Text,
});
export type QueryCostRow = z.infer<typeof QueryCostRow>;
