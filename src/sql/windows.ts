import { ANALYSIS_PERIODS, type AnalysisPeriod } from '../config/periods.js';
import type { AnalysisSpec } from '../config/spec.js';
import { addDays, daysBetween, type IsoDate } from '../dates.js';
import { ContrailError } from '../errors.js';

/**
 * Period and window arithmetic, as jetstream (analysis.py `_get_timelimits_if_ready`) and
 * mozanalysis (`TimeLimits`) do it. Offsets are days relative to each client's own enrollment
 * (or exposure) date, inclusive on both ends.
 */
export interface AnalysisWindow {
  period: AnalysisPeriod;
  /** jetstream's window number: the count of windows so far (week 1 = the first week), 1 for single-window periods. */
  windowIndex: number;
  startOffset: number;
  endOffset: number;
}

/** jetstream's `dates_enrollment`: the enrollment period plus the day enrollment started on. */
export function datesEnrollment(spec: AnalysisSpec): number {
  return spec.enrollmentPeriod + 1;
}

function startDate(spec: AnalysisSpec): IsoDate | null {
  return spec.experiment.startDate;
}

/** The last day whose enrollments count: start + dates_enrollment − 1. Null without a start date. */
export function lastEnrollmentDate(spec: AnalysisSpec): IsoDate | null {
  const start = startDate(spec);
  return start === null ? null : addDays(start, datesEnrollment(spec) - 1);
}

/** The date the pre-enrollment windows are due on: start + dates_enrollment. Null without a start date. */
export function preenrollmentDueDate(spec: AnalysisSpec): IsoDate | null {
  const start = startDate(spec);
  return start === null ? null : addDays(start, datesEnrollment(spec));
}

/** Window lengths of the time-series periods. */
export const TIME_SERIES_LENGTH = { day: 1, week: 7, days28: 28 } as const;

/** Number of complete windows of length `length` with data up to `date` (mozanalysis `TimeLimits.for_ts`). */
function completeWindows(lastEnrollment: IsoDate, date: IsoDate, length: number): number {
  return Math.floor((daysBetween(lastEnrollment, date) + 1) / length);
}

/** A window of an experiment that has not started (no start date) was asked for. */
export class NoStartDateError extends ContrailError {
  constructor(slug: string) {
    super(`experiment ${slug} has no start date`, { permanent: true, details: { slug } });
    this.name = 'NoStartDateError';
  }
}

export class EnrollmentLongerThanAnalysisError extends ContrailError {
  constructor(
    slug: string,
    days: number,
    dates?: { start: IsoDate; end: IsoDate; enrollmentPeriod: number },
  ) {
    const which = dates
      ? ` (start_date ${dates.start}, end_date ${dates.end}, enrollment_period ${dates.enrollmentPeriod})`
      : '';
    super(
      `experiment ${slug}: the overall window would be ${days} days long — the enrollment period ` +
        `(plus its first day) is not shorter than the time between start and end dates${which}, ` +
        'so no analysis window of any period can complete',
      { permanent: true },
    );
    this.name = 'EnrollmentLongerThanAnalysisError';
  }
}

/** Throws EnrollmentLongerThanAnalysisError for an experiment that ends before any window can complete. */
function checkOverallWindow(spec: AnalysisSpec, start: IsoDate, end: IsoDate): void {
  const length = overallLength(spec, start, end);
  if (length < 1) {
    throw new EnrollmentLongerThanAnalysisError(spec.experiment.slug, length, {
      start,
      end,
      enrollmentPeriod: spec.enrollmentPeriod,
    });
  }
}

/**
 * Refuses an experiment whose end date comes before its enrollment is over: nothing is ever
 * due for it (no window of any period completes), so a date range chosen for it (a preview's)
 * could only say 'nothing due' on every date, while the reason is the experiment's dates.
 */
export function checkAnalysable(spec: AnalysisSpec): void {
  const start = startDate(spec);
  const end = spec.experiment.endDate;
  if (start !== null && end !== null) checkOverallWindow(spec, start, end);
}

/** Days of the overall window: from the last enrollment day to the end date. */
function overallLength(spec: AnalysisSpec, start: IsoDate, end: IsoDate): number {
  return daysBetween(start, end) - datesEnrollment(spec) + 1;
}

const windowKey = (w: AnalysisWindow) => `${w.period}:${w.windowIndex}`;

/**
 * The windows whose data completes on `date`, one per period at most: for day/week/days28 only
 * the newest window, and only on the day it completes; the pre-enrollment periods once, on
 * start + dates_enrollment; overall once, on the end date of a complete experiment (an
 * experiment too short for one fails here). Those due by `date` and not by the day before.
 */
