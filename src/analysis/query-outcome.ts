/**
 * What became of a preview's query, and its words: the CLI's report after a preview
 * (query-costs.ts) and the dashboard's costs panel say the same of the same query. Kept in the
 * `outcome` column of `query_costs`; a row an older version wrote has none. Free of node's
 * modules: the dashboard's page bundles it.
 */

/**
 * `ran`; `failed`; `not run`: an earlier step of its date failed; `stopped`: its date was
 * interrupted (Ctrl-C) part way, and it may have run before the stop (a cancelled analysis
 * reports none of its queries); `interrupted`: its date was never started, the preview having
 * been interrupted before; `not attempted`: its date was never started, the warehouse's storage
 * having failed on an earlier one.
 */
export const QUERY_OUTCOMES = [
  'ran',
  'failed',
  'not run',
  'stopped',
  'interrupted',
  'not attempted',
] as const;
export type QueryOutcome = (typeof QUERY_OUTCOMES)[number];

/** How a preview's run of dates stopped before its last date: interrupted, or on the warehouse's storage. */
export interface PreviewStop {
  /** The date it stopped on; the later dates were never started. */
  date: string;
  by: 'interruption' | 'storage';
}

/**
 * What became of a query that did not run on a date where nothing else is known of it (no
 * time, no failure): on or after the date a preview stopped on, what the stop says; before it,
 * an earlier step of its date failed.
 */
export function notRunOutcome(date: string, stop: PreviewStop | undefined): QueryOutcome {
  if (stop === undefined || date < stop.date) return 'not run';
  if (stop.by === 'interruption') return date === stop.date ? 'stopped' : 'interrupted';
  return date === stop.date ? 'not run' : 'not attempted';
}

/**
 * What became of the query of a `query_costs` row: its recorded outcome; for a row an older
 * version wrote, which kept none, `ran` when it has a time, else null: whether it failed or did
 * not run is not known.
 */
export function outcomeOf(row: { outcome?: string | null; elapsed_ms?: number | null }): QueryOutcome | null {
  const recorded = QUERY_OUTCOMES.find((o) => o === row.outcome);
  if (recorded !== undefined) return recorded;
  return typeof row.elapsed_ms === 'number' && Number.isFinite(row.elapsed_ms) ? 'ran' : null;
}

const UNFINISHED_TEXT: Record<Exclude<QueryOutcome, 'ran'>, string> = {
  failed: 'FAILED',
  'not run': 'not run (an earlier step of this date failed)',
  stopped: 'stopped (interrupted: it may have run before the stop)',
  interrupted: 'not run (interrupted)',
  'not attempted': "not run (not attempted: the warehouse's storage failed)",
};

/** What is said in place of the time of a query that did not run to the end; null: unknown (an older row). */
export function unfinishedText(outcome: Exclude<QueryOutcome, 'ran'> | null): string {
  return outcome === null ? UNFINISHED_TEXT_UNKNOWN : UNFINISHED_TEXT[outcome];
}

/** A row written before outcomes were kept, with no time: it failed or never ran. */
const UNFINISHED_TEXT_UNKNOWN = 'failed or not run';

/**
 * How many queries did not run to the end, by what became of them, as a total says it:
 * `1 failed, 2 not run, 1 stopped`; empty when every query ran. The queries of dates never
 * started count as not run.
 */
export function unfinishedCounts(outcomes: readonly (QueryOutcome | null)[]): string[] {
  const count = (...of: (QueryOutcome | null)[]) => outcomes.filter((o) => of.includes(o)).length;
  const counts: [number, string][] = [
    [count('failed'), 'failed'],
    [count('not run', 'interrupted', 'not attempted'), 'not run'],
    [count('stopped'), 'stopped'],
    [count(null), UNFINISHED_TEXT_UNKNOWN],
  ];
  return counts.flatMap(([n, what]) => (n === 0 ? [] : [`${n} ${what}`]));
}
