import type { AnalysisSpec } from '../config/spec.js';
import { enrollmentsTableName } from '../sql/names.js';
import { enrollmentsPerBranchSql } from '../sql/plan/reads.js';
import { StatisticConfigError, sampleRatioMismatch } from '../statistics/index.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { SampleRatioMismatchSummary } from './results.js';

/**
 * Chi-square test of enrolled clients per branch against the configured ratios; null when it
 * cannot be computed (no enrollments table, no client enrolled, fewer than two branches…), with
 * a warning saying why. Clients in a branch the experiment does not have are left out, and a
 * branch without clients is named, each with a warning.
 */
export async function enrollmentRatioMismatch(
  warehouse: Warehouse,
  spec: AnalysisSpec,
  dataset: string,
  warnings: string[],
): Promise<SampleRatioMismatchSummary | null> {
  const ref = { dataset, table: enrollmentsTableName(spec.experiment.slug) };
  if (!(await warehouse.tableExists(ref))) return null;
  const rows = await warehouse.query<{ branch: string | null; n: number }>(
    enrollmentsPerBranchSql(warehouse.sqlDialect, ref),
  );
  const ratios = Object.fromEntries(spec.experiment.branches.map((b) => [b.slug, b.ratio]));
  const counts: Record<string, number> = {};
  for (const row of rows) {
    const branch = row.branch ?? '(null)';
    if (Object.hasOwn(ratios, branch)) counts[branch] = Number(row.n);
    else
      warnings.push(
        `enrollments: ${Number(row.n)} client(s) in branch '${branch}', which the experiment does not have`,
      );
  }
  const enrolled = Object.values(counts).reduce((s, n) => s + n, 0);
  if (enrolled === 0) {
    // A test of no clients would report p = 1, which reads as a healthy enrollment.
    warnings.push(
      `enrollments: no client is enrolled in any branch of the experiment (${Object.keys(ratios).join(', ')}); nothing can be analysed, and the sample ratio test is not computed`,
    );
    return null;
  }
  for (const branch of Object.keys(ratios)) {
    if (!counts[branch]) {
      warnings.push(
        `enrollments: no client is enrolled in branch '${branch}'; it has no results, and no branch is compared with it`,
      );
    }
  }
  try {
    const srm = sampleRatioMismatch(counts, ratios);
    return { chiSquare: srm.chiSquare, degreesOfFreedom: srm.degreesOfFreedom, pValue: srm.pValue };
  } catch (error) {
    if (!(error instanceof StatisticConfigError)) throw error;
    warnings.push(error.message);
    return null;
  }
}
