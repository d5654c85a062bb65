// What a preview on a generated population does to an experiment's enrollment dates: the record
// it analyses in place of one whose enrollment does not end by the first previewed date, and the
// enrollment dates a preview names when it finds nobody enrolled.
import { recordEnrollmentPeriod } from '../config/resolve/experiment.js';
import type { AnalysisSpec } from '../config/spec.js';
import { addDays, type IsoDate } from '../dates.js';
import type { Experiment } from '../experiments/experiment.js';
import type { Provenance } from '../provenance.js';
import { lastEnrollmentDate } from '../sql/windows.js';

/** How a preview on a generated population moved an experiment's enrollment. */
export interface AssumedEnrollment {
  /** The start taken: the enrollment period ends on the first previewed date. */
  startDate: IsoDate;
  /** The experiment's own start date; null: it has none (not launched). */
  ownStartDate: IsoDate | null;
  /**
   * An end date (the config's, as a not-launched experiment's can only be) before the first
   * previewed date, set aside: kept, it would end the experiment before the enrollment taken,
   * and nothing previewed could be due. jetstream's preview sets every experiment's end too.
   */
  endDateSetAside?: IsoDate;
}

/** The days whose enrollments an analysis counts, and what set them. */
export interface EnrollmentDates {
  /** The experiment's start date (as analysed: the config's, else the record's). */
  first: IsoDate;
  /** Its last enrollment date: start + enrollment_period (jetstream's dates_enrollment − 1). */
  last: IsoDate;
  /** Where the config's `[experiment]` sets them (start_date, enrollment_period); empty: the record's stand. */
  setBy: Provenance[];
  /** The experiment record's own enrollment dates, when the config moved them off those. */
  own?: { first: IsoDate; last: IsoDate };
}

/**
 * The enrollment dates `resolved` analyses (null without a start date): what a preview that
 * finds nobody enrolled names, with the config keys that set them, since a start_date or
 * enrollment_period away from when clients enrolled looks like too small a sample otherwise.
 * A preview that moved the enrollment (`assumed`) says so itself: no key is named then.
 */
export function enrollmentDates(resolved: {
  spec: AnalysisSpec;
  experiment: Experiment;
  assumed: AssumedEnrollment | null;
}): EnrollmentDates | null {
  const { spec, experiment: record } = resolved;
  const first = spec.experiment.startDate;
  const last = lastEnrollmentDate(spec);
  if (first === null || last === null) return null;
  const setBy = resolved.assumed ? [] : spec.enrollmentSetBy;
  // The record's dates, by the same rule the spec's follow.
  const ownLast = lastEnrollmentDate({
    ...spec,
    experiment: record,
    enrollmentPeriod: recordEnrollmentPeriod(record),
  });
  const own =
    setBy.length === 0 || record.startDate === null || ownLast === null
      ? null
      : { first: record.startDate, last: ownLast };
  const moved = own !== null && (own.first !== first || own.last !== last);
  return { first, last, setBy, ...(moved ? { own } : {}) };
}

/**
 * The experiment record a preview on a generated population analyses when the experiment's own
 * enrollment does not end by `enrolledUntil` (no start date, a later one, or still enrolling):
 * one that starts so that its enrollment period (the config's, else the record's, known only
 * once `spec` is resolved) ends on `enrolledUntil`. Null when its enrollment is over by then:
 * it keeps its dates, and the windows they make due.
 */
function assumedEnrollment(
  experiment: Experiment,
  spec: AnalysisSpec,
  enrolledUntil: IsoDate,
  ownStartDate: IsoDate | null,
): { experiment: Experiment; assumed: AssumedEnrollment } | null {
  const last = ownStartDate === null ? null : lastEnrollmentDate(spec);
  if (last !== null && last <= enrolledUntil) return null;
  const startDate = addDays(enrolledUntil, -spec.enrollmentPeriod);
  return {
    // The period is kept as resolved, not recomputed from the record's enrollment end date.
    experiment: {
      ...experiment,
      startDate,
      enrollmentEndDate: null,
      proposedEnrollment: spec.enrollmentPeriod,
    },
    assumed: { startDate, ownStartDate },
  };
}

