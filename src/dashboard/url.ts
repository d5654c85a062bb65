/** The port `contrail dashboard` listens on unless told otherwise. */
export const DEFAULT_DASHBOARD_PORT = 8050;

/**
 * The dashboard's address for a dataset and experiment, as `contrail preview` prints it and
 * `contrail dashboard` serves it (filters as query parameters, so a URL can be shared).
 */
export function dashboardUrl(options: { port?: number; dataset?: string; experiment?: string } = {}): string {
  const url = new URL(`http://127.0.0.1:${options.port ?? DEFAULT_DASHBOARD_PORT}/`);
  if (options.dataset) url.searchParams.set('dataset', options.dataset);
  if (options.experiment) url.searchParams.set('experiment', options.experiment);
  return url.toString();
}
