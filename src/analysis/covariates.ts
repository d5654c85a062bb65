import type { AnalysisPeriod } from '../config/periods.js';
import type { WindowPlan } from '../sql/plan/analysis.js';
import { preenrollmentDueDate } from '../sql/windows.js';
import type { AnalysisContext } from './context.js';
import { dueWindow, type PlanTarget } from './plan-day.js';
import { computeWindowMetrics } from './steps.js';

/**
 * The pre-enrollment metrics a window's statistics adjust for are computed by the analysis of
 * the day they are due on. A window due later reads them; when they are missing (that day's
 * analysis failed, is still running beside this one in a backfill, or was not asked for), this
 * computes them as that day's analysis would, into the same run's tables: the statistics of a
 * window are then the same however its run was scheduled, and never silently unadjusted.
 * Returns the periods computed (empty when nothing was missing).
 */
export async function ensureCovariates(
  ctx: AnalysisContext,
  windowPlan: WindowPlan,
): Promise<AnalysisPeriod[]> {
  const missing = new Set<AnalysisPeriod>();
  for (const planned of windowPlan.statisticInputs) {
    const fallback = planned.fallback;
    if (!fallback) continue;
    for (const ref of fallback.whenMissing) {
      if (!(await ctx.warehouse.tableExists(ref))) for (const period of fallback.periods) missing.add(period);
    }
  }
  const due = preenrollmentDueDate(ctx.spec);
  if (missing.size === 0 || due === null) return [];
  const target: PlanTarget = { ...ctx, dialect: ctx.warehouse.sqlDialect };
  for (const period of missing) {
    ctx.progress.step(`pre-enrollment metrics ${period}`);
    await computeWindowMetrics(ctx, dueWindow(target, due, { period, windowIndex: 1 }));
  }
  return [...missing];
}