/**
 * `experiment` as a preview on a generated population whose first date is `enrolledUntil` takes
 * it (null: not such a preview), resolved by `resolveFor`: moved by assumedEnrollment when its own
 * enrollment does not end by then, unless a start_date in its config (which overrides any
 * record's) holds it where the author put it. Moved, it loses an end date before `enrolledUntil`.
 */
export async function resolveAsPreviewed<T extends { spec: AnalysisSpec }>(
  experiment: Experiment,
  enrolledUntil: IsoDate | null,
  resolveFor: (experiment: Experiment) => Promise<T>,
): Promise<{ resolved: T; experiment: Experiment; assumed: AssumedEnrollment | null }> {
  // A record without a start date is first resolved on a provisional one, the first previewed
  // date: undated, a config whose SQL reads {{experiment.start_date_str}} (an enrollment query
  // over the enrollment dates, a segment's data source) cannot be rendered, and this first
  // resolution is only for the enrollment period and whether the config's start_date stands.
  const provisional = enrolledUntil !== null && experiment.startDate === null;
  const resolved = await resolveFor(
    provisional ? { ...experiment, startDate: enrolledUntil, enrollmentEndDate: null } : experiment,
  );
  const configStart = resolved.spec.enrollmentSetBy.some((p) => p.key.endsWith('start_date'));
  const ownStartDate = provisional && !configStart ? null : resolved.spec.experiment.startDate;
  // Not moved: the experiment as it is (a config start_date renders its templates).
  const unmoved = async () => ({
    resolved: provisional ? await resolveFor(experiment) : resolved,
    experiment,
    assumed: null,
  });
  const moved =
    enrolledUntil === null ? null : assumedEnrollment(experiment, resolved.spec, enrolledUntil, ownStartDate);
  if (moved === null) return unmoved();
  const started = await resolveFor(moved.experiment);
  if (started.spec.experiment.startDate !== moved.assumed.startDate) return unmoved();
  const end = started.spec.experiment.endDate;
  if (end === null || enrolledUntil === null || end >= enrolledUntil)
    return { resolved: started, experiment: moved.experiment, assumed: moved.assumed };
  // The record's status too: a config's end_date made the experiment complete.
  const unended = {
    ...started,
    spec: {
      ...started.spec,
      experiment: { ...started.spec.experiment, endDate: null, status: moved.experiment.status },
    },
  };
  return {
    resolved: unended,
    experiment: moved.experiment,
    assumed: { ...moved.assumed, endDateSetAside: end },
  };
}

/**
 * The dates of an experiment not launched (no start date, in its record or its config) whose
 * SQL reads {{experiment.start_date_str}} and so cannot be resolved as it is: resolved as a
 * generated population would take it, enrolled up to `date`, and its dates put back as they are
 * (no start, the config's end), so that it has nothing due on any date, as every undated
 * experiment, rather than a template's error. Its SQL is not what is read here. Null when the
 * experiment has a start date (its own or its config's). When it cannot be resolved with one
 * either, that error is thrown: the config's problems other than the start it lacks, which its
 * author has to fix (said as they are, not hidden behind "has no start date").
 */
export async function undatedSpec(
  experiment: Experiment,
  date: IsoDate,
  resolveFor: (experiment: Experiment) => Promise<{ spec: AnalysisSpec }>,
): Promise<AnalysisSpec | null> {
  if (experiment.startDate !== null) return null;
  const moved = await resolveAsPreviewed(experiment, date, resolveFor);
  if (!moved.assumed || moved.assumed.ownStartDate !== null) return null;
  const { spec } = moved.resolved;
  const ownEnd = moved.assumed.endDateSetAside;
  return {
    ...spec,
    experiment: {
      ...spec.experiment,
      startDate: null,
      // A config's end date means the experiment is over, as applyExperimentOverrides says.
      ...(ownEnd ? { endDate: ownEnd, status: 'complete' as const } : {}),
    },
  };
}
