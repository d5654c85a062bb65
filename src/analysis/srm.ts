import type { AnalysisSpec } from '../config/spec.js';
import { enrollmentsTableName } from '../sql/names.js';
import { enrollmentsPerBranchSql } from '../sql/plan/reads.js';
import { StatisticConfigError, sampleRatioMismatch } from '../statistics/index.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { SampleRatioMismatchSummary } from './results.js';

/**
 * Chi-square test of enrolled clients per branch against the configured ratios; null when it
 * cannot be computed (no enrollments table, fewer than two branches…), with a warning saying
 * why. Clients in a branch the experiment does not have are left out, with a warning.
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
  try {
    const srm = sampleRatioMismatch(counts, ratios);
    return { chiSquare: srm.chiSquare, degreesOfFreedom: srm.degreesOfFreedom, pValue: srm.pValue };
  } catch (error) {
    if (!(error instanceof StatisticConfigError)) throw error;
    warnings.push(error.message);
    return null;
  }
}
