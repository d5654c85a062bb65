import { ContrailError } from '../errors.js';
import { belongsToExperiment, enrollmentsTableName } from '../sql/names.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import { lastUpdatedLabel } from '../warehouse/labels.js';
import type { TableLabels, TableRef, Warehouse } from '../warehouse/warehouse.js';

/**
 * The anchor: when an experiment's enrollments were first computed. It selects the pinned
 * tooling release and config commit (resolve.ts), so it must not move when a daily run
 * writes more results; only `rerun` and `rerun-skip` move it, to now.
 *
 * It is kept as the `anchor` label (epoch milliseconds, like `last_updated`) of the
 * enrollments table, written when that table is created. A label of its own rather than
 * jetstream's `last_updated`: `last_updated` means "last written", which other writers may
 * fairly change; `anchor` has one writer. Enrollments tables written before the label
 * existed fall back to their `last_updated`, which is what jetstream reads. Every other
 * table of the experiment carries the anchor it was computed under, so a table says which
 * pin its numbers belong to.
 */
export const ANCHOR_LABEL = 'anchor';

/** Labels that record `at` as the anchor (set on the enrollments table when it is created). */
export function anchorLabels(at: Date): TableLabels {
  return { [ANCHOR_LABEL]: lastUpdatedLabel(at.getTime()) };
}

/** The experiment's anchor, or null while its enrollments table does not exist. */
export async function readAnchor(warehouse: Warehouse, dataset: string, slug: string): Promise<Date | null> {
  const ref: TableRef = { dataset, table: enrollmentsTableName(slug) };
  const table = await warehouse.getTable(ref);
  if (!table) return null;
  const key = ANCHOR_LABEL in table.labels ? ANCHOR_LABEL : 'last_updated';
  const value = table.labels[key];
  if (value === undefined) {
    throw new AnchorError(
      `${dataset}.${ref.table} has neither an ${ANCHOR_LABEL} nor a last_updated label, so the experiment's pinned version is unknown; run rerun-skip to anchor it now`,
      { dataset, table: ref.table },
    );
  }
  if (!/^\d{1,15}$/.test(value)) {
    throw new AnchorError(
      `${dataset}.${ref.table}: label ${key}=${JSON.stringify(value)} is not a time (expected epoch milliseconds); run rerun-skip to anchor it now`,
      { dataset, table: ref.table, label: key },
    );
  }
  return new Date(Number(value));
}

export interface TouchInput {
  dataset: string;
  slug: string;
  /** Every experiment's slug (to tell `foo`'s tables from `foo_bar`'s). */
  allSlugs: readonly string[];
  /** The new anchor. */
  now: Date;
}

/**
 * Moves the experiment's anchor to `now` without recomputing anything (`rerun-skip`; `rerun`
 * does it before recomputing): every table and view of the experiment gets `anchor` and
 * `last_updated` = now. The enrollments table, where the anchor is read, is relabelled last,
 * so a failure part-way leaves the anchor where it was and running again finishes the move.
 */
export async function touchExperiment(
  warehouse: Warehouse,
  input: TouchInput,
): Promise<{ anchor: Date; tables: string[] }> {
  const slug = normalizeSlug(input.slug);
  const all = input.allSlugs.map(normalizeSlug);
  const enrollments = enrollmentsTableName(input.slug);
  const names = (await warehouse.listTables(input.dataset))
    .map((t) => t.ref.table)
    .filter((name) => belongsToExperiment(name, slug, all));
  if (!names.includes(enrollments)) {
    throw new AnchorError(
      `experiment ${input.slug} has no enrollments table (${input.dataset}.${enrollments}): there is no anchor to move; run the experiment first`,
      { dataset: input.dataset, table: enrollments },
    );
  }
  const ordered = [...names.filter((n) => n !== enrollments), enrollments];
  const labels: TableLabels = {
    ...anchorLabels(input.now),
    last_updated: lastUpdatedLabel(input.now.getTime()),
  };
  for (const table of ordered) await warehouse.setLabels({ dataset: input.dataset, table }, labels);
  return { anchor: input.now, tables: ordered };
}

/** The anchor cannot be read or moved. */
export class AnchorError extends ContrailError {
  constructor(message: string, details: Record<string, unknown>) {
    super(message, { permanent: true, details });
    this.name = 'AnchorError';
  }
}
