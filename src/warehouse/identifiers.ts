import { ContrailError } from '../errors.js';
import type { Dialect } from './table-ref.js';

/**
 * Identifiers contrail interpolates into SQL (datasets, table names, slugs) are validated
 * here and nowhere else. User SQL fragments from configs pass through untouched; names
 * contrail makes must never carry SQL.
 */

/** jetstream's rule: every character outside [a-zA-Z0-9_] becomes `_`. */
export function normalizeSlug(slug: string): string {
  return slug.replace(/[^a-zA-Z0-9_]/g, '_');
}

// Table names come from experiment slugs, and slugs may start with a digit (`1-click-pin-experiment`
// becomes `1_click_pin_experiment_…`): BigQuery table ids may, and both renderers quote every
// table name contrail makes. Column names, struct fields and catalogs are written unquoted in
// places, so they keep the stricter rule of a letter or underscore first.
const TABLE_NAME = /^[A-Za-z0-9_]{1,1024}$/;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,1023}$/;
// BigQuery dataset ids: letters, digits, underscores; project ids may carry hyphens.
const DATASET = /^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]\.)?[A-Za-z0-9_]{1,1024}$/;
const UNPREFIXED_DATASET = /^[A-Za-z0-9_]{1,1024}$/;
const PROJECT_ID_RULE = '6–30 lower-case letters, digits and hyphens, starting with a letter';

export class InvalidIdentifierError extends ContrailError {
  constructor(
    kind: string,
    value: string,
    /** What a valid one is made of, for a message that names the value its own way (a CLI option). */
    readonly rule: string,
  ) {
    super(`invalid ${kind} ${JSON.stringify(value)}: ${rule}`, { permanent: true });
    this.name = 'InvalidIdentifierError';
  }
}

/** `value` when it matches `pattern`; else an InvalidIdentifierError naming the kind and the rule. */
export function assertIdentifier(kind: string, value: string, pattern: RegExp, rule: string): string {
  if (!pattern.test(value)) throw new InvalidIdentifierError(kind, value, rule);
  return value;
}

export function assertTableName(name: string): string {
  return assertIdentifier('table name', name, TABLE_NAME, 'use letters, digits and underscores');
}

/** A column, struct field or catalog name contrail writes: `kind` names which in the error. */
export function assertPlainName(name: string, kind = 'column name'): string {
  return assertIdentifier(
    kind,
    name,
    PLAIN_NAME,
    'use letters, digits and underscores, starting with a letter or underscore',
  );
}

export function assertDataset(name: string): string {
  return assertIdentifier(
    'dataset',
    name,
    DATASET,
    `use letters, digits and underscores, optionally prefixed by a project id (${PROJECT_ID_RULE}) and a dot`,
  );
}

/**
 * The dataset a command writes its results to: one of the warehouse contrail writes to, so with
 * no project prefix on either warehouse (the workflows' inputs take no other).
 */
export function assertResultsDataset(name: string): string {
  return assertIdentifier(
    'dataset',
    name,
    UNPREFIXED_DATASET,
    'use letters, digits and underscores, with no project prefix',
  );
}

/**
 * A dataset named by someone choosing results to read (the dashboard's URL and --dataset_id), by
 * the rule of the warehouse it is read from. The embedded warehouse has no projects: a prefix
 * there would name one of DuckDB's catalogs, never a dataset contrail wrote, so it is refused
 * as such rather than answered with an empty dataset.
 */
export function assertDatasetOf(name: string, dialect: Dialect): string {
  if (dialect === 'bigquery') return assertDataset(name);
  return assertIdentifier(
    'dataset',
    name,
    UNPREFIXED_DATASET,
    'use letters, digits and underscores, with no project prefix (the embedded warehouse has no projects)',
  );
}

// Google Cloud project ids: 6–30 characters of lower-case letters, digits and hyphens, starting
// with a letter (domain-scoped ids `example.com:project` too).
const PROJECT_ID = /^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export function assertProjectId(project: string, what = 'project id'): string {
  if (!PROJECT_ID.test(project)) {
    throw new InvalidIdentifierError(what, project, PROJECT_ID_RULE);
  }
  return project;
}
