import { createHash } from 'node:crypto';
import { contrailCommand } from '../command-name.js';
import { ContrailError } from '../errors.js';
import { PRODUCTION_DATASET } from '../exports/target.js';
import { plural } from '../plural.js';
import { belongsToExperiment, enrollmentsTableName } from '../sql/names.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import { labelValue } from '../warehouse/labels.js';
import type { TableInfo, TableLabels, Warehouse } from '../warehouse/warehouse.js';

/**
 * Which experiment a result table belongs to. jetstream names an experiment's tables after its
 * slug with every character outside [A-Za-z0-9_] as `_` (src/sql/names.ts), so `my-exp` and
 * `my_exp` write the same tables; the names must stay jetstream's (dashboards read them), so
 * every table contrail writes carries the slug as written in its `experiment` label, and no
 * run writes over tables another experiment's label claims.
 */
export const EXPERIMENT_LABEL = 'experiment';

/**
 * The `experiment` label of `slug`'s tables: the slug itself when it is a valid label value
 * (Experimenter's slugs are lower-case letters, digits and `-`), else a readable prefix and a
 * hash of it, so that two slugs never share a value.
 */
export function experimentLabel(slug: string): string {
  if (/^[a-z0-9_-]{1,63}$/.test(slug)) return slug;
  const hash = createHash('sha256').update(slug).digest('hex').slice(0, 12);
  return `${labelValue(slug).slice(0, 50)}-${hash}`;
}

/** The label naming `slug` as the experiment its result tables belong to. */
export function ownerLabels(slug: string): TableLabels {
  return { [EXPERIMENT_LABEL]: experimentLabel(slug) };
}

/** The other slugs of `known` whose tables have `slug`'s names. */
export function collidingSlugs(slug: string, known: readonly string[]): string[] {
  const name = normalizeSlug(slug);
  return [...new Set(known)].filter((other) => other !== slug && normalizeSlug(other) === name).sort();
}

/** The names shared by every experiment whose slug normalizes to `name`, as a person reads them. */
function tableFamily(name: string): string {
  return `enrollments_${name}, statistics_${name}_…, ${name}_…`;
}

/** Who the existing tables named after an experiment's slug belong to, as their labels say. */
export type TableClaim =
  /** Some of the tables carry this experiment's label, none another's. */
  | { kind: 'own' }
  /** None carries an `experiment` label: none exists, or they were written before the label (`unlabelled`). */
  | { kind: 'none'; unlabelled: string[] }
  /** `table` (the enrollments table when it is one of them) carries another experiment's label. */
  | { kind: 'other'; table: string; owner: string; tables: number };

/**
 * Whom the tables of `dataset` named after `slug` belong to (`tables`: the dataset's listing,
 * labels included). `known`: every experiment's slug, so that `foo`'s tables are told from
 * `foo_bar`'s and an owner's label is read back as its slug.
 */
export function claimOf(slug: string, tables: readonly TableInfo[], known: readonly string[]): TableClaim {
  const name = normalizeSlug(slug);
  const all = [...new Set([...known, slug].map(normalizeSlug))];
  const named = tables.filter((t) => belongsToExperiment(t.ref.table, name, all));
  const mine = experimentLabel(slug);
  const foreign = named.filter((t) => {
    const label = t.labels[EXPERIMENT_LABEL];
    return label !== undefined && label !== '' && label !== mine;
  });
  if (foreign.length > 0) {
    const enrollments = enrollmentsTableName(slug);
    const first = foreign.find((t) => t.ref.table === enrollments) ?? (foreign[0] as TableInfo);
    const label = first.labels[EXPERIMENT_LABEL] as string;
    const owner = known.find((s) => experimentLabel(s) === label) ?? label;
    return { kind: 'other', table: first.ref.table, owner, tables: foreign.length };
  }
  if (named.some((t) => t.labels[EXPERIMENT_LABEL] === mine)) return { kind: 'own' };
  return { kind: 'none', unlabelled: named.map((t) => t.ref.table).sort() };
}

/** The type (class name) of a SlugCollisionError, as a failure carries it across Temporal. */
export const SLUG_COLLISION = 'SlugCollisionError';

/**
 * Two experiments whose slugs differ only in characters jetstream's table names turn into `_`
 * would write each other's tables: the run of one is refused rather than let it overwrite the
 * other's results.
 */
export class SlugCollisionError extends ContrailError {
  constructor(
    message: string,
    details: { slug: string; dataset: string; others: string[] } & Record<string, unknown>,
  ) {
    super(message, { permanent: true, details });
    this.name = SLUG_COLLISION;
  }
}

export interface CollisionInput {
  slug: string;
  dataset: string;
  /** The experiments this run analyses (a daily run's eligible ones, a command's named ones). */
  analysed: readonly string[];
  /** Every experiment's slug the source knows (drafts included). */
  known: readonly string[];
  /** The dataset's tables with their labels. */
  tables: readonly TableInfo[];
}

