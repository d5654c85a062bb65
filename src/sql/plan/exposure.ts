import type { AnalysisSpec, ExposureSignalSpec, WindowBound } from '../../config/spec.js';
import { addDays, type IsoDate } from '../../dates.js';
import { lastEnrollmentDate } from '../windows.js';
import { dataSourceFor, experimentSlug, fromExpression, PlanError, type SqlPart, where } from './common.js';
import type { PlanContext } from './types.js';

/**
 * `[experiment.exposure_signal]` as jetstream resolves it (exposure_signal.py
 * `_window_limit_to_int`, then mozanalysis `ExposureSignal.build_query`): bounds are days after
 * the first enrollment date; symbolic bounds count from there using the enrollment period and
 * the analysis window in force (day 0 for the enrollments table, the current window for metrics).
 */
function boundToDays(
  bound: WindowBound | null,
  enrollmentDays: number,
  window: { startOffset: number; endOffset: number },
): number | null {
  if (bound === null || typeof bound === 'number') return bound;
  switch (bound) {
    case 'enrollment_start':
      return 0;
    case 'enrollment_end':
      return enrollmentDays;
    case 'analysis_window_start':
      return window.startOffset + enrollmentDays;
    case 'analysis_window_end':
      return window.endOffset + enrollmentDays;
  }
}

export function exposureSignalDates(
  spec: AnalysisSpec,
  signal: ExposureSignalSpec,
  window: { startOffset: number; endOffset: number },
): { first: IsoDate; last: IsoDate } {
  const start = spec.experiment.startDate;
  const lastEnrollment = lastEnrollmentDate(spec);
  if (start === null || lastEnrollment === null)
    throw new PlanError(`experiment ${spec.experiment.slug} has no start date`);
  const windowStart = boundToDays(signal.windowStart, spec.enrollmentPeriod, window);
  const windowEnd = boundToDays(signal.windowEnd, spec.enrollmentPeriod, window);
  // mozanalysis anchors the end on the first enrollment date when window_end is set (non-zero),
  // on the last enrollment date otherwise.
  const endAnchor = windowEnd ? start : lastEnrollment;
  return { first: addDays(start, windowStart ?? 0), last: addDays(endAnchor, windowEnd ?? 0) };
}

/**
 * Per (analysis_id, branch) of `enrollmentsRelation`: exposure_date = first signal day on or
 * after enrollment, num_exposure_events = signal days (0 when none). Traced in two parts: the
 * signal's own SQL to `[experiment.exposure_signal]` as `signal` says (the column it computes,
 * or none in a query where it is one part among others), its data source's FROM to that data
 * source, so a table the warehouse lacks names the data source to edit, not the signal.
 */
export function exposureSignalQuery(
  ctx: PlanContext,
  signal: ExposureSignalSpec,
  window: { startOffset: number; endOffset: number },
  enrollmentsRelation: string,
  traced: { column: string | null; partial: boolean },
): SqlPart[] {
  const { dialect: d, spec } = ctx;
  const ds = dataSourceFor(
    ctx,
    signal.dataSource,
    `exposure signal ${signal.name} (${where(signal.provenance)})`,
  );
  const dates = exposureSignalDates(spec, signal, window);
  const id = d.userSql(spec.analysisUnit === 'profile_group' ? ds.groupIdColumn : ds.clientIdColumn);
  const submissionDate = d.userSql(ds.submissionDateColumn);
  const condition = d.userSql(signal.selectExpression.replaceAll('{experiment_slug}', experimentSlug(spec)));
  const own = (text: string): SqlPart => ({
    text,
    column: traced.column,
    provenance: signal.provenance,
    ...(traced.partial ? { partial: true } : {}),
  });
  return [
    own(`SELECT
    e.analysis_id,
    e.branch,
    MIN(ds.submission_date) AS exposure_date,
    COUNT(ds.submission_date) AS num_exposure_events
  FROM ${enrollmentsRelation} e
  LEFT JOIN (
    SELECT ${id} AS analysis_id, ${submissionDate} AS submission_date
`),
    // Untraced around the FROM, so the line it is on is the data source's alone.
    '    FROM ',
    { text: fromExpression(ctx, ds, null), column: null, provenance: ds.provenance, partial: true },
    '\n',
    own(`    WHERE ${submissionDate} BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)}
      AND (${condition})
  ) ds
    ON ds.analysis_id = e.analysis_id AND ds.submission_date >= e.enrollment_date
  GROUP BY e.analysis_id, e.branch`),
  ];
}
