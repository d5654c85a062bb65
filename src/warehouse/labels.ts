import { ContrailError } from '../errors.js';
import type { TableLabels } from './warehouse.js';

/**
 * Table labels follow BigQuery's rules on every warehouse, so a label that works embedded
 * also works in production: keys start with a lower-case letter, keys and values use
 * [a-z0-9_-], at most 63 characters (values may be empty). Versions like `0.1.0` must be
 * encoded by the caller (e.g. `0-1-0`).
 */
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

export class InvalidLabelError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'InvalidLabelError';
  }
}

export function assertLabels(labels: TableLabels): TableLabels {
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_KEY.test(key)) {
      throw new InvalidLabelError(
        `invalid label key ${JSON.stringify(key)}: start with a lower-case letter; use a-z, 0-9, _ and -; at most 63 characters`,
      );
    }
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      throw new InvalidLabelError(
        `invalid value ${JSON.stringify(value)} for label ${key}: use a-z, 0-9, _ and -; at most 63 characters`,
      );
    }
  }
  return labels;
}

/** A value made valid as a label: lower-cased, other characters as `-`, at most 63 characters. */
export function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')
    .slice(0, 63);
}

/** `last_updated`: epoch milliseconds as a decimal string (a valid label value on BigQuery too). */
export function lastUpdatedLabel(now: number = Date.now()): string {
  return String(now);
}

/** When a table was last written, from its `last_updated` label (epoch ms); null without one. */
export function lastUpdatedOf(labels: TableLabels): number | null {
  const ms = Number(labels.last_updated);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}
