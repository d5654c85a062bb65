import { LOGS_TABLE } from '../analysis/logs.js';
import { QUERY_COSTS_TABLE } from '../analysis/query-costs.js';
import { ContrailError } from '../errors.js';

/** A dashboard request the server cannot answer as asked (a bad dataset name, an unknown experiment). */
export class DashboardRequestError extends ContrailError {
  constructor(
    message: string,
    /** The HTTP status the server answers with. */
    readonly status: 400 | 404 = 400,
    /** True when the same request can succeed later without the user changing it (a warehouse not written yet). */
    readonly retry = false,
  ) {
    super(message, { permanent: !retry, details: { status, retry } });
    this.name = 'DashboardRequestError';
  }
}

/** Data in a result table that does not have the shape contrail writes. */
export class DashboardDataError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'DashboardDataError';
  }
}

/**
 * The refusal of a dataset name (from a URL) that is no dataset of contrail's: it names the
 * ones there are, marking those holding only failed runs' logs, and the ones that differ only
 * in case.
 */
export function noSuchDataset(
  dataset: string,
  offered: string[],
  logsOnly: ReadonlySet<string>,
  anyResults: boolean,
  sameLetters: string[],
): DashboardRequestError {
  const choices = offered.map((d) => (logsOnly.has(d) ? `${d} (no results: run logs only)` : d)).join(', ');
  const there =
    offered.length === 0
      ? "no dataset holds contrail's output yet"
      : `datasets to choose from: ${choices}${anyResults ? '' : ' (none holds results yet)'}`;
  return new DashboardRequestError(
    `dataset '${dataset}' holds no contrail results (no statistics_<slug>_<period>_<window> tables, no ${LOGS_TABLE} or ${QUERY_COSTS_TABLE} table); ${there}${sameLetters.length > 1 ? `; did you mean ${sameLetters.join(' or ')}? (dataset names are case-sensitive)` : ''}`,
    404,
  );
}