/**
 * Why `slug` must not be analysed into `dataset` by a run analysing `analysed`, or null:
 * - a table named after it belongs to another experiment (its label says so): refused, whatever
 *   else the run analyses;
 * - another experiment of the same run writes the same tables and neither owns them: both are
 *   refused, since letting either go first would be a choice nobody made; analysing one alone
 *   (a run naming it) is that choice, and its tables then say it was made;
 * - the experiment already owns the tables: analysed, and the other is refused by the first rule.
 */
export function collisionRefusal(input: CollisionInput): SlugCollisionError | null {
  const { slug, dataset } = input;
  const name = normalizeSlug(slug);
  const claim = claimOf(slug, input.tables, input.known);
  const cli = contrailCommand();
  if (claim.kind === 'other') {
    const { owner, table } = claim;
    const others = [owner];
    const more = claim.tables > 1 ? ` (and ${plural(claim.tables - 1, 'other table')} there)` : '';
    return new SlugCollisionError(
      `nothing of ${slug} is written to ${dataset}: ${dataset}.${table}${more} belongs to experiment ${owner} (its ${EXPERIMENT_LABEL} label). ` +
        `jetstream names an experiment's tables after its slug with every "-" as "_", so ${slug} and ${owner} share the tables named after ${name} (${tableFamily(name)}), ` +
        `and contrail never writes over another experiment's tables. A launched experiment's slug cannot change in Experimenter: ` +
        `analyse ${slug} into a dataset of its own (--dataset_id; its exports go under that dataset's name), ` +
        `or, if ${owner}'s results in ${dataset} are no longer wanted, drop its tables named after ${name} there and analyse ${slug} again; to stop analysing ${slug}, set skip = true under [experiment] in its config (jetstream/${slug}.toml)`,
      { slug, dataset, others, table, owner, tablePrefix: name },
    );
  }
  if (claim.kind === 'own') return null;
  const rivals = collidingSlugs(slug, input.analysed);
  if (rivals.length === 0) return null;
  const pair = [slug, ...rivals].sort();
  // The commands' default dataset is contrail's production one.
  const inDataset = dataset === PRODUCTION_DATASET ? '' : ` --dataset_id ${dataset}`;
  const both = pair.join(' and ');
  const existing =
    claim.unlabelled.length === 0
      ? `Choose the one they are for and analyse it alone: \`${cli} run --date <date> --experiment_slug ${pair[0]}${inDataset}\` (or ${pair.slice(1).join(', ')}); its tables then belong to it, and later runs analyse it and refuse the other.`
      : `${dataset} has ${plural(claim.unlabelled.length, 'table')} named after ${name} written before contrail labelled a table with its experiment (${claim.unlabelled[0]}${claim.unlabelled.length > 1 ? ', …' : ''}): they may hold either's results. ` +
        `Choose the one they are for and recompute them as its own: \`${cli} rerun --experiment_slug ${pair[0]}${inDataset} --recreate_enrollments\` (or ${pair.slice(1).join(', ')}); later runs then analyse it and refuse the other.`;
  return new SlugCollisionError(
    `${slug} is not analysed into ${dataset}: ${both} both write the tables named after ${name} (${tableFamily(name)}), ` +
      `since jetstream names an experiment's tables after its slug with every "-" as "_". Neither owns them yet, so this run analyses neither rather than let one overwrite the other. ` +
      `${existing} A launched experiment's slug cannot change in Experimenter: analyse the other into a dataset of its own (--dataset_id).`,
    {
      slug,
      dataset,
      others: rivals,
      tablePrefix: name,
      ...(claim.unlabelled.length > 0 ? { unlabelled: claim.unlabelled.length } : {}),
    },
  );
}

/**
 * The refusal of each of `analysed` that must not be analysed into `dataset` (one listing of
 * the dataset for them all).
 */
export async function collisionRefusals(
  warehouse: Warehouse,
  input: { dataset: string; analysed: readonly string[]; known: readonly string[] },
): Promise<Map<string, SlugCollisionError>> {
  const tables = await warehouse.listTables(input.dataset);
  const known = [...new Set([...input.known, ...input.analysed])];
  const out = new Map<string, SlugCollisionError>();
  for (const slug of input.analysed) {
    const refusal = collisionRefusal({ ...input, slug, known, tables });
    if (refusal) out.set(slug, refusal);
  }
  return out;
}

/**
 * Refuses to write `slug`'s results over tables of `dataset` another experiment's label claims
 * (rerun-skip relabelling them would move the other's anchor; a publication checks the same
 * rule on its own listing, `publishStaged`).
 */
export async function checkOwnTables(
  warehouse: Warehouse,
  input: { dataset: string; slug: string; known: readonly string[] },
): Promise<void> {
  const refusal = collisionRefusal({
    slug: input.slug,
    dataset: input.dataset,
    analysed: [input.slug],
    known: input.known,
    tables: await warehouse.listTables(input.dataset),
  });
  if (refusal) throw refusal;
}
