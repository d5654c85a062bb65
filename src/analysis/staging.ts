import { createHash } from 'node:crypto';
import { plural } from '../plural.js';
import { stagingPrefix, stagingTableName, supersededLegacyScans } from '../sql/names.js';
import { PUBLISHED_NAMES, type ResultTableNames } from '../sql/plan/types.js';
import { lastUpdatedOf } from '../warehouse/labels.js';
import type { TableInfo, TableMove, TableRef, Warehouse } from '../warehouse/warehouse.js';
import { collisionRefusal } from './ownership.js';
import type { JobProgress } from './progress.js';

/**
 * A run's result tables (jetstream's per-basis metrics tables and statistics tables) are
 * written under staging names and swapped in together when the run publishes, so a reader
 * sees the previous run's tables or this run's, never some of each, and a run that fails
 * leaves the published tables as they were. The run is the workflow that publishes: an
 * analysis of one day, or a backfill, rerun or preview for all the days it covers. Its
 * staging names derive from its workflow id, so the same work started again (after a crash)
 * writes the same staging tables over; tables of a run that never comes back expire.
 */

/** How long staged tables live unless published: long enough for any run, short enough to clean up after a crashed one. */
export const STAGING_EXPIRY_DAYS = 3;

/** The names a step of one run gives its result tables, and where its staged tables are. */
export interface RunTables extends ResultTableNames {
  /** The prefix of the tables this run stages for this experiment; null when it writes published tables in place. */
  prefix: string | null;
  /** The published name of a table this run writes (its staged name with the prefix removed). */
  published(table: string): string;
  /** Days until a table this run writes expires: staged tables do, published ones take the dataset's default. */
  expirationDays(table: string): number | null;
}

/** Writing the published tables in place (a target without a run, e.g. from a workflow started before staging). */
export const IN_PLACE: RunTables = {
  ...PUBLISHED_NAMES,
  prefix: null,
  published: (table) => table,
  expirationDays: () => null,
};

/** The staging key of one run's tables of one experiment in one dataset: short, lower-case hex. */
export function stagingKey(run: string, dataset: string, slug: string): string {
  return createHash('sha256').update(`${run}\u0000${dataset}\u0000${slug}`).digest('hex').slice(0, 12);
}

/**
 * The names for one step of `run` (null: in place): result tables are written under the run's
 * staging names, and read from them when the run already staged them (listed once, here).
 */
export async function runTables(
  warehouse: Warehouse,
  target: { run: string | null; dataset: string; slug: string },
): Promise<RunTables> {
  if (target.run === null) return IN_PLACE;
  const key = stagingKey(target.run, target.dataset, target.slug);
  const prefix = stagingPrefix(key);
  const staged = new Set((await warehouse.listTables(target.dataset, prefix)).map((t) => t.ref.table));
  return {
    prefix,
    written: (table) => stagingTableName(key, table),
    read: (table) => {
      const name = stagingTableName(key, table);
      return staged.has(name) ? name : table;
    },
    published: (table) => (table.startsWith(prefix) ? table.slice(prefix.length) : table),
    expirationDays: (table) => (table.startsWith(prefix) ? STAGING_EXPIRY_DAYS : null),
  };
}

/** What publishing swapped in. */
export interface PublishedStaged {
  /** The published names, in name order. */
  published: string[];
  /** The experiment's scans of the older naming that the published ones replace, dropped with the swap. */
  superseded: string[];
  /** When the run began writing them (`stagedSince`); null when it staged none. */
  stagedSince: Date | null;
}

/**
 * Swaps every table the run staged for experiment `slug` in for its published table, in one step
 * (`Warehouse.swapTables`), not cut short by a cancellation, and drops the experiment's scans of
 * the older naming that the run's scans replace (`supersededLegacyScans`): on a warehouse an
 * older contrail analysed, they would stay, costing storage, until a rerun dropped them. Running
 * it again after it happened finds nothing staged and does nothing. Given every experiment's
 * slug (`known`), it first refuses, from the same listing, to write over tables another
 * experiment's label claims: one whose slug names the same tables may have published since
 * this run started (`collisionRefusal`).
 */
export async function publishStaged(
  warehouse: Warehouse,
  dataset: string,
  tables: RunTables,
  slug: string,
  progress: JobProgress,
  known?: readonly string[],
): Promise<PublishedStaged> {
  const none = { published: [], superseded: [], stagedSince: null };
  if (tables.prefix === null && known === undefined) return none;
  // One listing of the dataset (BigQuery lists every table and filters by name anyway): who
  // owns the tables named after the experiment, the staged tables, and whether older scans are
  // there to drop.
  const listed = await warehouse.listTables(dataset);
  if (known !== undefined) {
    const refusal = collisionRefusal({ slug, dataset, analysed: [slug], known, tables: listed });
    if (refusal) throw refusal;
  }
  if (tables.prefix === null) return none;
  const prefix = tables.prefix;
  const staged = listed.filter((t) => t.ref.table.startsWith(prefix));
  const moves: TableMove[] = staged.map(({ ref }) => ({
    from: ref,
    to: { dataset, table: tables.published(ref.table) },
  }));
  if (moves.length === 0) return none;
  const published = moves.map((m) => m.to.table).sort();
  const superseded = supersededLegacyScans(slug, published, new Set(listed.map((t) => t.ref.table)));
  // Once begun, the swap runs to its end whatever cancels the step: BigQuery's is one copy job
  // per table, and one cut short between them left some tables this run's and others the last
  // run's or missing. It still heartbeats, so a lost worker is noticed; a retry finishes it.
  const { signal: _notHeeded, ...job } = progress.job(`publishing ${plural(moves.length, 'table')}`);
  await warehouse.swapTables(moves, {
    ...job,
    ...(superseded.length > 0 ? { drop: superseded.map((table) => ({ dataset, table })) } : {}),
  });
  return { published, superseded, stagedSince: stagedSince(staged) };
}

/**
 * When a run began writing results: the earliest `last_updated` label of the tables it staged
 * (null when none says). Every warning a run logs comes after it: the statistics step that logs
 * them starts once its window's metrics tables are staged. The warehouse keeps this for as long
 * as the staged tables live, whichever worker or attempt asks, and it needs nothing from the
 * workflow that started the run.
 */
export function stagedSince(staged: readonly TableInfo[]): Date | null {
  const times = staged.map((t) => lastUpdatedOf(t.labels)).filter((ms) => ms !== null);
  return times.length === 0 ? null : new Date(Math.min(...times));
}

/** When the run began writing its results for the experiment (`stagedSince`) while its staged tables are unpublished. */
export async function runStagedSince(
  warehouse: Warehouse,
  dataset: string,
  tables: RunTables,
): Promise<Date | null> {
  if (tables.prefix === null) return null;
  return stagedSince(await warehouse.listTables(dataset, tables.prefix));
}

/** Drops what the run staged for the experiment (a run that starts over drops a crashed attempt's tables). */
export async function dropStaged(
  warehouse: Warehouse,
  dataset: string,
  tables: RunTables,
): Promise<TableRef[]> {
  if (tables.prefix === null) return [];
  const staged = (await warehouse.listTables(dataset, tables.prefix)).map((t) => t.ref);
  if (staged.length > 0) await warehouse.swapTables([], { drop: staged });
  return staged;
}
