import type { IsoDate } from '../dates.js';

/**
 * The dates anything of an experiment can be due on, as its record and config say (overrides
 * applied): none when the config says skip, it is never analysed (a rollout) or it has not started, none before its enrollment
 * is complete (the last enrollment date, when the first day window completes), none after its
 * end date. Between them the day window completes every day, so something is always due there.
 * Plain data, so that the daily run and backfills can count the dates outside them as nothing
 * due without starting an analysis of each; workflow code imports this module, so it stays
 * free of the planner (`analysableDates` in plan-day.ts builds the dates from a spec).
 */
export interface AnalysableDates {
  slug: string;
  skip: boolean;
  startDate: IsoDate | null;
  /** The last enrollment date: the first date anything is due on (null without a start date). */
  firstDueDate: IsoDate | null;
  endDate: IsoDate | null;
  /**
   * Why the experiment is not analysed on any date (a rollout, an app not analysed, still
   * enrolling as its Experimenter record says); absent in older histories.
   */
  notAnalysed?: string;
}

/** Why nothing can be due on `date`, in jetstream's terms; null when something is. */
export function outsideAnalysableDates(dates: AnalysableDates, date: IsoDate): string | null {
  const { slug, startDate, firstDueDate, endDate } = dates;
  if (dates.skip) return `${slug}: the config says skip = true`;
  if (dates.notAnalysed) return dates.notAnalysed;
  if (startDate === null || firstDueDate === null) return `${slug} has no start date (not launched)`;
  if (date < startDate) return `${slug} starts ${startDate}, after ${date}`;
  if (date < firstDueDate)
    return `enrollment of ${slug} is not complete on ${date} (last enrollment date ${firstDueDate})`;
  if (endDate !== null && date > endDate) return `${slug} ended on ${endDate}`;
  return null;
}
