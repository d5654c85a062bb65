/**
 * What the dashboard's server answers and its page reads: types only, so the page bundle
 * imports them without pulling in anything that runs on the server.
 */

import type { LogRow, QueryCostRow } from '../analysis/table-rows.js';
import type { AnalysisPeriod } from '../config/periods.js';
import type { StatisticResultRow } from '../statistics/results.js';
import type { SqlLineRange, SqlReference } from './schema.js';

/** The filters, as the URL's query parameters name them. */
export const FILTER_KEYS = ['experiment', 'period', 'basis', 'segment', 'metric', 'statistic'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export type ViewRequest = { dataset: string } & Partial<Record<FilterKey, string | null>>;

/** What the page shows: every filter resolved (the request's value, else a default). */
export interface ViewSelection {
  dataset: string;
  /** The experiment's slug as its tables name it; null when the dataset has no results. */
  experiment: string | null;
  period: AnalysisPeriod | null;
  basis: string | null;
  segment: string | null;
  metric: string | null;
  statistic: string | null;
}

export interface DatasetChoice {
  name: string;
  /**
   * Set when the dataset holds contrail's run logs or query costs but no statistics table: its
   * runs failed before writing results (or have not written them yet), and their errors are there.
   */
  noResults?: true;
}

export interface ExperimentChoice {
  /** Table-name form of the slug (what `experiment=` selects). */
  slug: string;
  /** The slug as Experimenter spells it, when the dataset's logs know it. */
  name: string;
  /** Set when the experiment's runs wrote no statistics table (only logs or costs name it). */
  noResults?: true;
}

/**
 * One problem of the run's log: the entries of one level, kind of message (its values taken
 * out) and place in the config, logged on several dates and periods. The log's columns hold the
 * newest entry's message and, where its entries differ (basis, segment, …), each value once.
 */
export type LoggedProblem = LogRow & {
  /** Where it occurred, newest first: "2026-03-29 week", or the date alone. */
  occurred: string[];
  /** How many log entries it stands for. */
  entries: number;
  /** How many of them say it with other values than the message shown. */
  otherValues: number;
};

/** A column of the errors panel: one of the log's, or `occurred`, the dates and periods of a problem. */
export type LoggedColumn = keyof LogRow | 'occurred';

export interface ErrorsPanel {
  /** False when the dataset has no logs table. */
  present: boolean;
  /** Columns that the page shows (those present and not empty). */
  columns: LoggedColumn[];
  /** One per distinct problem: errors first, then warnings, each newest first. */
  rows: LoggedProblem[];
  /** How many log entries the rows stand for. */
  entries: number;
  /** True when more rows were logged than are shown. */
  truncated: boolean;
}

export interface CostsPanel {
  present: boolean;
  rows: QueryCostRow[];
  /** Rows that could not be read, said in words (a column of the wrong type, …). */
  problems: string[];
}

export interface SqlQuery {
  /** The file, as shown to the user (relative to its SQL directory). */
  file: string;
  table: string;
  sql: string;
  /** Config references of the fragments that matter for the selected metric (all, without a metric). */
  references: SqlReference[];
  /** Lines to highlight: the fragments of the selected metric. */
  highlight: SqlLineRange[];
}

export interface SqlPanel {
  /** The SQL directories the server was started with. */
  dirs: string[];
  /** Whether the queries come from a provenance map (with config references) or were found by name. */
  traced: boolean;
  queries: SqlQuery[];
  /** Why nothing is shown, or what is missing. */
  note: string | null;
}

export interface ViewResponse {
  selection: ViewSelection;
  /** Requested filter values that were not available, and what is shown instead. */
  notices: string[];
  choices: {
    datasets: DatasetChoice[];
    experiments: ExperimentChoice[];
    periods: { period: AnalysisPeriod; windows: number[] }[];
    bases: string[];
    segments: string[];
    metrics: string[];
    statistics: string[];
  };
  /** Every statistics row of the selection, over all windows, branches, comparisons and parameters. */
  rows: StatisticResultRow[];
  /** Every metric of the period, basis and segment at once: the overview above the charts. */
  overview: OverviewPanel;
  /**
   * When the statistics tables of the shown period were written (ISO times of their
   * `last_updated` labels, oldest and newest) and when the first of them expires (previews);
   * null when unknown. `builds`: which build of contrail computed them from which config commit,
   * with how many of the period's tables each wrote (a daily analysis's windows can come from
   * several); empty when none of them recorded it.
   */
  written: {
    oldest: string | null;
    newest: string | null;
    expiresAt: string | null;
    builds: ComputedBy[];
    /** How many of the period's tables there are (those without a recorded build included). */
    tables: number;
  };
  errors: ErrorsPanel;
  costs: CostsPanel;
  sql: SqlPanel;
  /** How long this answer held the warehouse (open, read, close), in milliseconds. */
  warehouseMs: number;
}

/**
 * The overview of every metric of the selected period, basis and segment: each metric's
 * relative uplifts (every branch against every other; the page keeps those to its reference
 * branch) at the latest window that has them, by the statistic that stands for the metric
 * (`overviewStatistic` in overview.ts).
 */
export interface OverviewPanel {
  /** The period's latest window with a relative uplift: most metrics' rows are of it. Null when no metric has one. */
  window: number | null;
  /** When that window's table was written (its `last_updated` label, ISO); null when not recorded. */
  written: string | null;
  /** The analysis date a preview computed that window on (from its per-query costs); null when not recorded. */
  analysisDate: string | null;
  metrics: {
    metric: string;
    statistic: string;
    /** The window of its rows: `window`, or an earlier one for a metric the latest lacks. */
    window: number;
    /** Its `relative_uplift` rows without a parameter, of the statistic at that window. */
    rows: StatisticResultRow[];
  }[];
  /** Metrics with no statistic comparing branches by relative uplift, with the statistics they have. */
  without: { metric: string; statistics: string[] }[];
}

/** A build of contrail and the configs it computed some of the shown tables from (their labels). */
export interface ComputedBy {
  /** contrail's version (read back from a label, which keeps no dots: `0-1-0` is `0.1.0`). */
  toolVersion: string;
  buildId: string | null;
  /** The config repos' commit; null for configs read from a working tree. */
  configCommit: string | null;
  /** How many of the shown period's tables it wrote. */
  tables: number;
}

/** The body of every non-200 answer. */
export interface ErrorResponse {
  error: string;
  /** True when asking again later can help (the warehouse is busy). */
  retry: boolean;
}
