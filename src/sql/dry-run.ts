import { mapBoundedUntilFailure } from '../concurrency.js';
import type { AnalysisSpec } from '../config/spec.js';
import { addDays, type IsoDate } from '../dates.js';
import { billedBytes } from '../warehouse/cost.js';
import {
  missingTableIn,
  WarehouseQueryError,
  WarehouseUnavailableError,
  warehouseMessageOf,
} from '../warehouse/errors.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { SqlDialect } from './dialect.js';
import { planAnalysis } from './plan/analysis.js';
import { where } from './plan/common.js';
import type { ColumnProvenance, PlannedQuery, PlannedQueryKind } from './plan/types.js';
import { describeFragment, pointedFragment } from './run.js';
import { lastEnrollmentDate, windowsDueOn } from './windows.js';

/**
 * What an experiment's analysis would scan, before anything runs (`contrail validate
 * --dry_run`, as jetstream's validate does): the enrollments query and every metrics scan (the
 * only queries that read source tables, so what the analysis costs) are dry-run by the
 * warehouse — BigQuery validates them and reports the bytes they would scan, for free.
 */
export interface DryRunEntry {
  table: string;
  kind: PlannedQueryKind;
  /** What the query would scan; null when the warehouse cannot tell or the query failed. */
  bytesProcessed: number | null;
  /** What BigQuery would bill for it (billedBytes: the minimums applied); null with bytesProcessed. */
  bytesBilled: number | null;
  /** The warehouse's message when the query is invalid, with the config lines it came from. */
  error: string | null;
  /** Why the query was not dry-run (a metrics scan reads the enrollments query, which was rejected). */
  notChecked?: string;
}

export type CostLevel = 'ok' | 'moderate' | 'high';

/**
 * jetstream's thresholds are on the bytes a query scans, as its dry run reports them: they are
 * compared with those (at terabytes, BigQuery's 10 MB minimums change nothing).
 */
export function costLevel(bytes: number | null, thresholdsTb: { moderate: number; high: number }): CostLevel {
  if (bytes === null) return 'ok';
  if (bytes > thresholdsTb.high * 1e12) return 'high';
  return bytes > thresholdsTb.moderate * 1e12 ? 'moderate' : 'ok';
}

function describeColumns(columns: ColumnProvenance[] | undefined): string {
  return (columns ?? []).map((c) => `${c.name} (${where(c.provenance)})`).join(', ');
}

/** The enrollments query written in place of its table, where a scan reads it. */
export interface Inlined {
  table: string;
  sql: string;
}

/** The enrollments query to write in for its table in the scans that read it. */
export function inlinedEnrollments(enrollments: PlannedQuery, dialect: SqlDialect): Inlined {
  return { table: dialect.table(enrollments.destination), sql: enrollments.sql };
}

/** A scan's SQL with the enrollments query written in for its table, which does not exist yet. */
export function withEnrollmentsInlined(sql: string, inlined: Inlined | null): string {
  return inlined ? sql.replaceAll(inlined.table, `(\n${inlined.sql}\n)`) : sql;
}

/**
 * What a scan itself reads, from the bytes of its dry run with the enrollments query written in
 * for the table: less that query's own bytes for each place it stands in. The enrollments query
 * is counted once, as its own query; once it has run, the scan reads its table instead (the run's
 * own table, small, not estimated). Counted with the query written in, every scan of a preview
 * carried the whole enrollments query again (the demo's 3 days: 658 MiB estimated, 305 read).
 */
export function scanOwnBytes(
  bytes: number,
  planned: string,
  inlined: Inlined | null,
  enrollmentsBytes: number | null,
): number {
  if (inlined === null || enrollmentsBytes === null) return bytes;
  const places = planned.split(inlined.table).length - 1;
  return Math.max(0, bytes - places * enrollmentsBytes);
}