export function windowsDueOn(
  spec: AnalysisSpec,
  date: IsoDate,
  periods: readonly AnalysisPeriod[] = ANALYSIS_PERIODS,
): AnalysisWindow[] {
  const start = startDate(spec);
  const end = spec.experiment.endDate;
  if (
    periods.includes('overall') &&
    start !== null &&
    end === date &&
    spec.experiment.status === 'complete'
  ) {
    checkOverallWindow(spec, start, end);
  }
  const before = new Set(windowsThrough(spec, addDays(date, -1), periods).map(windowKey));
  return windowsThrough(spec, date, periods).filter((w) => !before.has(windowKey(w)));
}

/**
 * Every window due on some date up to and including `date`, oldest first per period: the
 * windows whose tables an analysis through `date` may have written. Unlike `windowsDueOn` it
 * never fails: an overall window that cannot exist is simply absent.
 */
export function windowsThrough(
  spec: AnalysisSpec,
  date: IsoDate,
  periods: readonly AnalysisPeriod[] = ANALYSIS_PERIODS,
): AnalysisWindow[] {
  const start = startDate(spec);
  const lastEnrollment = lastEnrollmentDate(spec);
  if (start === null || lastEnrollment === null) return [];
  // An experiment that has ended has no new windows (jetstream refuses dates after its end
  // date): the last ones complete on the end date, with data of the experiment's own days.
  const end = spec.experiment.endDate;
  const through = end !== null && end < date ? end : date;
  const windows: AnalysisWindow[] = [];
  for (const period of periods) {
    switch (period) {
      case 'day':
      case 'week':
      case 'days28': {
        const length = TIME_SERIES_LENGTH[period];
        for (let n = 1; n <= completeWindows(lastEnrollment, through, length); n++) {
          windows.push({ period, windowIndex: n, startOffset: (n - 1) * length, endOffset: n * length - 1 });
        }
        break;
      }
      case 'preenrollment_week':
      case 'preenrollment_days28': {
        if ((preenrollmentDueDate(spec) as IsoDate) > date) break;
        const length = period === 'preenrollment_week' ? 7 : 28;
        windows.push({ period, windowIndex: 1, startOffset: -length, endOffset: -1 });
        break;
      }
      case 'overall': {
        if (end === null || end > date || spec.experiment.status !== 'complete') break;
        const length = overallLength(spec, start, end);
        if (length >= 1) windows.push({ period, windowIndex: 1, startOffset: 0, endOffset: length - 1 });
        break;
      }
    }
  }
  return windows;
}

/**
 * The last date of jetstream's rerun range: the day after the end date when there is one (on
 * which nothing is due any more: an ended experiment has no new windows), else `today`; never
 * after `today`. Null without a start date.
 */
export function lastAnalysisDate(spec: AnalysisSpec, today: IsoDate): IsoDate | null {
  if (startDate(spec) === null) return null;
  const end = spec.experiment.endDate;
  const last = end === null ? today : addDays(end, 1);
  return last < today ? last : today;
}

/**
 * The last date on or before `last` on which a window of `periods` that has metrics completes
 * (a preview's default end: the last day with results to show, not just enrollments); null when
 * none does from the start date on.
 */
export function lastDueDate(
  spec: AnalysisSpec,
  last: IsoDate,
  periods: readonly AnalysisPeriod[] = ANALYSIS_PERIODS,
): IsoDate | null {
  const start = startDate(spec);
  if (start === null) return null;
  const withMetrics = periods.filter((p) => (spec.metrics[p] ?? []).length > 0);
  // Walking back from `last`: one date at a time, comparing with the day before (what
  // windowsDueOn does, without its refusal of an overall window that cannot exist).
  let after = new Set(windowsThrough(spec, last, withMetrics).map(windowKey));
  for (let date = last; date >= start; ) {
    const before = addDays(date, -1);
    const through = new Set(windowsThrough(spec, before, withMetrics).map(windowKey));
    if ([...after].some((key) => !through.has(key))) return date;
    after = through;
    date = before;
  }
  return null;
}

/** Window length in days (what normalize_over_analysis_period divides by). */
export function windowDays(window: Pick<AnalysisWindow, 'startOffset' | 'endOffset'>): number {
  return window.endOffset - window.startOffset + 1;
}

/**
 * Dates of data a window reads across all clients (mozanalysis first/last_date_data_required):
 * from the first enrollment date + start to the last enrollment date + end.
 */
export function dataDateRange(
  spec: AnalysisSpec,
  window: Pick<AnalysisWindow, 'startOffset' | 'endOffset'>,
): { first: IsoDate; last: IsoDate } {
  const start = startDate(spec);
  const lastEnrollment = lastEnrollmentDate(spec);
  if (start === null || lastEnrollment === null) {
    throw new NoStartDateError(spec.experiment.slug);
  }
  return { first: addDays(start, window.startOffset), last: addDays(lastEnrollment, window.endOffset) };
}
