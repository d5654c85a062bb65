/**
 * How a filter's value is chosen from what the URL asks for, on the server (experiment, period,
 * basis, …) and on the page (parameter, reference branch) alike: the requested value when it is
 * available, else a default, with a notice saying so. No DOM, no server code: the page bundle
 * imports it, and unit tests check it.
 */

/**
 * The filter's requested value when it is one of `available`, else the first preferred value
 * that is, else the first available; a notice says when the request could not be honoured.
 */
export function choose(
  name: string,
  requested: string | null | undefined,
  available: string[],
  preferred: string[],
  notices: string[],
): string | null {
  if (requested && available.includes(requested)) return requested;
  const fallback = preferred.find((p) => available.includes(p)) ?? available[0] ?? null;
  if (requested) {
    notices.push(
      `${name} '${requested}' is not available here${fallback === null ? '' : `; showing '${fallback}'`} (available: ${available.join(', ') || 'none'})`,
    );
  }
  return fallback;
}

/**
 * The filters the page applies to the rows it has: the parameter (deciles and the like; 0.5
 * preferred) and the reference branch of the comparisons ('control' preferred). A value the URL
 * asks for that the rows do not have is said in a notice, as the server says it of its filters.
 */
export function pageFilters(
  rows: readonly { parameter: string | null; comparison_to_branch: string | null }[],
  requested: { parameter: string | null; reference: string | null },
): {
  parameters: string[];
  parameter: string | null;
  references: string[];
  reference: string | null;
  notices: string[];
} {
  const notices: string[] = [];
  // A selection without parameters (or comparisons) hides that filter: the URL's value is kept for
  // the next selection that has them, and nothing is said about a filter that is not shown.
  const said = (values: string[]) => (values.length > 0 ? notices : []);
  const parameters = [...new Set(rows.map((r) => r.parameter).filter((p): p is string => p !== null))].sort(
    (a, b) => Number(a) - Number(b),
  );
  const parameter = choose('parameter', requested.parameter, parameters, ['0.5'], said(parameters));
  const references = [
    ...new Set(rows.map((r) => r.comparison_to_branch).filter((b): b is string => b !== null)),
  ].sort();
  const reference = choose(
    'reference branch',
    requested.reference,
    references,
    ['control'],
    said(references),
  );
  return { parameters, parameter, references, reference, notices };
}