/**
 * How many tables a scan references as it will run, for BigQuery's 10 MB minimum per table
 * (billedBytes): those of its dry run with the enrollments query written in, less the tables
 * that query reads, and the enrollments table, which the scan reads once it exists (a small
 * table, billed its 10 MB all the same). A data source's table that the enrollments query reads
 * too drops out of the difference, so a scan counts at least one besides the enrollments: the
 * count errs low, as billedBytes does. Without the tables of the enrollments query, those it
 * reads stand for the enrollments table.
 */
function scanOwnTables(
  tables: readonly string[],
  inlined: Inlined | null,
  enrollmentsTables: readonly string[] | undefined,
): number {
  if (inlined === null || enrollmentsTables === undefined) return tables.length;
  const own = tables.filter((t) => !enrollmentsTables.includes(t));
  return Math.max(own.length, 1) + 1;
}

/**
 * What BigQuery would bill a query of the analysis as it will run (billedBytes), for
 * `validate --dry_run` and a preview's estimate alike: `bytes`, what it reads itself
 * (scanOwnBytes), over the tables it will reference (scanOwnTables; `inlined` null for the
 * enrollments query, which is run as it is dry-run). A query whose dry run did not name its
 * tables (`tables` undefined) is counted at the query's own minimum: the bill errs low.
 */
export function billedAsRun(
  bytes: number,
  tables: readonly string[] | undefined,
  inlined: Inlined | null,
  enrollmentsTables: readonly string[] | undefined,
): number {
  return billedBytes(bytes, tables === undefined ? 0 : scanOwnTables(tables, inlined, enrollmentsTables));
}

/**
 * The line of the planned SQL that a line of `withEnrollmentsInlined`'s SQL comes from (the
 * enrollments query written in for its table moves every line after it); null for a line of
 * that enrollments query.
 */
export function plannedLine(planned: string, inlined: Inlined | null, line: number): number | null {
  if (inlined === null) return line;
  // Each occurrence of the table becomes "(", the enrollments query's lines and ")".
  const added = inlined.sql.split('\n').length + 1;
  let at = 0;
  for (const [index, text] of planned.split('\n').entries()) {
    const span = 1 + text.split(inlined.table).slice(1).length * added;
    if (line <= at + span) return span === 1 || line === at + 1 ? index + 1 : null;
    at += span;
  }
  return null;
}

/**
 * The config items a rejected dry run is about: the one on the line the warehouse points at (a
 * metric's or segment's expression, a data source's FROM, the exposure signal), named as a
 * failed run names it (`describeFragment`), else, for a table the warehouse does not have that this query itself
 * reads, its data source; else every column the query computes.
 */
function culprit(planned: PlannedQuery, error: unknown, inlined: Inlined | null): string {
  const line = error instanceof WarehouseQueryError ? error.sqlLine : null;
  const at = line === null ? null : plannedLine(planned.sql, inlined, line);
  const hit = pointedFragment(planned, at);
  if (hit) return describeFragment(planned, hit);
  const missing = missingTableIn(error);
  const from = (planned.references ?? []).find((r) => r.column === null && !r.partial);
  // An enrollments query's own FROM is a custom enrollment_query: what it reads and selects.
  if (planned.kind === 'enrollments' && from) return where(from.provenance);
  // BigQuery names a table `project:dataset.table`; the query as written, `project.dataset.table`.
  if (missing !== null && from && planned.sql.includes(missing.table.replace(':', '.'))) {
    return `data source ${planned.dataSource ?? ''} (${where(from.provenance)})`;
  }
  return describeColumns(planned.metrics);
}

/** The first date each configured period is due on (its first window: the one every later window resembles). */
function datesCoveringEveryPeriod(spec: AnalysisSpec): IsoDate[] {
  const last = lastEnrollmentDate(spec);
  if (last === null) return [];
  const candidates = Array.from({ length: 64 }, (_, i) => addDays(last, i));
  if (spec.experiment.endDate !== null) candidates.push(addDays(spec.experiment.endDate, 1));
  const seen = new Set<string>();
  const dates: IsoDate[] = [];
  for (const date of candidates) {
    const fresh = windowsDueOn(spec, date).filter((w) => !seen.has(w.period));
    if (fresh.length === 0) continue;
    for (const w of fresh) seen.add(w.period);
    dates.push(date);
  }
  return dates;
}

