import type { AnalysisPeriod } from '../config/periods.js';
import type { AnalysisSpec } from '../config/spec.js';
import { addDays, type IsoDate } from '../dates.js';
import { notAnalysedReason } from '../experiments/source.js';
import type { SqlDialect } from '../sql/dialect.js';
import { type AnalysisPlan, planAnalysis, type WindowPlan } from '../sql/plan/analysis.js';
import type { ResultTableNames } from '../sql/plan/types.js';
import { checkAnalysable, lastAnalysisDate, lastDueDate, lastEnrollmentDate } from '../sql/windows.js';
import { type AnalysableDates, outsideAnalysableDates } from './analysable-dates.js';
import { InvalidInputError } from './errors.js';
import type { AnalysisWindowRef, DueWork } from './results.js';

/** What planning needs: the spec, where tables go, the warehouse's SQL and which periods. */
export interface PlanTarget {
  spec: AnalysisSpec;
  dataset: string;
  dialect: SqlDialect;
  /** Only these periods; null = every period the config lists. */
  periods: AnalysisPeriod[] | null;
  /** Names of the result tables the run writes and reads; default: the published names. */
  results?: ResultTableNames;
}

/** Every query of the analysis of `date`, rendered (planning fails here on a config that cannot be planned). */
export function planDate(target: PlanTarget, date: IsoDate, periods = target.periods): AnalysisPlan {
  return planAnalysis(target.spec, date, {
    dataset: target.dataset,
    dialect: target.dialect,
    ...(periods ? { periods } : {}),
    ...(target.results ? { results: target.results } : {}),
  });
}

/** The dates anything of the experiment can be due on (see AnalysableDates). */
export function analysableDates(spec: AnalysisSpec): AnalysableDates {
  const { slug, startDate, endDate } = spec.experiment;
  const notAnalysed = notAnalysedReason(spec.experiment) ?? enrollmentNotComplete(spec);
  return {
    slug,
    skip: spec.skip,
    ...(notAnalysed ? { notAnalysed } : {}),
    startDate,
    firstDueDate: lastEnrollmentDate(spec),
    endDate,
  };
}

/**
 * jetstream's EnrollmentNotComplete: an experiment whose Experimenter record has no end of
 * enrollment yet is still enrolling, whatever its proposed enrollment says (owners often extend
 * it), and is not analysed until the record has one, unless its config gives an
 * `enrollment_period`. Analysed before, its enrollments table (written once) would miss the
 * clients enrolled later and every result would describe a population that is still growing.
 * A preview is not held back (it never asks).
 */
function enrollmentNotComplete(spec: AnalysisSpec): string | null {
  const { slug, startDate, enrollmentEndDate } = spec.experiment;
  if (startDate === null || enrollmentEndDate !== null || spec.enrollmentPeriodConfigured) return null;
  return `${slug} is still enrolling: its Experimenter record has no end of enrollment yet; an [experiment] enrollment_period in its config analyses it before then`;
}

/** Why nothing is due on `date`, in jetstream's terms (EnrollmentNotComplete, Ended, …). */
export function nothingDueReason(spec: AnalysisSpec, date: IsoDate): string {
  return (
    outsideAnalysableDates(analysableDates(spec), date) ??
    `no analysis window of ${spec.experiment.slug} completes on ${date}`
  );
}

/** What is due on `date`: whether enrollments must exist, which windows complete, or why nothing is due. */
export function dueWork(target: PlanTarget, date: IsoDate): DueWork {
  const { spec } = target;
  if (spec.skip) return { enrollmentsDue: false, windows: [], reason: nothingDueReason(spec, date) };
  const planned = planDate(target, date);
  const windows = planned.windows.map((w) => ({
    period: w.window.period,
    windowIndex: w.window.windowIndex,
  }));
  const enrollmentsDue = planned.enrollments !== null;
  return {
    enrollmentsDue,
    windows,
    reason: enrollmentsDue || windows.length > 0 ? null : nothingDueReason(spec, date),
  };
}

/** The plan of one window that is due on `date`; a window that is not due is refused, naming those that are. */
export function dueWindow(target: PlanTarget, date: IsoDate, ref: AnalysisWindowRef): WindowPlan {
  const { windows } = planDate(target, date, [ref.period]);
  const found = windows.find(
    (w) => w.window.period === ref.period && w.window.windowIndex === ref.windowIndex,
  );
  if (!found) {
    const due = windows.map((w) => `${w.window.period} ${w.window.windowIndex}`).join(', ') || 'none';
    throw new InvalidInputError(
      `${target.spec.experiment.slug}: window ${ref.period} ${ref.windowIndex} is not due on ${date} (due: ${due})`,
    );
  }
  return found;
}

/**
 * The experiment's dates and status as analysed (config overrides applied), for default date
 * ranges; `periods` (null: every period) for the last date with a window due. An experiment
 * that ends before its enrollment is over is refused (EnrollmentLongerThanAnalysisError).
 */
export function experimentDates(spec: AnalysisSpec, today: IsoDate, periods: AnalysisPeriod[] | null = null) {
  checkAnalysable(spec);
  const last = lastAnalysisDate(spec, addDays(today, -1));
  return {
    startDate: spec.experiment.startDate,
    endDate: spec.experiment.endDate,
    status: spec.experiment.status,
    lastAnalysisDate: last,
    lastDueDate: last === null ? null : lastDueDate(spec, last, periods ?? undefined),
    analysable: analysableDates(spec),
  };
}
