import type { Provenance } from '../../provenance.js';
import { didYouMean } from '../../suggest.js';
import type { Resolution } from './context.js';

/** `{{parameters.*}}` values, and which of them are per-branch (a CASE on the branch). */
export interface ParameterValues {
  values: Record<string, string>;
  byBranch: ReadonlySet<string>;
}

/**
 * Values for `{{parameters.x}}`: a parameter's one string, or for a per-branch parameter a
 * CASE on the client's branch. Branch names the experiment does not have, and branches
 * without a value, are warnings: the analysis still runs.
 */
export function parameterValues(r: Resolution): ParameterValues {
  const values: Record<string, string> = {};
  const byBranch = new Set<string>();
  const branches = r.experiment.branches.map((b) => b.slug);
  for (const [name, param] of r.layer.parameters) {
    const value = param.def.value ?? param.def.default;
    if (value === undefined) continue;
    if (typeof value === 'string') {
      values[name] = value;
      continue;
    }
    const origin = param.fields.value ?? param.fields.default ?? param.origin;
    const warn = (message: string) =>
      r.problems.warning({ file: origin.file, line: origin.line, keyPath: origin.key, message });
    for (const branch of Object.keys(value)) {
      if (!branches.includes(branch))
        warn(
          `parameter '${name}' has a value for '${branch}', which is not a branch of the experiment${didYouMean(branch, branches)}; branches: ${branches.join(', ')}`,
        );
    }
    for (const branch of branches.filter((b) => !(b in value)))
      warn(`parameter '${name}' has no value for branch '${branch}' (its clients get NULL)`);
    values[name] = `CASE e.branch ${Object.entries(value)
      .map(([b, v]) => `WHEN ${sqlString(b)} THEN ${sqlString(v)}`)
      .join(' ')} END`;
    byBranch.add(name);
  }
  return { values, byBranch };
}

/**
 * A per-branch parameter stands for a SQL expression (the CASE above), so a template that
 * quotes it as a string, `message_id = '{{ parameters.message_id }}'` (as every metric-hub
 * spotlight config does), would put that CASE inside a string literal: broken SQL here, and in
 * jetstream a comparison with the CASE's own text that matches no row, so the metric is 0 for
 * every client. The author means each branch's value: the quotes are dropped, with a warning
 * saying so, so that the metric measures what it says.
 */
export function unquoteBranchParameters(
  r: Resolution,
  source: string,
  origin: Provenance,
  metric: string,
): string {
  if (r.parameterBranches.size === 0) return source;
  return source.replace(
    /(['"])(\{\{\s*parameters\.(\w+)\s*\}\})\1/g,
    (quoted: string, _quote: string, placeholder: string, name: string) => {
      if (!r.parameterBranches.has(name)) return quoted;
      r.problems.warning({
        file: origin.file,
        line: origin.line,
        keyPath: origin.key,
        message: `metric '${metric}' quotes the per-branch parameter '${name}' (${quoted}): it stands for a CASE on the client's branch, not a string, so contrail reads it unquoted and compares with each branch's own value (jetstream would compare with the text of that CASE and count nothing); write ${placeholder} without the quotes`,
      });
      return placeholder;
    },
  );
}

/**
 * Single-quoted SQL string literals work in BigQuery and DuckDB alike (jetstream writes double
 * quotes, which DuckDB reads as identifiers).
 */
function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
