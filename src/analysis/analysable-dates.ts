import type { AnalysisSpec } from '../config/spec.js';
import type { IsoDate } from '../dates.js';

/**
 * The dates anything of an experiment can be due on, as its record and config say (overrides
 * applied): none when the config says skip or it has not started, none before its start date,
 * none after its end date. Plain data, so that a backfill can leave out the dates outside them
 * without starting an analysis of each; a date between them may still have nothing due
 * (enrollment running, no window completing), which only the analysis's plan can tell.
 */
export interface AnalysableDates {
  slug: string;
  skip: boolean;
  startDate: IsoDate | null;
  endDate: IsoDate | null;
}

export function analysableDates(spec: AnalysisSpec): AnalysableDates {
  const { slug, startDate, endDate } = spec.experiment;
  return { slug, skip: spec.skip, startDate, endDate };
}

/** Why nothing can be due on `date`, in jetstream's terms; null when something may be. */
export function outsideAnalysableDates(dates: AnalysableDates, date: IsoDate): string | null {
  const { slug, startDate, endDate } = dates;
  if (dates.skip) return `${slug}: the config says skip = true`;
  if (startDate === null) return `${slug} has no start date (not launched)`;
  if (date < startDate) return `${slug} starts ${startDate}, after ${date}`;
  if (endDate !== null && date > endDate) return `${slug} ended on ${endDate}`;
  return null;
}
