import { addDays, daysBetween } from '../../dates.js';
import type { Experiment } from '../../experiments/experiment.js';
import { didYouMean } from '../../suggest.js';
import type { ExternalConfigSpec } from '../spec.js';
import type { Resolution } from './context.js';

/**
 * The experiment as its config sees it: `[experiment]` overrides the Experimenter record
 * (dates, reference branch, segments, outcomes), the enrollment period follows jetstream's
 * rule, and templates get the experiment's attributes as `{{experiment.*}}`.
 */
export function applyExperimentOverrides(r: Resolution): void {
  const e = r.layer.experiment?.def ?? {};
  const x = r.experiment;
  const outcomes = [...x.outcomes, ...(e.outcomes ?? []).filter((o) => !x.outcomes.includes(o))];
  const segments = [...(e.segments ?? []), ...x.segments.filter((s) => !(e.segments ?? []).includes(s))];
  r.experiment = {
    ...x,
    startDate: e.start_date ?? x.startDate,
    endDate: e.end_date ?? x.endDate,
    referenceBranch: e.reference_branch ?? x.referenceBranch,
    // An end date in the config means the experiment is over (jetstream: status Complete).
    status: e.end_date ? 'complete' : x.status,
    outcomes,
    segments,
  };
  const ref = r.experiment.referenceBranch;
  const branches = r.experiment.branches.map((b) => b.slug);
  if (ref !== null && e.reference_branch !== undefined && !branches.includes(ref)) {
    r.error(
      r.experimentField('reference_branch'),
      `reference_branch '${ref}' is not a branch of the experiment${didYouMean(ref, branches)}; branches: ${branches.join(', ')}`,
    );
  }
  // jetstream's enrollment period from the record's end of enrollment counts from the config's
  // start: a start after that end leaves no enrollment (a negative period), which no analysis
  // can use. The author moved the start without saying how long enrollment then lasts.
  const enrollmentEnd = x.enrollmentEndDate;
  if (
    e.start_date !== undefined &&
    e.enrollment_period === undefined &&
    enrollmentEnd &&
    e.start_date > enrollmentEnd
  ) {
    r.error(
      r.experimentField('start_date'),
      `start_date ${e.start_date} is after the experiment's end of enrollment, ${enrollmentEnd} (its Experimenter record), so it would have no enrollment period: give the days clients enroll from start_date as [experiment] enrollment_period, or a start_date on or before ${enrollmentEnd}`,
    );
  }
  r.experimentContext = templateContext(
    r.experiment,
    enrollmentPeriod(r),
    r.layer.experiment?.def.sample_size,
  );
}

/** jetstream: the config's enrollment_period, else enrollment end − start + 1, else proposed enrollment. */
export function enrollmentPeriod(r: Resolution): number {
  const e = r.layer.experiment?.def;
  if (e?.enrollment_period !== undefined) return e.enrollment_period;
  return recordEnrollmentPeriod(r.experiment);
}

/** The enrollment period an experiment's record gives when no config sets one (see enrollmentPeriod). */
export function recordEnrollmentPeriod(
  experiment: Pick<Experiment, 'enrollmentEndDate' | 'startDate' | 'proposedEnrollment'>,
): number {
  const { enrollmentEndDate, startDate, proposedEnrollment } = experiment;
  if (enrollmentEndDate && startDate) return daysBetween(startDate, enrollmentEndDate) + 1;
  return proposedEnrollment ?? 0;
}

/**
 * jetstream's external config (metadata.py, with metric-config-parser's
 * has_external_config_overrides): null unless the config changes the reference branch, a date
 * or the proposed enrollment of `experimenter`, its record before the config's overrides; then
 * each value that differs from the record's (the enrollment period compared with the proposed
 * enrollment, as jetstream does). Unlike jetstream, a record without a
 * proposed enrollment is not taken as overridden by a config that sets none.
 */
export function externalConfig(experimenter: Experiment, r: Resolution): ExternalConfigSpec | null {
  const e = r.layer.experiment?.def ?? {};
  const x = r.experiment;
  const proposed = experimenter.proposedEnrollment ?? 0;
  const overridden =
    x.referenceBranch !== experimenter.referenceBranch ||
    x.startDate !== experimenter.startDate ||
    x.endDate !== experimenter.endDate ||
    (e.enrollment_period || proposed) !== proposed;
  if (!overridden) return null;
  const period = enrollmentPeriod(r);
  return {
    referenceBranch: x.referenceBranch !== experimenter.referenceBranch ? x.referenceBranch : null,
    startDate: x.startDate !== experimenter.startDate ? x.startDate : null,
    endDate: x.endDate !== experimenter.endDate ? x.endDate : null,
    enrollmentPeriod: period !== experimenter.proposedEnrollment ? period : null,
  };
}

/**
 * The unit clients are analysed by, as jetstream decides it: the config's `analysis_unit`, else
 * the experiment's randomization unit (`group_id`, Experimenter's unit for profile groups; any
 * other unit, or none, means clients).
 */
export function analysisUnit(r: Resolution): 'client' | 'profile_group' {
  const configured = r.layer.experiment?.def.analysis_unit;
  if (configured !== undefined) return configured === 'profile_group_id' ? 'profile_group' : 'client';
  return r.experiment.randomizationUnit === 'group_id' ? 'profile_group' : 'client';
}

/**
 * `{{experiment.*}}`: jetstream's attribute names. The `*_str` dates are read only when a
 * template uses them, so an experiment without a start date fails only where one is needed.
 */
function templateContext(
  experiment: Experiment,
  period: number,
  sampleSize: number | undefined,
): Record<string, unknown> {
  const start = experiment.startDate;
  // Thrown inside nunjucks, which wraps it; its message becomes the config problem.
  const missing = (what: string) => () => {
    throw new Error(`experiment '${experiment.slug}' has no ${what}`);
  };
  const context: Record<string, unknown> = {
    slug: experiment.slug,
    normandy_slug: experiment.slug,
    experimenter_slug: experiment.slug,
    app_name: experiment.appName,
    app_id: experiment.appId,
    channel: experiment.channel,
    reference_branch: experiment.referenceBranch,
    branches: experiment.branches.map((b) => b.slug),
    enrollment_period: period,
    proposed_enrollment: experiment.proposedEnrollment,
    is_rollout: experiment.isRollout,
    segments: experiment.segments,
    outcomes: experiment.outcomes,
    start_date: experiment.startDate,
    end_date: experiment.endDate,
    sample_size: sampleSize ?? null,
  };
  Object.defineProperties(context, {
    start_date_str: { enumerable: true, get: start ? () => start : missing('start date') },
    end_date_str: {
      enumerable: true,
      get: experiment.endDate ? () => experiment.endDate : missing('end date'),
    },
    last_enrollment_date_str: {
      enumerable: true,
      get: start ? () => addDays(start, period) : missing('start date'),
    },
  });
  return context;
}
