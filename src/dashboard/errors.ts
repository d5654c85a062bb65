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
