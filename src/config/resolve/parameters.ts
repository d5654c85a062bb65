import { didYouMean } from '../../suggest.js';
import type { Resolution } from './context.js';

/**
 * Values for `{{parameters.x}}`: a parameter's one string, or for a per-branch parameter a
 * CASE on the client's branch. Branch names the experiment does not have, and branches
 * without a value, are warnings: the analysis still runs.
 */
export function parameterValues(r: Resolution): Record<string, string> {
  const out: Record<string, string> = {};
  const branches = r.experiment.branches.map((b) => b.slug);
  for (const [name, param] of r.layer.parameters) {
    const value = param.def.value ?? param.def.default;
    if (value === undefined) continue;
    if (typeof value === 'string') {
      out[name] = value;
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
    out[name] = `CASE e.branch ${Object.entries(value)
      .map(([b, v]) => `WHEN ${sqlString(b)} THEN ${sqlString(v)}`)
      .join(' ')} END`;
  }
  return out;
}

/**
 * Single-quoted SQL string literals work in BigQuery and DuckDB alike (jetstream writes double
 * quotes, which DuckDB reads as identifiers).
 */
function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
