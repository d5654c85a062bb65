import { z } from 'zod';
import { IsoDate } from '../dates.js';
import { Experiment, type ExperimentStatus } from './experiment.js';

/**
 * One experiment as Experimenter's v8 API serves it (camelCase): the one schema for every place
 * that reads v8 JSON (the Experimenter API, a local experiments file, the sample generator).
 * Only the fields contrail reads are checked; everything else Experimenter sends (the rest of
 * bucketConfig, targeting, localizations, …) passes through unread, so a real v8 dump loads
 * unchanged.
 */
export const ExperimenterV8Record = z.object({
  slug: z.string().min(1),
  appName: z.string().min(1),
  appId: z.string().nullish(),
  channel: z.string().nullish(),
  branches: z
    .array(z.object({ slug: z.string().min(1), ratio: z.number().nonnegative().default(1) }))
    .min(1, 'an experiment needs at least one branch'),
  referenceBranch: z.string().nullish(),
  startDate: IsoDate.nullish(),
  endDate: IsoDate.nullish(),
  enrollmentEndDate: IsoDate.nullish(),
  proposedEnrollment: z.number().int().nonnegative().nullish(),
  proposedDuration: z.number().int().nonnegative().nullish(),
  isRollout: z.boolean().nullish(),
  isEnrollmentPaused: z.boolean().nullish(),
  isHighPopulation: z.boolean().nullish(),
  // v8 lists outcomes as {slug, priority} and segments as {slug}; hand-written files may list bare slugs.
  outcomes: z.array(z.union([z.string().min(1), z.object({ slug: z.string().min(1) })])).nullish(),
  segments: z.array(z.union([z.string().min(1), z.object({ slug: z.string().min(1) })])).nullish(),
  featureIds: z.array(z.string()).nullish(),
  bucketConfig: z.object({ randomizationUnit: z.string().nullish() }).nullish(),
  // Not part of the v8 experiment JSON (the API tells drafts by their endpoint), but hand-written
  // files carry it. `publishStatus` is not read: a launched experiment is in review too while an
  // end is requested, so it says nothing about being a draft.
  status: z.string().nullish(),
});
export type ExperimenterV8Record = z.infer<typeof ExperimenterV8Record>;

const DRAFT_STATUSES = new Set(['draft', 'preview']);

function isoDay(now: Date): IsoDate {
  return now.toISOString().slice(0, 10);
}

/**
 * Status as jetstream's v8 experiment derives it: Live without an end date or with one not yet
 * passed, else Complete. A draft is what the record says is one: a `status` of Draft/Preview,
 * or no start date (Experimenter sets it at launch, so such a record has not launched).
 */
export function experimentStatus(
  record: Pick<ExperimenterV8Record, 'status' | 'startDate' | 'endDate'>,
  now: Date,
): ExperimentStatus {
  const status = record.status?.toLowerCase() ?? null;
  if ((status !== null && DRAFT_STATUSES.has(status)) || !record.startDate) return 'draft';
  const end = record.endDate ?? null;
  return end === null || end >= isoDay(now) ? 'live' : 'complete';
}

const slugOf = (o: string | { slug: string }) => (typeof o === 'string' ? o : o.slug);

/** The experiment contrail uses; `draft` says the record came from Experimenter's drafts. */
export function toExperiment(
  record: ExperimenterV8Record,
  now: Date,
  options: { draft?: boolean } = {},
): Experiment {
  return Experiment.parse({
    slug: record.slug,
    appName: record.appName,
    appId: record.appId ?? null,
    channel: record.channel ?? null,
    status: options.draft ? 'draft' : experimentStatus(record, now),
    branches: record.branches,
    referenceBranch: record.referenceBranch ?? null,
    startDate: record.startDate ?? null,
    endDate: record.endDate ?? null,
    enrollmentEndDate: record.enrollmentEndDate ?? null,
    proposedEnrollment: record.proposedEnrollment ?? null,
    proposedDuration: record.proposedDuration ?? null,
    isRollout: record.isRollout ?? false,
    isEnrollmentPaused: record.isEnrollmentPaused ?? false,
    isHighPopulation: record.isHighPopulation ?? false,
    outcomes: (record.outcomes ?? []).map(slugOf),
    segments: (record.segments ?? []).map(slugOf),
    featureIds: record.featureIds ?? [],
    randomizationUnit: record.bucketConfig?.randomizationUnit ?? null,
  });
}

/** The record's slug if it has one: errors name the experiment even when the record is broken. */
export function recordSlug(record: unknown): string | null {
  const slug =
    record !== null && typeof record === 'object' ? (record as { slug?: unknown }).slug : undefined;
  return typeof slug === 'string' && slug.length > 0 ? slug : null;
}

/** Each invalid field of a record as `field <path>: <message>`. */
export function recordProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)';
    return `field ${field}: ${issue.message}`;
  });
}
