import { ContrailError } from '../errors.js';

/**
 * Identifiers contrail interpolates into SQL (datasets, table names, slugs) are validated
 * here and nowhere else. User SQL fragments from configs pass through untouched; names
 * contrail makes must never carry SQL.
 */

/** jetstream's rule: every character outside [a-zA-Z0-9_] becomes `_`. */
export function normalizeSlug(slug: string): string {
  return slug.replace(/[^a-zA-Z0-9_]/g, '_');
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,1023}$/;
// BigQuery dataset ids: letters, digits, underscores; project ids may carry hyphens.
const DATASET = /^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]\.)?[A-Za-z0-9_]{1,1024}$/;

export class InvalidIdentifierError extends ContrailError {
  constructor(kind: string, value: string, rule: string) {
    super(`invalid ${kind} ${JSON.stringify(value)}: ${rule}`, { permanent: true });
    this.name = 'InvalidIdentifierError';
  }
}

export function assertTableName(name: string): string {
  if (!TABLE_NAME.test(name)) {
    throw new InvalidIdentifierError(
      'table name',
      name,
      'use letters, digits and underscores, starting with a letter or underscore',
    );
  }
  return name;
}

export function assertDataset(name: string): string {
  if (!DATASET.test(name)) {
    throw new InvalidIdentifierError(
      'dataset',
      name,
      'use letters, digits and underscores, optionally prefixed by a project id and a dot',
    );
  }
  return name;
}

// Google Cloud project ids: 6–30 characters of lower-case letters, digits and hyphens, starting
// with a letter (domain-scoped ids `example.com:project` too).
const PROJECT_ID = /^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export function assertProjectId(project: string, what = 'project id'): string {
  if (!PROJECT_ID.test(project)) {
    throw new InvalidIdentifierError(
      what,
      project,
      '6–30 lower-case letters, digits and hyphens, starting with a letter',
    );
  }
  return project;
}