/**
 * Dry runs at once (a config's check, a preview's estimate): each is a request BigQuery answers
 * in a fraction of a second; one after another they added up to most of the wait.
 */
export const DRY_RUNS_AT_ONCE = 8;

export async function dryRunAnalysis(
  warehouse: Warehouse,
  spec: AnalysisSpec,
  options: { dataset: string; dialect: SqlDialect },
): Promise<DryRunEntry[]> {
  /** An entry, and the tables the query references (undefined: the warehouse does not say). */
  type Checked = { entry: DryRunEntry; tables: string[] | undefined };
  const dryRun = async (planned: PlannedQuery, sql: string, inlined: Inlined | null): Promise<Checked> => {
    const { table } = planned.destination;
    const kind = planned.kind;
    try {
      const { bytesProcessed, referencedTables } = await warehouse.dryRun(sql);
      return {
        entry: { table, kind, bytesProcessed, bytesBilled: null, error: null },
        tables: referencedTables,
      };
    } catch (error) {
      // A warehouse that did not answer says nothing about this query, nor about the next ones.
      if (error instanceof WarehouseUnavailableError) throw error;
      const message = warehouseMessageOf(error);
      const what = culprit(planned, error, inlined);
      return {
        entry: {
          table,
          kind,
          bytesProcessed: null,
          bytesBilled: null,
          error: what ? `${message}; config: ${what}` : message,
        },
        tables: undefined,
      };
    }
  };
  // Every query in the order of the analysis: the enrollments once, each metrics scan once.
  let enrollments: PlannedQuery | null = null;
  let inlined: Inlined | null = null;
  const scans: { planned: PlannedQuery; inlined: Inlined | null }[] = [];
  const seen = new Set<string>();
  for (const date of datesCoveringEveryPeriod(spec)) {
    const plan = planAnalysis(spec, date, { dataset: options.dataset, dialect: options.dialect });
    if (plan.enrollments && enrollments === null) {
      enrollments = plan.enrollments;
      // The enrollments table does not exist yet: its query stands in for it in every scan.
      inlined = inlinedEnrollments(enrollments, options.dialect);
    }
    for (const scan of plan.windows.flatMap((w) => w.metricsScans)) {
      if (seen.has(scan.destination.table)) continue;
      seen.add(scan.destination.table);
      scans.push({ planned: scan, inlined });
    }
  }
  const entries: DryRunEntry[] = [];
  let enrollmentsTables: string[] | undefined;
  if (enrollments !== null) {
    const { entry, tables } = await dryRun(enrollments, enrollments.sql, null);
    enrollmentsTables = tables;
    entries.push(
      entry.bytesProcessed === null
        ? entry
        : { ...entry, bytesBilled: billedAsRun(entry.bytesProcessed, tables, null, undefined) },
    );
    // Each scan reads the enrollments query written in for its table: with that query
    // rejected, every scan would fail with its error again, blamed on the scan's metrics.
    if (entry.error !== null) {
      return [
        ...entries,
        ...scans.map(({ planned }) => ({
          table: planned.destination.table,
          kind: planned.kind,
          bytesProcessed: null,
          bytesBilled: null,
          error: null,
          notChecked: 'it reads the enrollments, whose query was rejected: checked once that query passes',
        })),
      ];
    }
  }
  const enrollmentsBytes = entries[0]?.bytesProcessed ?? null;
  const checked = await mapBoundedUntilFailure(scans, DRY_RUNS_AT_ONCE, async ({ planned, inlined }) => {
    const { entry, tables } = await dryRun(planned, withEnrollmentsInlined(planned.sql, inlined), inlined);
    if (entry.bytesProcessed === null) return entry;
    const bytes = scanOwnBytes(entry.bytesProcessed, planned.sql, inlined, enrollmentsBytes);
    return {
      ...entry,
      bytesProcessed: bytes,
      bytesBilled: billedAsRun(bytes, tables, inlined, enrollmentsTables),
    };
  });
  return [...entries, ...checked];
}
